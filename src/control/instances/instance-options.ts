/**
 * Instance options changed after launch: ModifyInstanceMetadataOptions (the IMDS settings the
 * metadata server reads on every request, so HttpTokens=required and HttpEndpoint=disabled take
 * effect at once) and the CPU credit mode of burstable types.
 *
 * Fidelity ledger (EC2 API reference ModifyInstanceMetadataOptions,
 * DescribeInstanceCreditSpecifications, 2025)
 * - Covered: HttpTokens, HttpEndpoint, HttpPutResponseHopLimit (1–64), InstanceMetadataTags; an
 *   omitted member keeps its value; a terminated instance → IncorrectInstanceState; credit mode
 *   from launch or the type's default (t2 standard, t3/t3a/t4g unlimited), none for other types.
 * - Gaps: HttpProtocolIpv6=enabled answers UnsupportedOperation (privlink has no IPv6).
 * - By design: the change is applied synchronously; the answer says `pending` as AWS's does and
 *   DescribeInstances says `applied` at once.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors } from '../errors.js';
import type { Instance } from '../model/network.js';
import type { Stored } from '../../store/store.js';
import { requireInstance } from './instances.js';
import { instanceTypeInfo } from './instance-types.js';

export interface MetadataChange {
  httpTokens?: string;
  httpEndpoint?: string;
  httpPutResponseHopLimit?: number;
  instanceMetadataTags?: string;
  httpProtocolIpv6?: string;
}

export type MetadataOptions = NonNullable<Instance['metadataOptions']>;

export const DEFAULT_METADATA_OPTIONS: MetadataOptions = {
  httpTokens: 'optional',
  httpEndpoint: 'enabled',
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: 'disabled',
};

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], keep: T, param: string): T {
  if (v === undefined) return keep;
  if (!(allowed as readonly string[]).includes(v)) throw Errors.invalidValue(param, v);
  return v as T;
}

export function modifyMetadataOptions(
  control: Control,
  caller: CallerContext,
  id: string,
  change: MetadataChange,
): { instance: Stored<'instance'>; options: MetadataOptions } {
  const i = requireInstance(control, caller, id);
  if (i.state === 'terminated' || i.state === 'shutting-down') {
    throw apiError(
      'IncorrectInstanceState',
      `The instance '${id}' is not in a state from which it can be modified.`,
    );
  }
  const old = i.metadataOptions ?? DEFAULT_METADATA_OPTIONS;
  const hop = change.httpPutResponseHopLimit ?? old.httpPutResponseHopLimit;
  if (!Number.isInteger(hop) || hop < 1 || hop > 64) {
    throw Errors.invalidValue('HttpPutResponseHopLimit', String(hop), 'It must be 1-64.');
  }
  oneOf(change.httpProtocolIpv6, ['enabled', 'disabled'], 'disabled', 'HttpProtocolIpv6');
  if (change.httpProtocolIpv6 === 'enabled') {
    throw apiError('UnsupportedOperation', 'privlink has no IPv6: HttpProtocolIpv6=enabled is not supported');
  }
  const options: MetadataOptions = {
    httpTokens: oneOf(change.httpTokens, ['optional', 'required'], old.httpTokens, 'HttpTokens'),
    httpEndpoint: oneOf(change.httpEndpoint, ['enabled', 'disabled'], old.httpEndpoint, 'HttpEndpoint'),
    httpPutResponseHopLimit: hop,
    instanceMetadataTags: oneOf(
      change.instanceMetadataTags,
      ['enabled', 'disabled'],
      old.instanceMetadataTags,
      'InstanceMetadataTags',
    ),
  };
  const instance = control.store.put('instance', { ...i, metadataOptions: options });
  return { instance, options };
}

/** The credit mode DescribeInstanceCreditSpecifications reports; undefined for non-burstable types. */
export function cpuCreditsOf(i: Stored<'instance'>): 'standard' | 'unlimited' | undefined {
  const info = instanceTypeInfo(i.instanceType);
  if (!info?.burstable) return undefined;
  return i.cpuCredits ?? info.defaultCredits;
}
