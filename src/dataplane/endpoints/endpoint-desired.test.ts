import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeInfo } from '../fabric/traffic.js';
import { fakeStore } from '../testing/fake-store.js';
import {
  changedPorts,
  chosenNodes,
  desiredEndpointEnis,
  endpointScript,
  wantedPorts,
  type NodeDirectory,
} from './endpoint-desired.js';

const ep = (id: string, state: string, extra: Record<string, unknown> = {}) => ({
  id,
  endpointType: 'Interface',
  serviceId: 'vpce-svc-1',
  state,
  groupIds: [],
  networkInterfaceIds: [`eni-${id}`],
  ...extra,
});

const store = fakeStore({
  vpcEndpoint: [
    ep('vpce-1', 'available'),
    ep('vpce-2', 'pendingAcceptance'),
    ep('vpce-gw', 'available', { endpointType: 'Gateway' }),
    ep('vpce-aws', 'available', { serviceId: undefined }),
  ],
  networkInterface: [
    { id: 'eni-vpce-1', subnetId: 'subnet-b', vpcId: 'vpc-c', privateIpAddress: '10.0.1.20' },
    { id: 'eni-vpce-2', subnetId: 'subnet-a', vpcId: 'vpc-c', privateIpAddress: '10.0.1.21' },
    { id: 'eni-vpce-gw', subnetId: 'subnet-a', vpcId: 'vpc-c', privateIpAddress: '10.0.1.22' },
  ],
  subnet: [
    { id: 'subnet-a', availabilityZoneId: 'use1-az1' },
    { id: 'subnet-b', availabilityZoneId: 'use1-az2' },
  ],
  endpointService: [{ id: 'vpce-svc-1', networkLoadBalancerArns: ['arn:lb/a', 'arn:lb/none'] }],
});

const node = (eni: string, zone: string, address: string): NodeInfo => ({
  eniId: eni,
  loadBalancerArn: 'arn:lb/a',
  zoneId: zone,
  address,
  nodeIp: '10.0.1.50',
  namespace: `pl-${eni}`,
});
const dir: NodeDirectory = {
  nodesOf: (arn) =>
    arn === 'arn:lb/a'
      ? [node('eni-n1', 'use1-az1', '169.254.0.10'), node('eni-n2', 'use1-az2', '169.254.0.12')]
      : [],
  listeners: new Map([
    [
      'arn:lb/a',
      [
        { port: 80, targetGroupArn: 'tg-1', ppv2: false },
        { port: 443, targetGroupArn: 'tg-2', ppv2: true },
      ],
    ],
  ]),
};

test('desiredEndpointEnis: ENIs of interface endpoints of a service, whatever their state', () => {
  assert.deepEqual([...desiredEndpointEnis(store).keys()], ['eni-vpce-1', 'eni-vpce-2']);
});

test('chosenNodes: the node in the ENI zone, else the first; load balancers without nodes skipped', () => {
  const d = desiredEndpointEnis(store);
  const one = d.get('eni-vpce-1');
  const two = d.get('eni-vpce-2');
  assert.ok(one && two);
  assert.deepEqual(
    chosenNodes(store, dir, one).map(([arn, n]) => [arn, n.eniId]),
    [['arn:lb/a', 'eni-n2']],
  );
  assert.deepEqual(
    chosenNodes(store, dir, two).map(([arn, n]) => [arn, n.eniId]),
    [['arn:lb/a', 'eni-n1']],
  );
});

test('wantedPorts: only an available endpoint carries ports; PPv2 ports stay out of the kernel map', () => {
  const d = desiredEndpointEnis(store);
  const one = d.get('eni-vpce-1');
  const two = d.get('eni-vpce-2');
  assert.ok(one && two);
  const want = wantedPorts(store, dir, one);
  assert.deepEqual(
    [...want],
    [
      [80, { nodeEni: 'eni-n2', address: '169.254.0.12', ppv2: false }],
      [443, { nodeEni: 'eni-n2', address: '169.254.0.12', ppv2: true }],
    ],
  );
  assert.equal(wantedPorts(store, dir, two).size, 0);
  const script = endpointScript(store, one, '169.254.0.11', want);
  assert.match(script, /elements = \{ 80 : 169\.254\.0\.12 \. 80 \}/);
  // PPv2 port 443 is counted (set open) but never in the kernel DNAT map.
  assert.doesNotMatch(script, /443 :/);
  assert.match(script, /elements = \{ 80, 443 \}/);
});

test('changedPorts: ports whose upstream moved, changed PPv2, or went away', () => {
  const have = new Map([
    [80, { nodeEni: 'n1', address: '169.254.0.10', ppv2: false }],
    [81, { nodeEni: 'n1', address: '169.254.0.10', ppv2: false }],
    [82, { nodeEni: 'n1', address: '169.254.0.10', ppv2: false }],
    [83, { nodeEni: 'n1', address: '169.254.0.10', ppv2: false }],
  ]);
  const want = new Map([
    [80, { nodeEni: 'n1', address: '169.254.0.10', ppv2: false }],
    [81, { nodeEni: 'n2', address: '169.254.0.12', ppv2: false }],
    [82, { nodeEni: 'n1', address: '169.254.0.10', ppv2: true }],
  ]);
  assert.deepEqual(changedPorts(have, want), [81, 82, 83]);
});
