/**
 * EC2 instances (RunInstances, DescribeInstances, TerminateInstances, GetConsoleOutput,
 * DescribeInstanceStatus): validation, the state machine and persistence. Instances exist so
 * that PrivateLink has something real at both ends — a target behind an NLB and a client in a
 * consumer VPC; the data plane gives each one a namespace and runs its user data.
 *
 * Fidelity ledger (EC2 API reference, RunInstances/DescribeInstances/TerminateInstances, 2025)
 * - Covered: MinCount/MaxCount (1 ≤ Min ≤ Max; launches min(Max, free quota), fails with
 *   InstanceLimitExceeded when even Min does not fit a quota of 20 live instances per account
 *   and region); SubnetId or NetworkInterface.1 (device index 0) with PrivateIpAddress and
 *   security groups; SecurityGroupId.N / SecurityGroup.N (names) checked against the subnet's
 *   VPC, default = the VPC's default group; UserData (base64, ≤ 16 KB decoded); ClientToken
 *   idempotency; TagSpecification for `instance` and `network-interface` (`volume` accepted,
 *   nothing to tag); MetadataOptions (HttpTokens/HttpEndpoint honoured by IMDS).
 * - States: pending (code 0) → running (16) after `pendingMs`; TerminateInstances →
 *   shutting-down (32) → terminated (48) after `pendingMs`; terminated instances stay
 *   describable for `deletedRetentionMs`. Transitions are applied when due, on the next instance
 *   call (`settleInstances`), so they also complete across a restart.
 * - Lifecycle: StopInstances (stopping → stopped after `pendingMs`), StartInstances (stopped →
 *   pending, a new boot), RebootInstances, instance-initiated shutdown per
 *   InstanceInitiatedShutdownBehavior, DisableApiTermination (OperationNotPermitted),
 *   Modify/DescribeInstanceAttribute (instanceType and userData only while stopped).
 * - Gaps: hibernation, launch templates, IPv6, multiple network interfaces, volumes,
 *   public IPs, placement groups, spot.
 * - By design: there is no default VPC, so a request without SubnetId or NetworkInterface fails
 *   with VPCIdNotSpecified (what AWS answers in an account without one); ImageId must name an
 *   image (control/images/images.ts: the host image or one an administrator registered); the instance's ENI is
 *   deleted when the instance terminates (DeleteOnTermination is always true).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors } from '../errors.js';
import type { Tag } from '../model/common.js';
import type { Instance, RootVolumeSettings } from '../model/network.js';
import type { ConsoleOutput } from '../ports.js';
import type { Stored } from '../../store/store.js';
import { createNetworkInterface } from '../network/addresses.js';
import { checkIdShape, requireOwn, scopeOf } from '../network/core-lookup.js';
import { priorResourceFor, rememberClientToken } from '../client-token.js';
import { instanceRoom, quota } from '../quotas.js';
import { instanceTypeInfo } from './instance-types.js';
import { requireImage } from '../images/images.js';

/** AWS: user data is limited to 16 KB before base64 encoding. */
export const MAX_USER_DATA_BYTES = 16 * 1024;

export type InstanceState = Instance['state'];

export const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface NewInstances {
  imageId?: string;
  instanceType?: string;
  minCount: number;
  maxCount: number;
  subnetId?: string;
  privateIpAddress?: string;
  securityGroupIds: readonly string[];
  securityGroupNames: readonly string[];
  userData?: string;
  keyName?: string;
  clientToken?: string;
  instanceTags: readonly Tag[];
  interfaceTags: readonly Tag[];
  metadataOptions?: {
    httpTokens?: string;
    httpEndpoint?: string;
    httpPutResponseHopLimit?: number;
    instanceMetadataTags?: string;
  };
  /** Network interface description (NetworkInterface.1.Description). */
  interfaceDescription?: string;
  disableApiTermination?: boolean;
  instanceInitiatedShutdownBehavior?: string;
  rootVolume?: RootVolumeSettings;
  volumeTags?: readonly Tag[];
  cpuCredits?: string;
}

export interface Reservation {
  reservationId: string;
  ownerId: string;
  instances: Stored<'instance'>[];
}

/** Decodes base64 user data as EC2 does; refuses malformed or oversized input. */
export function decodeUserData(b64: string): Buffer {
  const compact = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw apiError('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
  }
  const raw = Buffer.from(compact, 'base64');
  if (raw.length > MAX_USER_DATA_BYTES) {
    throw apiError(
      'InvalidParameterValue',
      `User data is limited to ${MAX_USER_DATA_BYTES} bytes (got ${raw.length}).`,
    );
  }
  return raw;
}

function checkCounts(min: number, max: number): void {
  if (!Number.isInteger(min) || min < 1) {
    throw apiError(
      'InvalidParameterValue',
      `Value (${min}) for parameter minCount is invalid. Expected a positive integer.`,
    );
  }
  if (!Number.isInteger(max) || max < 1) {
    throw apiError(
      'InvalidParameterValue',
      `Value (${max}) for parameter maxCount is invalid. Expected a positive integer.`,
    );
  }
  if (max < min) {
    throw apiError(
      'InvalidParameterValue',
      `Value (${max}) for parameter maxCount is invalid. Expected a value greater than or equal to minCount (${min}).`,
    );
  }
}

function checkInstanceType(t: string): void {
  if (!instanceTypeInfo(t)) {
    throw apiError('InvalidParameterValue', `Invalid value '${t}' for InstanceType.`);
  }
}

/** CreditSpecification only applies to burstable types (AWS: InvalidParameterCombination otherwise). */
function creditsFor(instanceType: string, v: string | undefined): Instance['cpuCredits'] {
  if (v === undefined) return undefined;
  if (v !== 'standard' && v !== 'unlimited') throw Errors.invalidValue('CreditSpecification.CpuCredits', v);
  if (!instanceTypeInfo(instanceType)?.burstable) {
    throw apiError(
      'InvalidParameterCombination',
      `The parameter creditSpecification is not supported for instance type ${instanceType}.`,
    );
  }
  return v;
}

function checkImageId(control: Control, id: string | undefined): string {
  if (id === undefined) throw Errors.missingParameter('ImageId');
  requireImage(control, id);
  return id;
}

function enumOr<T extends string>(v: string | undefined, allowed: readonly T[], dflt: T, param: string): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw Errors.invalidValue(param, v);
  return v as T;
}

function metadataOptions(o: NewInstances['metadataOptions']): NonNullable<Instance['metadataOptions']> {
  const hop = o?.httpPutResponseHopLimit ?? 1;
  if (!Number.isInteger(hop) || hop < 1 || hop > 64) {
    throw Errors.invalidValue('MetadataOptions.HttpPutResponseHopLimit', String(hop), 'It must be 1-64.');
  }
  return {
    httpTokens: enumOr(o?.httpTokens, ['optional', 'required'], 'optional', 'MetadataOptions.HttpTokens'),
    httpEndpoint: enumOr(o?.httpEndpoint, ['enabled', 'disabled'], 'enabled', 'MetadataOptions.HttpEndpoint'),
    httpPutResponseHopLimit: hop,
    instanceMetadataTags: enumOr(
      o?.instanceMetadataTags,
      ['enabled', 'disabled'],
      'disabled',
      'MetadataOptions.InstanceMetadataTags',
    ),
  };
}

/** Security groups for the launch, all in the subnet's VPC. */
function resolveGroups(
  control: Control,
  caller: CallerContext,
  vpcId: string,
  ids: readonly string[],
  names: readonly string[],
): string[] {
  const out: string[] = [];
  const vpcGroups = control.store.list('securityGroup', scopeOf(caller)).filter((g) => g.vpcId === vpcId);
  for (const id of ids) {
    checkIdShape('securityGroup', id);
    if (!vpcGroups.some((g) => g.id === id)) {
      throw apiError('InvalidGroup.NotFound', `The security group '${id}' does not exist in VPC '${vpcId}'`);
    }
    if (!out.includes(id)) out.push(id);
  }
  for (const name of names) {
    const g = vpcGroups.find((x) => x.groupName === name);
    if (!g)
      throw apiError(
        'InvalidGroup.NotFound',
        `The security group '${name}' does not exist in VPC '${vpcId}'`,
      );
    if (!out.includes(g.id)) out.push(g.id);
  }
  if (out.length === 0) {
    const vpc = control.store.find('vpc', vpcId);
    if (vpc) out.push(vpc.defaultSecurityGroupId);
  }
  return out;
}

/**
 * Applies every transition that is due: pending → running and shutting-down → terminated after
 * `pendingMs`, terminated records purged after `deletedRetentionMs`. Called (inside the
 * request's transaction) at the start of every instance action.
 */
export function settleInstances(control: InstanceObserver): void {
  const now = control.clock.now();
  const { pendingMs, deletedRetentionMs } = control.config;
  for (const i of control.store.listAll('instance')) {
    if (i.state === 'pending' && now >= i.stateChangedAt + pendingMs) {
      control.store.put('instance', { ...i, state: 'running', stateChangedAt: i.stateChangedAt + pendingMs });
    } else if (i.state === 'stopping' && now >= i.stateChangedAt + pendingMs) {
      control.store.put('instance', { ...i, state: 'stopped', stateChangedAt: i.stateChangedAt + pendingMs });
    } else if (i.state === 'shutting-down' && now >= i.stateChangedAt + pendingMs) {
      control.store.put('instance', {
        ...i,
        state: 'terminated',
        stateChangedAt: i.stateChangedAt + pendingMs,
      });
    } else if (i.state === 'terminated' && now >= i.stateChangedAt + pendingMs + deletedRetentionMs) {
      control.store.delete('instance', i.id);
    }
  }
}

function liveCount(control: Control, caller: CallerContext): number {
  return control.store
    .list('instance', scopeOf(caller))
    .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').length;
}

function reservationOf(control: Control, caller: CallerContext, reservationId: string): Reservation {
  const instances = control.store
    .list('instance', scopeOf(caller))
    .filter((i) => i.reservationId === reservationId)
    .sort((a, b) => a.amiLaunchIndex - b.amiLaunchIndex);
  return { reservationId, ownerId: caller.accountId, instances };
}

export function runInstances(control: Control, caller: CallerContext, input: NewInstances): Reservation {
  settleInstances(control);
  const prior = priorResourceFor(control, caller, 'RunInstances', input.clientToken, input, (rid) =>
    control.store.list('instance', scopeOf(caller)).some((i) => i.reservationId === rid),
  );
  if (prior) return reservationOf(control, caller, prior);

  const imageId = checkImageId(control, input.imageId);
  const instanceType = input.instanceType ?? 't3.micro';
  checkInstanceType(instanceType);
  checkCounts(input.minCount, input.maxCount);
  if (input.privateIpAddress !== undefined && input.maxCount > 1) {
    throw apiError(
      'InvalidParameterCombination',
      'A private IP address can only be specified when launching a single instance (MaxCount=1).',
    );
  }
  let userData: string | undefined;
  if (input.userData !== undefined && input.userData !== '') {
    decodeUserData(input.userData);
    userData = input.userData.replace(/\s+/g, '');
  }
  const meta = metadataOptions(input.metadataOptions);
  const cpuCredits = creditsFor(instanceType, input.cpuCredits);
  const shutdownBehavior = enumOr(
    input.instanceInitiatedShutdownBehavior,
    ['stop', 'terminate'],
    'stop',
    'InstanceInitiatedShutdownBehavior',
  );
  if (input.subnetId === undefined) {
    throw apiError(
      'VPCIdNotSpecified',
      'No default VPC for this user. Specify a SubnetId (privlink has no default VPC).',
    );
  }
  const subnet = requireOwn(control, caller, 'subnet', input.subnetId);
  const groupIds = resolveGroups(
    control,
    caller,
    subnet.vpcId,
    input.securityGroupIds,
    input.securityGroupNames,
  );

  const free = quota(control, 'instancesPerRegion') - liveCount(control, caller);
  if (input.minCount > free) {
    throw apiError(
      'InstanceLimitExceeded',
      `You have requested more instances (${input.minCount}) than your current instance limit of ${quota(control, 'instancesPerRegion')} allows for the specified instance type.`,
    );
  }
  const count = Math.min(input.maxCount, free, instanceRoom(control, input.minCount));
  const now = control.clock.now();
  const reservationId = control.ids.resourceId('r');
  const instances: Stored<'instance'>[] = [];
  for (let n = 0; n < count; n++) {
    const id = control.ids.resourceId('i');
    const eni = createNetworkInterface(control, {
      subnet,
      interfaceType: 'interface',
      description: input.interfaceDescription ?? '',
      requesterManaged: false,
      groupIds,
      ownerResourceId: id,
      privateIpAddress: input.privateIpAddress,
      addressParam: 'PrivateIpAddress',
      accountId: caller.accountId,
    });
    control.store.put('networkInterface', {
      ...eni,
      tags: [...input.interfaceTags],
      attachment: {
        attachmentId: control.ids.resourceId('eni-attach'),
        instanceId: id,
        deviceIndex: 0,
        attachTime: now,
      },
    });
    const instance: Instance = {
      id,
      accountId: caller.accountId,
      region: caller.region,
      createdAt: now,
      tags: [...input.instanceTags],
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      availabilityZone: subnet.availabilityZone,
      privateIpAddress: eni.privateIpAddress,
      networkInterfaceId: eni.id,
      imageId,
      instanceType,
      keyName: input.keyName,
      securityGroupIds: groupIds,
      userData,
      state: 'pending',
      stateChangedAt: now,
      launchTime: now,
      amiLaunchIndex: n,
      reservationId,
      clientToken: input.clientToken,
      metadataOptions: meta,
      stateReason: { code: 'pending', message: 'pending' },
      stateTransitionReason: '',
      boots: 0,
      instanceInitiatedShutdownBehavior: shutdownBehavior,
      disableApiTermination: input.disableApiTermination ?? false,
      rootVolume: input.rootVolume,
      rootVolumeTags: input.volumeTags?.length ? [...input.volumeTags] : undefined,
      cpuCredits,
    };
    instances.push(control.store.put('instance', instance));
  }
  rememberClientToken(control, caller, 'RunInstances', input.clientToken, input, reservationId);
  return { reservationId, ownerId: caller.accountId, instances };
}

/** The caller's instances, narrowed to the requested IDs (unknown ID → NotFound for all). */
export function selectInstances(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): Stored<'instance'>[] {
  settleInstances(control);
  const all = control.store.list('instance', scopeOf(caller));
  if (ids.length === 0) return all;
  for (const id of ids) checkIdShape('instance', id);
  const have = new Set(all.map((i) => i.id));
  const missing = [...new Set(ids.filter((id) => !have.has(id)))];
  if (missing.length) throw Errors.instanceNotFound(missing.join(', '));
  const want = new Set(ids);
  return all.filter((i) => want.has(i.id));
}

/** Groups instances into reservations, in launch order (DescribeInstances). */
export function groupByReservation(instances: readonly Stored<'instance'>[]): Reservation[] {
  const out = new Map<string, Reservation>();
  for (const i of instances) {
    const r = out.get(i.reservationId) ?? {
      reservationId: i.reservationId,
      ownerId: i.accountId,
      instances: [],
    };
    r.instances.push(i);
    out.set(i.reservationId, r);
  }
  return [...out.values()];
}

export interface StateChange {
  instanceId: string;
  previous: InstanceState;
  current: InstanceState;
}

export function terminateInstances(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): StateChange[] {
  if (ids.length === 0) throw Errors.missingParameter('InstanceId');
  const targets = selectInstances(control, caller, ids);
  const now = control.clock.now();
  const byId = new Map(targets.map((i) => [i.id, i]));
  const changes: StateChange[] = [];
  for (const id of [...new Set(ids)]) {
    const i = byId.get(id);
    if (!i) continue;
    if (i.state === 'terminated' || i.state === 'shutting-down') {
      changes.push({ instanceId: id, previous: i.state, current: i.state });
      continue;
    }
    control.store.put('instance', {
      ...i,
      state: 'shutting-down',
      stateChangedAt: now,
      stateReason: {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
      stateTransitionReason: `User initiated (${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} GMT)`,
    });
    // DeleteOnTermination: the primary interface goes with the instance, freeing its address.
    control.store.delete('networkInterface', i.networkInterfaceId);
    changes.push({ instanceId: id, previous: i.state, current: 'shutting-down' });
  }
  return changes;
}

/** One instance of the caller, for GetConsoleOutput. */
export function requireInstance(control: Control, caller: CallerContext, id: string): Stored<'instance'> {
  settleInstances(control);
  return requireOwn(control, caller, 'instance', id);
}

/** The instance's console as the ConsoleOutputSource port reports it. */
export function consoleOutputOf(control: Control, instanceId: string): ConsoleOutput | undefined {
  return control.console.consoleOutputOf(instanceId);
}

function gmt(now: number): string {
  return `${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} GMT`;
}

function incorrectState(id: string, what: string): Error {
  return apiError(
    'IncorrectInstanceState',
    `The instance '${id}' is not in a state from which it can be ${what}.`,
  );
}

const USER_SHUTDOWN = {
  code: 'Client.UserInitiatedShutdown',
  message: 'Client.UserInitiatedShutdown: User initiated shutdown',
};

/** StopInstances: running/pending → stopping (→ stopped after pendingMs); stopped ones unchanged. */
export function stopInstances(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): StateChange[] {
  if (ids.length === 0) throw Errors.missingParameter('InstanceId');
  const targets = selectInstances(control, caller, ids);
  for (const i of targets) {
    if (i.state === 'terminated' || i.state === 'shutting-down') throw incorrectState(i.id, 'stopped');
  }
  const now = control.clock.now();
  return targets.map((i) => {
    if (i.state === 'stopped' || i.state === 'stopping') {
      return { instanceId: i.id, previous: i.state, current: i.state };
    }
    control.store.put('instance', {
      ...i,
      state: 'stopping',
      stateChangedAt: now,
      stateReason: USER_SHUTDOWN,
      stateTransitionReason: `User initiated (${gmt(now)})`,
    });
    return { instanceId: i.id, previous: i.state, current: 'stopping' };
  });
}

/** StartInstances: stopped → pending (a new boot: user data does not run again). */
export function startInstances(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): StateChange[] {
  if (ids.length === 0) throw Errors.missingParameter('InstanceId');
  const targets = selectInstances(control, caller, ids);
  for (const i of targets) {
    if (i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending') {
      throw incorrectState(i.id, 'started');
    }
  }
  const now = control.clock.now();
  return targets.map((i) => {
    if (i.state !== 'stopped') return { instanceId: i.id, previous: i.state, current: i.state };
    control.store.put('instance', {
      ...i,
      state: 'pending',
      stateChangedAt: now,
      // AWS: LaunchTime is the last start, not the first launch.
      launchTime: now,
      boots: (i.boots ?? 0) + 1,
      stateReason: { code: 'pending', message: 'pending' },
      stateTransitionReason: '',
    });
    return { instanceId: i.id, previous: 'stopped', current: 'pending' };
  });
}

/** RebootInstances: a new boot of a running instance (same root volume, no user data). */
export function rebootInstances(control: Control, caller: CallerContext, ids: readonly string[]): void {
  if (ids.length === 0) throw Errors.missingParameter('InstanceId');
  const targets = selectInstances(control, caller, ids);
  for (const i of targets) {
    if (i.state !== 'running' && i.state !== 'pending') throw incorrectState(i.id, 'rebooted');
  }
  for (const i of targets) control.store.put('instance', { ...i, boots: (i.boots ?? 0) + 1 });
}

/** TerminateInstances refuses instances with DisableApiTermination, as AWS does (nothing changes). */
export function checkTerminationAllowed(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): void {
  for (const i of selectInstances(control, caller, ids)) {
    if (i.disableApiTermination && i.state !== 'terminated') {
      throw apiError(
        'OperationNotPermitted',
        `The instance '${i.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      );
    }
  }
}

/**
 * The instance itself asked to power off (`poweroff`/`shutdown -h` inside) or its init died: it
 * stops or terminates per InstanceInitiatedShutdownBehavior. Called by the data plane.
 */
/** What the data plane needs to record an instance transition it observed. */
export type InstanceObserver = Pick<Control, 'store' | 'clock'> & {
  config: Pick<Control['config'], 'pendingMs' | 'deletedRetentionMs'>;
};

export function instanceInitiatedShutdown(control: InstanceObserver, id: string, crashed = false): void {
  control.store.transaction(() => {
    settleInstances(control);
    const i = control.store.find('instance', id);
    if (!i || (i.state !== 'running' && i.state !== 'pending')) return;
    const now = control.clock.now();
    const reason = crashed
      ? { code: 'Server.InternalError', message: "Server.InternalError: The instance's init exited" }
      : {
          code: 'Client.InstanceInitiatedShutdown',
          message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
        };
    const terminate = !crashed && i.instanceInitiatedShutdownBehavior === 'terminate';
    control.store.put('instance', {
      ...i,
      state: terminate ? 'shutting-down' : 'stopping',
      stateChangedAt: now,
      stateReason: reason,
      stateTransitionReason: `User initiated (${gmt(now)})`,
    });
    if (terminate) control.store.delete('networkInterface', i.networkInterfaceId);
  });
}

/** The instance rebooted itself (`reboot` inside). */
export function instanceInitiatedReboot(control: InstanceObserver, id: string): void {
  control.store.transaction(() => {
    const i = control.store.find('instance', id);
    if (!i || (i.state !== 'running' && i.state !== 'pending')) return;
    control.store.put('instance', { ...i, boots: (i.boots ?? 0) + 1 });
  });
}

/** A sandbox could not start (for example its image directory vanished): the instance stops. */
export function instanceFailedToStart(control: InstanceObserver, id: string, message: string): void {
  control.store.transaction(() => {
    const i = control.store.find('instance', id);
    if (!i || (i.state !== 'running' && i.state !== 'pending')) return;
    const now = control.clock.now();
    control.store.put('instance', {
      ...i,
      state: 'stopping',
      stateChangedAt: now,
      stateReason: { code: 'Server.InternalError', message: `Server.InternalError: ${message}` },
      stateTransitionReason: `Server error (${gmt(now)})`,
    });
  });
}

export type InstanceAttributeName =
  'instanceType' | 'userData' | 'disableApiTermination' | 'instanceInitiatedShutdownBehavior';

export interface AttributeChange {
  instanceType?: string;
  userData?: string;
  disableApiTermination?: boolean;
  instanceInitiatedShutdownBehavior?: string;
}

/** ModifyInstanceAttribute: type and user data only while stopped (IncorrectInstanceState). */
export function modifyInstanceAttribute(
  control: Control,
  caller: CallerContext,
  id: string,
  change: AttributeChange,
): void {
  const [i] = selectInstances(control, caller, [id]);
  if (!i) throw Errors.instanceNotFound(id);
  const set = Object.values(change).filter((v) => v !== undefined).length;
  if (set === 0) throw Errors.missingParameter('Attribute');
  if (set > 1) {
    throw apiError('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
  }
  let next: Instance = { ...i, tags: [...i.tags] } as Instance;
  if (change.instanceType !== undefined || change.userData !== undefined) {
    if (i.state !== 'stopped') {
      throw apiError('IncorrectInstanceState', `The instance '${id}' is not in the 'stopped' state.`);
    }
  }
  if (change.instanceType !== undefined) {
    checkInstanceType(change.instanceType);
    next = { ...next, instanceType: change.instanceType };
  }
  if (change.userData !== undefined) {
    if (change.userData !== '') decodeUserData(change.userData);
    next = { ...next, userData: change.userData === '' ? undefined : change.userData.replace(/\s+/g, '') };
  }
  if (change.disableApiTermination !== undefined) {
    next = { ...next, disableApiTermination: change.disableApiTermination };
  }
  if (change.instanceInitiatedShutdownBehavior !== undefined) {
    const v = change.instanceInitiatedShutdownBehavior;
    if (v !== 'stop' && v !== 'terminate') {
      throw Errors.invalidValue('InstanceInitiatedShutdownBehavior', v);
    }
    next = { ...next, instanceInitiatedShutdownBehavior: v };
  }
  control.store.put('instance', next);
}
