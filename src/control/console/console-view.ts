/**
 * The web console's read model and its two actions, as plain functions over `Control`: one
 * snapshot of what a viewer may see (topology, provider view, consumer view) and Accept/Reject
 * run through the very use-case the API calls (`decideConnections`), as the service's owner.
 *
 * Who sees what: an admin viewer (no --credentials, or an admin key) sees every account. A
 * signed-in account sees its own VPCs, subnets, instances, ENIs, endpoints, services and load
 * balancers, plus — as AWS's provider view does — the connection requests to its own services
 * (endpoint ID, requester account, subnets, time, state), and nothing else of the requester.
 * The filtering happens here, server-side; the page only draws what it was sent.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError } from '../errors.js';
import type { DeepReadonly } from '../model/common.js';
import type { VpcEndpoint } from '../model/privatelink.js';
import { decideConnections } from '../privatelink/connections.js';
import { endpointDnsEntries } from '../privatelink/endpoint-dns.js';
import { describeTargetHealth } from '../elb/targets.js';
import type { StateHistory } from './state-history.js';

/** Who looks: `accountId` undefined = admin (every account). */
export interface Viewer {
  accountId: string | undefined;
}

export interface ConsoleSnapshot {
  viewer: { accountId: string | null; admin: boolean };
  generatedAt: number;
  accounts: ConsoleAccount[];
  endpoints: ConsoleEndpoint[];
  services: ConsoleService[];
  loadBalancers: ConsoleLoadBalancer[];
}

export interface ConsoleAccount {
  id: string;
  vpcs: {
    id: string;
    region: string;
    cidr: string;
    name?: string;
    subnets: {
      id: string;
      cidr: string;
      zone: string;
      instances: { id: string; ip: string; state: string; name?: string }[];
      enis: { id: string; ip: string; endpointId?: string; type: string }[];
    }[];
  }[];
}

export interface ConsoleEndpoint {
  id: string;
  accountId: string;
  region: string;
  type: string;
  vpcId: string;
  serviceName: string;
  serviceId?: string;
  serviceOwner: string;
  state: string;
  stateChangedAt: number;
  history: { state: string; at: number }[];
  subnetIds: string[];
  dnsNames: string[];
  privateDnsEnabled: boolean;
  enis: { id: string; ip: string; subnetId: string; zone: string }[];
  securityGroups: { id: string; name: string }[];
  policy?: string;
}

export interface ConsoleConnection {
  endpointId: string;
  requesterAccount: string;
  state: string;
  subnetIds: string[];
  requestedAt: number;
  stateChangedAt: number;
}

export interface ConsoleService {
  id: string;
  accountId: string;
  region: string;
  name: string;
  state: string;
  acceptanceRequired: boolean;
  loadBalancerArns: string[];
  allowedPrincipals: string[];
  privateDns?: { name: string; state?: string; txtName?: string; txtValue?: string };
  connections: ConsoleConnection[];
}

export interface ConsoleLoadBalancer {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  vpcId: string;
  type: string;
  state: string;
  nodes: { zone: string; ip: string }[];
  targetGroups: {
    arn: string;
    name: string;
    protocol: string;
    port?: number;
    targets: { id: string; port: number; state: string; reason?: string }[];
  }[];
}

const sees = (v: Viewer, accountId: string) => v.accountId === undefined || v.accountId === accountId;

function nameTag(tags: readonly { key: string; value: string }[] | undefined): string | undefined {
  return tags?.find((t) => t.key === 'Name')?.value;
}

/** The caller a console action runs as: the resource owner's root, in the resource's Region. */
function ownerCaller(accountId: string, region: string): CallerContext {
  return {
    requestId: 'console',
    accountId,
    region,
    principal: { accountId, arn: `arn:aws:iam::${accountId}:root` },
  };
}

/** Endpoint IDs whose traffic this viewer may see: its own endpoints and those of its services. */
export function visibleEndpointIds(control: Control, v: Viewer): Set<string> {
  const out = new Set<string>();
  const ownServices = new Set(
    control.store
      .listAll('endpointService')
      .filter((s) => sees(v, s.accountId))
      .map((s) => s.id),
  );
  for (const ep of control.store.listAll('vpcEndpoint')) {
    if (sees(v, ep.accountId) || (ep.serviceId && ownServices.has(ep.serviceId))) out.add(ep.id);
  }
  return out;
}

function endpointView(
  control: Control,
  ep: DeepReadonly<VpcEndpoint>,
  history: StateHistory | undefined,
): ConsoleEndpoint {
  const enis = ep.networkInterfaceIds.flatMap((id) => {
    const n = control.store.find('networkInterface', id);
    return n ? [{ id, ip: n.privateIpAddress, subnetId: n.subnetId, zone: n.availabilityZone }] : [];
  });
  const groups = ep.groupIds.map((id) => ({
    id,
    name: control.store.find('securityGroup', id)?.groupName ?? id,
  }));
  return {
    id: ep.id,
    accountId: ep.accountId,
    region: ep.region,
    type: ep.endpointType,
    vpcId: ep.vpcId,
    serviceName: ep.serviceName,
    ...(ep.serviceId ? { serviceId: ep.serviceId } : {}),
    serviceOwner: ep.serviceOwner,
    state: ep.state,
    stateChangedAt: ep.stateChangedAt,
    history: history?.of(ep) ?? [{ state: ep.state, at: ep.stateChangedAt }],
    subnetIds: [...ep.subnetIds],
    dnsNames: endpointDnsEntries(control, ep).map((d) => d.dnsName),
    privateDnsEnabled: ep.privateDnsEnabled,
    enis,
    securityGroups: groups,
    ...(ep.policyDocument ? { policy: ep.policyDocument } : {}),
  };
}

/** Everything the console draws for this viewer, read in one go (one consistent moment). */
export function consoleSnapshot(control: Control, v: Viewer, history?: StateHistory): ConsoleSnapshot {
  const { store } = control;
  const accountIds = new Set<string>();
  const vpcs = store.listAll('vpc').filter((x) => sees(v, x.accountId));
  const subnets = store.listAll('subnet').filter((x) => sees(v, x.accountId));
  const instances = store.listAll('instance').filter((x) => sees(v, x.accountId) && x.state !== 'terminated');
  const enis = store.listAll('networkInterface').filter((x) => sees(v, x.accountId));
  const endpointOfEni = new Map<string, string>();
  for (const ep of store.listAll('vpcEndpoint'))
    for (const id of ep.networkInterfaceIds) endpointOfEni.set(id, ep.id);
  const bySubnet = <T extends { subnetId: string }>(xs: readonly T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(x.subnetId, [...(m.get(x.subnetId) ?? []), x]);
    return m;
  };
  const instBySubnet = bySubnet(instances);
  const eniBySubnet = bySubnet(
    enis.filter((n) => n.interfaceType !== 'interface' || endpointOfEni.has(n.id)),
  );
  const accounts = new Map<string, ConsoleAccount>();
  for (const vpc of vpcs) {
    accountIds.add(vpc.accountId);
    const acct = accounts.get(vpc.accountId) ?? { id: vpc.accountId, vpcs: [] };
    accounts.set(vpc.accountId, acct);
    const vpcName = nameTag(vpc.tags);
    acct.vpcs.push({
      id: vpc.id,
      region: vpc.region,
      cidr: vpc.cidrBlock,
      ...(vpcName ? { name: vpcName } : {}),
      subnets: subnets
        .filter((s) => s.vpcId === vpc.id)
        .map((s) => ({
          id: s.id,
          cidr: s.cidrBlock,
          zone: s.availabilityZone,
          instances: (instBySubnet.get(s.id) ?? []).map((i) => {
            const name = nameTag(i.tags);
            return { id: i.id, ip: i.privateIpAddress, state: i.state, ...(name ? { name } : {}) };
          }),
          enis: (eniBySubnet.get(s.id) ?? [])
            .filter((n) => endpointOfEni.has(n.id))
            .map((n) => {
              const endpointId = endpointOfEni.get(n.id);
              return {
                id: n.id,
                ip: n.privateIpAddress,
                type: n.interfaceType,
                ...(endpointId ? { endpointId } : {}),
              };
            }),
        })),
    });
  }
  const endpoints = store
    .listAll('vpcEndpoint')
    .filter((ep) => sees(v, ep.accountId))
    .map((ep) => endpointView(control, ep, history));
  const permissions = store.listAll('servicePermission');
  const allEndpoints = store.listAll('vpcEndpoint');
  const services = store
    .listAll('endpointService')
    .filter((s) => sees(v, s.accountId))
    .map((s): ConsoleService => {
      const dns = s.privateDnsNameConfiguration;
      return {
        id: s.id,
        accountId: s.accountId,
        region: s.region,
        name: s.serviceName,
        state: s.state,
        acceptanceRequired: s.acceptanceRequired,
        loadBalancerArns: [...s.networkLoadBalancerArns, ...s.gatewayLoadBalancerArns],
        allowedPrincipals: permissions.filter((p) => p.serviceId === s.id).map((p) => p.principal),
        ...(s.privateDnsName
          ? {
              privateDns: {
                name: s.privateDnsName,
                ...(dns
                  ? { state: dns.state, txtName: `${dns.name}.${s.privateDnsName}`, txtValue: dns.value }
                  : {}),
              },
            }
          : {}),
        connections: allEndpoints
          .filter((ep) => ep.serviceId === s.id)
          .map((ep) => ({
            endpointId: ep.id,
            requesterAccount: ep.accountId,
            state: ep.state,
            subnetIds: [...ep.subnetIds],
            requestedAt: ep.createdAt,
            stateChangedAt: ep.stateChangedAt,
          })),
      };
    });
  const tgs = store.listAll('targetGroup');
  const listeners = store.listAll('listener');
  const loadBalancers = store
    .listAll('loadBalancer')
    .filter((lb) => sees(v, lb.accountId))
    .map((lb): ConsoleLoadBalancer => {
      const tgArns = new Set(
        listeners
          .filter((l) => l.loadBalancerArn === lb.arn)
          .flatMap((l) =>
            l.defaultActions.flatMap((a) => [
              ...(a.targetGroupArn ? [a.targetGroupArn] : []),
              ...(a.forwardTargetGroups ?? []).map((f) => f.targetGroupArn),
            ]),
          ),
      );
      return {
        arn: lb.arn,
        name: lb.name,
        accountId: lb.accountId,
        region: lb.region,
        vpcId: lb.vpcId,
        type: lb.type,
        state: lb.state,
        nodes: lb.nodes.map((n) => ({ zone: n.zoneName, ip: n.privateIpAddress })),
        targetGroups: tgs
          .filter((tg) => tgArns.has(tg.arn))
          .map((tg) => ({
            arn: tg.arn,
            name: tg.name,
            protocol: tg.protocol,
            ...(tg.port !== undefined ? { port: tg.port } : {}),
            targets: describeTargetHealth(control, ownerCaller(tg.accountId, tg.region), tg.arn, []).map(
              (t) => ({
                id: t.id,
                port: t.port,
                state: t.health.state,
                ...(t.health.reason ? { reason: t.health.reason } : {}),
              }),
            ),
          })),
      };
    });
  return {
    viewer: { accountId: v.accountId ?? null, admin: v.accountId === undefined },
    generatedAt: control.clock.now(),
    accounts: [...accounts.values()],
    endpoints,
    services,
    loadBalancers,
  };
}

/**
 * Accept or Reject one connection request from the console: the API's use-case, run as the
 * service's owner in one transaction. A viewer who does not own the service gets NotFound, as
 * the API answers a foreign ServiceId.
 */
export function decideFromConsole(
  control: Control,
  v: Viewer,
  serviceId: string,
  endpointId: string,
  decision: 'accept' | 'reject',
): { ok: true } | { ok: false; code: string; message: string } {
  const svc = control.store.find('endpointService', serviceId);
  if (!svc || !sees(v, svc.accountId)) {
    throw apiError(
      'InvalidVpcEndpointServiceId.NotFound',
      `The VPC endpoint service ID '${serviceId.slice(0, 64)}' does not exist`,
    );
  }
  const failures = control.inTransaction(() =>
    decideConnections(control, ownerCaller(svc.accountId, svc.region), serviceId, [endpointId], decision),
  );
  const f = failures[0];
  return f ? { ok: false, code: f.error.code, message: f.error.message } : { ok: true };
}
