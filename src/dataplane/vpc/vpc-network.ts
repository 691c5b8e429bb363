/**
 * What a VPC network is for the rest of the data plane (and DNS): its namespace, bridge, resolver
 * and subnet routers, plus the address arithmetic they are built from. Pure; the VPC reconciler
 * builds them, the others plug into them.
 */
import { nthAddress, parseCidr } from '../../control/cidr.js';

/** Name of the bridge inside every VPC namespace. */
export const VPC_BRIDGE = 'br0';
export const IMDS_IP = '169.254.169.254';

export interface VpcNetwork {
  vpcId: string;
  accountId: string;
  cidrBlock: string;
  /** undefined in loopback mode. */
  namespace: string | undefined;
  bridge: string;
  /** VPC base+2: the Amazon-provided DNS address. */
  resolverIp: string;
  /** Subnet id → router address (base+1) with prefix length, e.g. 10.0.1.1/24. */
  routers: ReadonlyMap<string, string>;
}

/** Read-only lookup the other reconcilers use to plug into a VPC. */
export interface VpcNetworks {
  get(vpcId: string): VpcNetwork | undefined;
  /** True when the VPC's namespace and bridge exist (loopback: when the VPC is stored). */
  isReady(vpcId: string): boolean;
  /** The namespace of a ready VPC (undefined in loopback mode or when not ready). */
  namespaceOf(vpcId: string): string | undefined;
  list(): VpcNetwork[];
}

export function routerAddress(subnetCidr: string): string {
  const c = parseCidr(subnetCidr);
  return `${nthAddress(c, 1)}/${c.prefix}`;
}

export function resolverAddress(vpcCidr: string): string {
  return nthAddress(parseCidr(vpcCidr), 2);
}
