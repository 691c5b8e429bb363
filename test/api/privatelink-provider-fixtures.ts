/**
 * Fixtures for the provider-side PrivateLink tests: load balancers and consumer endpoints seeded
 * straight into the store (the ELBv2 and consumer actions are built in parallel; these records
 * have exactly the shape those actions write).
 */
import assert from 'node:assert/strict';
import { CreateVpcEndpointServiceConfigurationCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Privlink } from '../../src/emulator.js';
import type { LoadBalancer } from '../../src/control/model/elb.js';
import type { EndpointState, VpcEndpoint } from '../../src/control/model/privatelink.js';
import { loadBalancerArn } from '../../src/control/names.js';
import { zonesForRegion } from '../../src/control/zones.js';
import { PROVIDER, REGION } from '../helpers/privlink.js';

let counter = 0;
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');

export interface SeedLbOptions {
  account?: string;
  region?: string;
  type?: 'network' | 'gateway';
  ipAddressType?: 'ipv4' | 'dualstack';
  zones?: number;
}

export function seedLoadBalancer(p: Privlink, o: SeedLbOptions = {}): string {
  const n = ++counter;
  const account = o.account ?? PROVIDER;
  const region = o.region ?? REGION;
  const type = o.type ?? 'network';
  const name = `lb-${n}`;
  const arn = loadBalancerArn(region, account, type, name, hex(n, 16));
  const zones = zonesForRegion(region).slice(0, o.zones ?? 2);
  const lb: LoadBalancer = {
    id: arn,
    arn,
    accountId: account,
    region,
    createdAt: p.clock.now(),
    tags: [],
    name,
    type,
    scheme: 'internal',
    vpcId: `vpc-${hex(n, 17)}`,
    state: 'active',
    ipAddressType: o.ipAddressType ?? 'ipv4',
    nodes: zones.map((z, i) => ({
      subnetId: `subnet-${hex(n * 10 + i, 17)}`,
      zoneName: z.zoneName,
      zoneId: z.zoneId,
      privateIpAddress: `10.0.${i}.${n % 250}`,
      networkInterfaceId: `eni-${hex(n * 10 + i, 17)}`,
    })),
    securityGroups: [],
    attributes: {},
  };
  p.store.transaction(() => p.store.put('loadBalancer', lb));
  return arn;
}

export interface SeedEndpointOptions {
  account: string;
  serviceId: string;
  serviceName: string;
  state?: EndpointState;
  region?: string;
  serviceOwner?: string;
}

export function seedEndpoint(p: Privlink, o: SeedEndpointOptions): string {
  const n = ++counter;
  const id = `vpce-${hex(0xe0000 + n, 17)}`;
  const region = o.region ?? REGION;
  const ep: VpcEndpoint = {
    id,
    accountId: o.account,
    region,
    createdAt: p.clock.now(),
    tags: [{ key: 'consumer-private', value: 'x' }],
    endpointType: 'Interface',
    vpcId: `vpc-${hex(0xc0000 + n, 17)}`,
    serviceName: o.serviceName,
    serviceId: o.serviceId,
    serviceOwner: o.serviceOwner ?? PROVIDER,
    serviceRegion: REGION,
    state: o.state ?? 'pendingAcceptance',
    stateChangedAt: p.clock.now(),
    routeTableIds: [],
    subnetIds: [],
    groupIds: [],
    networkInterfaceIds: [],
    ipAddressType: 'ipv4',
    privateDnsEnabled: false,
    dnsLabel: 'ab12cd34',
    connectionId: `vpce-con-${hex(0xc0000 + n, 17)}`,
    requesterArn: `arn:aws:iam::${o.account}:root`,
  };
  p.store.transaction(() => p.store.put('vpcEndpoint', ep));
  return id;
}

/** Simulates the consumer changing an endpoint (e.g. DeleteVpcEndpoints → deleting). */
export function setEndpointState(p: Privlink, id: string, state: EndpointState): void {
  p.store.transaction(() => {
    const ep = p.store.find('vpcEndpoint', id);
    if (ep) p.store.put('vpcEndpoint', { ...ep, state, stateChangedAt: p.clock.now() });
  });
}

export function removeEndpoint(p: Privlink, id: string): void {
  p.store.transaction(() => p.store.delete('vpcEndpoint', id));
}

/** CreateVpcEndpointServiceConfiguration for one NLB through the real client; asserts the IDs came back. */
export async function createService(ec2: EC2Client, nlb: string, extra: Record<string, unknown> = {}) {
  const out = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [nlb], ...extra }),
  );
  const cfg = out.ServiceConfiguration;
  assert.ok(cfg?.ServiceId && cfg.ServiceName);
  return { id: cfg.ServiceId, name: cfg.ServiceName, cfg, clientToken: out.ClientToken };
}
