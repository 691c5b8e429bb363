/**
 * Each instance's root EBS volume as EC2 shows it (DescribeVolumes, DescribeInstances
 * blockDeviceMapping, tags on its `vol-` ID). The volume is not a stored resource of its own: it
 * is derived from the instance record, so its ID is stable for the instance's life and it goes
 * away when the instance is terminated (DeleteOnTermination, AWS's default for root volumes).
 *
 * Fidelity ledger (EC2 API reference: Volume, EbsInstanceBlockDevice, 2025)
 * - Covered: one root volume per instance at /dev/xvda, in-use and attached while the instance
 *   exists (stopped included), size/type/IOPS/throughput from the launch BlockDeviceMapping or AWS's
 *   8 GiB gp3 (3000 IOPS, 125 MiB/s) default, the instance's zone, tags.
 * - Gaps: CreateVolume/AttachVolume/ModifyVolume/snapshots (UnsupportedOperation); a root volume
 *   with DeleteOnTermination=false is still removed with its instance.
 * - By design: the volume's storage is the sandbox's overlay root (dataplane/instances/root-volume.ts);
 *   its size is not enforced.
 */
import { createHash } from 'node:crypto';
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import type { Tag } from '../model/common.js';
import type { RootVolumeSettings } from '../model/network.js';
import type { Stored } from '../../store/store.js';
import { scopeOf } from '../network/core-lookup.js';

export const ROOT_DEVICE = '/dev/xvda';

export const DEFAULT_ROOT_VOLUME: RootVolumeSettings = {
  sizeGiB: 8,
  volumeType: 'gp3',
  deleteOnTermination: true,
  iops: 3000,
  throughput: 125,
  encrypted: false,
};

export interface RootVolume extends RootVolumeSettings {
  id: string;
  instanceId: string;
  availabilityZone: string;
  createTime: number;
  tags: readonly Tag[];
  accountId: string;
  region: string;
}

/** `vol-` + 17 hex, a function of the instance ID so every read names the same volume. */
export function rootVolumeId(instanceId: string): string {
  return 'vol-' + createHash('sha256').update(`root:${instanceId}`).digest('hex').slice(0, 17);
}

export function hasRootVolume(i: Stored<'instance'>): boolean {
  return i.state !== 'terminated';
}

export function rootVolumeOf(i: Stored<'instance'>): RootVolume {
  return {
    ...(i.rootVolume ?? DEFAULT_ROOT_VOLUME),
    id: rootVolumeId(i.id),
    instanceId: i.id,
    availabilityZone: i.availabilityZone,
    createTime: i.createdAt,
    tags: i.rootVolumeTags ?? [],
    accountId: i.accountId,
    region: i.region,
  };
}

/** The instances of the caller that still have their root volume. */
export function listRootVolumes(control: Control, caller: CallerContext): RootVolume[] {
  return control.store
    .list('instance', scopeOf(caller))
    .filter(hasRootVolume)
    .map(rootVolumeOf)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The instance owning `volumeId`, if that volume exists for the caller. */
export function instanceOfVolume(
  control: Control,
  caller: CallerContext,
  volumeId: string,
): Stored<'instance'> | undefined {
  return control.store
    .list('instance', scopeOf(caller))
    .find((i) => hasRootVolume(i) && rootVolumeId(i.id) === volumeId);
}

/** Sizes and types AWS accepts for a root volume (gp2/gp3 1–16384 GiB …). */
export const VOLUME_TYPES: readonly RootVolumeSettings['volumeType'][] = [
  'gp2',
  'gp3',
  'io1',
  'io2',
  'st1',
  'sc1',
  'standard',
];
