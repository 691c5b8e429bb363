/** The catalogue of stored resource kinds, keyed by name; the store is typed by this map. */
import type { DeepReadonly } from './common.js';
import type { Instance, NetworkInterface, RouteTable, SecurityGroup, Subnet, Vpc } from './network.js';
import type { Listener, LoadBalancer, TargetGroup } from './elb.js';
import type { Image } from './image.js';
import type {
  ConnectionNotification,
  EndpointService,
  IdempotencyRecord,
  NotificationRecord,
  ServicePermission,
  VpcEndpoint,
} from './privatelink.js';

export interface KindMap {
  vpc: Vpc;
  subnet: Subnet;
  securityGroup: SecurityGroup;
  routeTable: RouteTable;
  networkInterface: NetworkInterface;
  instance: Instance;
  image: Image;
  loadBalancer: LoadBalancer;
  targetGroup: TargetGroup;
  listener: Listener;
  endpointService: EndpointService;
  servicePermission: ServicePermission;
  vpcEndpoint: VpcEndpoint;
  connectionNotification: ConnectionNotification;
  notificationRecord: NotificationRecord;
  idempotency: IdempotencyRecord;
}

export type Kind = keyof KindMap;

/** A resource as the store hands it out (deep-frozen); the same type as store/store.ts `Stored`. */
export type Stored<K extends Kind> = DeepReadonly<KindMap[K]>;

export const KINDS: readonly Kind[] = [
  'vpc',
  'subnet',
  'securityGroup',
  'routeTable',
  'networkInterface',
  'instance',
  'image',
  'loadBalancer',
  'targetGroup',
  'listener',
  'endpointService',
  'servicePermission',
  'vpcEndpoint',
  'connectionNotification',
  'notificationRecord',
  'idempotency',
];

/** Which kind an EC2 resource ID names, for CreateTags/DeleteTags/DescribeTags. */
export const TAGGABLE_PREFIXES: readonly (readonly [string, Kind])[] = [
  ['vpce-svc-perm-', 'servicePermission'],
  ['vpce-svc-', 'endpointService'],
  ['vpce-nfn-', 'connectionNotification'],
  ['vpce-', 'vpcEndpoint'],
  ['vpc-', 'vpc'],
  ['subnet-', 'subnet'],
  ['sg-', 'securityGroup'],
  ['rtb-', 'routeTable'],
  ['eni-', 'networkInterface'],
  ['i-', 'instance'],
];

export function kindOfResourceId(id: string): Kind | undefined {
  return TAGGABLE_PREFIXES.find(([p]) => id.startsWith(p))?.[1];
}
