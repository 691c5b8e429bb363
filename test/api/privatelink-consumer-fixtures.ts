/**
 * Fixtures for the consumer-side PrivateLink tests: networks, load balancers and endpoint
 * services seeded straight into the store, with exactly the shape the EC2-core, ELBv2 and
 * provider actions write. Seeding keeps these tests about endpoints alone; the two-account flow
 * test (privatelink-flow.test.ts) builds everything through the real APIs instead.
 */
import type { PrivlinkDeps } from '../../src/emulator.js';
import { CreateVpcEndpointCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Privlink } from '../../src/emulator.js';
import type { Subnet, Vpc } from '../../src/control/model/network.js';
import type { EndpointService, ServicePermission } from '../../src/control/model/privatelink.js';
import type { LoadBalancer } from '../../src/control/model/elb.js';
import { endpointServiceName, loadBalancerArn } from '../../src/control/names.js';
import { zonesForRegion } from '../../src/control/zones.js';
import { ManualClock } from '../../src/shared/clock.js';
import { CONSUMER, PROVIDER, REGION, ec2Client, startPrivlink } from '../helpers/privlink.js';

export interface SeededVpc {
  vpcId: string;
  /** One subnet per zone a, b, c (10.x.1.0/24, 10.x.2.0/24, 10.x.3.0/24 of the VPC's /16). */
  subnetIds: string[];
  /** A second subnet in zone a, for DuplicateSubnetsInSameZone. */
  extraSubnetA: string;
  defaultSgId: string;
  extraSgId: string;
  mainRouteTableId: string;
  routeTableId: string;
}

export interface SeedVpcOptions {
  account: string;
  region?: string;
  cidr?: string;
  /** enableDnsSupport and enableDnsHostnames (default true). */
  dns?: boolean;
}

export function seedVpc(p: Privlink, o: SeedVpcOptions): SeededVpc {
  const region = o.region ?? REGION;
  const cidr = o.cidr ?? '10.0.0.0/16';
  const prefix = cidr.split('.').slice(0, 2).join('.');
  const ids = p.control.ids;
  const now = p.clock.now();
  const base = { accountId: o.account, region, createdAt: now, tags: [] };
  const vpcId = ids.resourceId('vpc');
  const defaultSgId = ids.resourceId('sg');
  const extraSgId = ids.resourceId('sg');
  const mainRouteTableId = ids.resourceId('rtb');
  const routeTableId = ids.resourceId('rtb');
  const vpc: Vpc = {
    ...base,
    id: vpcId,
    cidrBlock: cidr,
    state: 'available',
    instanceTenancy: 'default',
    isDefault: false,
    dhcpOptionsId: ids.resourceId('dopt'),
    enableDnsSupport: o.dns ?? true,
    enableDnsHostnames: o.dns ?? true,
    mainRouteTableId,
    defaultSecurityGroupId: defaultSgId,
    cidrAssociationId: ids.resourceId('vpc-cidr-assoc'),
  };
  const zones = zonesForRegion(region);
  const subnet = (i: number, zone: number): Subnet => ({
    ...base,
    id: ids.resourceId('subnet'),
    vpcId,
    cidrBlock: `${prefix}.${i}.0/24`,
    availabilityZone: zones[zone]?.zoneName ?? '',
    availabilityZoneId: zones[zone]?.zoneId ?? '',
    state: 'available',
    mapPublicIpOnLaunch: false,
  });
  const subnets = [subnet(1, 0), subnet(2, 1), subnet(3, 2)];
  const extra = subnet(4, 0);
  p.store.transaction(() => {
    p.store.put('vpc', vpc);
    for (const s of [...subnets, extra]) p.store.put('subnet', s);
    for (const [id, name] of [
      [defaultSgId, 'default'],
      [extraSgId, 'endpoint-sg'],
    ] as const) {
      p.store.put('securityGroup', {
        ...base,
        id,
        vpcId,
        groupName: name,
        description: name,
        ingress: [],
        egress: [],
      });
    }
    for (const id of [mainRouteTableId, routeTableId]) {
      p.store.put('routeTable', {
        ...base,
        id,
        vpcId,
        routes: [
          { destinationCidrBlock: cidr, gatewayId: 'local', origin: 'CreateRouteTable', state: 'active' },
        ],
        associations: id === mainRouteTableId ? [{ id: ids.resourceId('rtbassoc'), main: true }] : [],
      });
    }
  });
  return {
    vpcId,
    subnetIds: subnets.map((s) => s.id),
    extraSubnetA: extra.id,
    defaultSgId,
    extraSgId,
    mainRouteTableId,
    routeTableId,
  };
}

export interface SeedServiceOptions {
  account?: string;
  region?: string;
  type?: 'Interface' | 'GatewayLoadBalancer';
  acceptanceRequired?: boolean;
  /** Zone indexes the load balancer has nodes in (default a and b). */
  zones?: number[];
  privateDnsName?: string;
  verified?: boolean;
  supportedRegions?: string[];
  /** Principals allowed besides the owner. */
  allow?: string[];
}

export interface SeededService {
  serviceId: string;
  serviceName: string;
  lbArn: string;
}

export function seedService(p: Privlink, o: SeedServiceOptions = {}): SeededService {
  const account = o.account ?? PROVIDER;
  const region = o.region ?? REGION;
  const ids = p.control.ids;
  const now = p.clock.now();
  const base = { accountId: account, region, createdAt: now, tags: [] };
  const gwlb = o.type === 'GatewayLoadBalancer';
  const name = `svc-lb-${ids.hex(6)}`;
  const lbArn = loadBalancerArn(region, account, gwlb ? 'gateway' : 'network', name, ids.hex(16));
  const zones = zonesForRegion(region);
  const lb: LoadBalancer = {
    ...base,
    id: lbArn,
    arn: lbArn,
    name,
    type: gwlb ? 'gateway' : 'network',
    scheme: 'internal',
    vpcId: ids.resourceId('vpc'),
    state: 'active',
    ipAddressType: 'ipv4',
    nodes: (o.zones ?? [0, 1]).map((z, i) => ({
      subnetId: ids.resourceId('subnet'),
      zoneName: zones[z]?.zoneName ?? '',
      zoneId: zones[z]?.zoneId ?? '',
      privateIpAddress: `10.0.${i}.10`,
      networkInterfaceId: ids.resourceId('eni'),
    })),
    securityGroups: [],
    attributes: {},
  };
  const serviceId = ids.resourceId('vpce-svc');
  const svc: EndpointService = {
    ...base,
    id: serviceId,
    serviceName: endpointServiceName(region, serviceId),
    serviceType: gwlb ? 'GatewayLoadBalancer' : 'Interface',
    state: 'Available',
    acceptanceRequired: o.acceptanceRequired ?? false,
    managesVpcEndpoints: false,
    networkLoadBalancerArns: gwlb ? [] : [lbArn],
    gatewayLoadBalancerArns: gwlb ? [lbArn] : [],
    supportedIpAddressTypes: ['ipv4'],
    supportedRegions: o.supportedRegions ?? [region],
    privateDnsName: o.privateDnsName,
    privateDnsNameConfiguration: o.privateDnsName
      ? {
          state: o.verified ? 'verified' : 'pendingVerification',
          type: 'TXT',
          name: '_abcdefghij0123456789',
          value: 'vpce:ABCDEFGHIJabcdefghij',
        }
      : undefined,
  };
  p.store.transaction(() => {
    p.store.put('loadBalancer', lb);
    p.store.put('endpointService', svc);
    for (const principal of o.allow ?? []) {
      const perm: ServicePermission = {
        ...base,
        id: ids.resourceId('vpce-svc-perm'),
        serviceId,
        principal,
        principalType: principal === '*' ? 'All' : 'Account',
      };
      p.store.put('servicePermission', perm);
    }
  });
  return { serviceId, serviceName: svc.serviceName, lbArn };
}

/** Sets an endpoint's state as the provider's Accept/Reject would. */
export function setState(p: Privlink, id: string, state: 'pending' | 'rejected' | 'available'): void {
  p.store.transaction(() => {
    const ep = p.store.find('vpcEndpoint', id);
    if (ep) p.store.put('vpcEndpoint', { ...ep, state, stateChangedAt: p.clock.now() });
  });
}

/** Sets the verification state of a service's private DNS name, as the verifier would. */
export function setVerification(p: Privlink, serviceId: string, state: 'verified' | 'failed'): void {
  p.store.transaction(() => {
    const s = p.store.find('endpointService', serviceId);
    if (s?.privateDnsNameConfiguration)
      p.store.put('endpointService', {
        ...s,
        privateDnsNameConfiguration: { ...s.privateDnsNameConfiguration, state },
      });
  });
}

export const rootArn = (account: string) => `arn:aws:iam::${account}:root`;

export type CreateEndpointInput = ConstructorParameters<typeof CreateVpcEndpointCommand>[0];

/** CreateVpcEndpoint of an Interface endpoint in the seeded VPC; `extra` adds or overrides members. */
export function createInterfaceEndpoint(
  ec2: EC2Client,
  net: SeededVpc,
  serviceName: string,
  extra: Partial<CreateEndpointInput> = {},
) {
  return ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: net.vpcId,
      ServiceName: serviceName,
      ...extra,
    }),
  );
}

/** A privlink on a ManualClock, a consumer EC2 client, and a seeded consumer VPC. */
export async function startConsumer(
  t: Parameters<typeof startPrivlink>[0],
  options: Parameters<typeof startPrivlink>[1] = {},
  deps: Omit<PrivlinkDeps, 'clock'> = {},
) {
  const clock = new ManualClock();
  const p = await startPrivlink(t, options, { ...deps, clock });
  const consumer = ec2Client(p, { account: CONSUMER });
  const net = seedVpc(p, { account: CONSUMER });
  return { p, clock, consumer, net };
}
