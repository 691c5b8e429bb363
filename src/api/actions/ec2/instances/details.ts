/**
 * EC2 reads and writes around instances that infrastructure tools make on every plan:
 * DescribeInstanceTypes, DescribeInstanceCreditSpecifications, ModifyInstanceMetadataOptions,
 * DescribeVolumes (each instance's root volume) and DescribeAccountAttributes — wire ↔ control
 * (control/instances/{instance-types,instance-options,volumes}.ts).
 *
 * Fidelity ledger (EC2 API reference, 2025)
 * - Covered: DescribeInstanceTypes InstanceType.N (an unknown one → InvalidInstanceType), filters
 *   instance-type, current-generation, burstable-performance-supported, free-tier-eligible,
 *   hypervisor, processor-info.supported-architecture, vcpu-info.default-vcpus,
 *   memory-info.size-in-mib, MaxResults 5–100. DescribeInstanceCreditSpecifications InstanceId.N,
 *   filter instance-id, burstable instances only. ModifyInstanceMetadataOptions every member.
 *   DescribeVolumes VolumeId.N (unknown → InvalidVolume.NotFound), filters volume-id, status,
 *   size, volume-type, availability-zone, create-time, encrypted, snapshot-id,
 *   multi-attach-enabled, attachment.{instance-id, device, status, attach-time,
 *   delete-on-termination}, tag:*, tag-key; MaxResults 5–500. DescribeAccountAttributes
 *   supported-platforms (VPC), default-vpc (none), max-instances (the instance quota),
 *   vpc-max-security-groups-per-interface (5), max-elastic-ips and vpc-max-elastic-ips (0:
 *   privlink has no Elastic IPs).
 * - Gaps: DescribeInstanceTypes' network and clock figures are rounded per size (see the table).
 * - By design: volumes other than root volumes do not exist (see control/instances/volumes.ts).
 */
import { apiError, Errors } from '../../../../control/errors.js';
import type { FilterTable } from '../../../../control/filters.js';
import { INSTANCE_TYPES, type InstanceTypeInfo } from '../../../../control/instances/instance-types.js';
import { cpuCreditsOf, modifyMetadataOptions } from '../../../../control/instances/instance-options.js';
import { selectInstances } from '../../../../control/instances/instances.js';
import { listRootVolumes, ROOT_DEVICE, type RootVolume } from '../../../../control/instances/volumes.js';
import { quota } from '../../../../control/quotas.js';
import { isoTime } from '../../../../shared/clock.js';
import type { Stored } from '../../../../control/model/kinds.js';
import type { XmlTree } from '../../../query/encode.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2InstanceDetailAction } from '../names.js';
import { filterAndPage, paging, tagSet } from '../core/common.js';

const strList = s.list(s.str());

const typeFilters: FilterTable<InstanceTypeInfo & { tags?: undefined }> = {
  'instance-type': (t) => t.name,
  'current-generation': () => 'true',
  'burstable-performance-supported': (t) => String(t.burstable),
  'free-tier-eligible': (t) => String(t.freeTier),
  hypervisor: (t) => t.hypervisor,
  'processor-info.supported-architecture': (t) => t.architecture,
  'vcpu-info.default-vcpus': (t) => String(t.vcpus),
  'memory-info.size-in-mib': (t) => String(t.memoryMiB),
};

function renderType(t: InstanceTypeInfo): XmlTree {
  return {
    instanceType: t.name,
    currentGeneration: true,
    freeTierEligible: t.freeTier,
    supportedUsageClasses: ['on-demand', 'spot'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    bareMetal: false,
    hypervisor: t.hypervisor,
    processorInfo: { supportedArchitectures: [t.architecture], sustainedClockSpeedInGhz: t.clockGhz },
    vCpuInfo: {
      defaultVCpus: t.vcpus,
      defaultCores: t.cores,
      defaultThreadsPerCore: t.threadsPerCore,
      validCores: Array.from({ length: t.cores }, (_, n) => n + 1),
      validThreadsPerCore: t.threadsPerCore === 2 ? [1, 2] : [1],
    },
    memoryInfo: { sizeInMiB: t.memoryMiB },
    instanceStorageSupported: false,
    ebsInfo: {
      ebsOptimizedSupport: t.hypervisor === 'xen' ? 'unsupported' : 'default',
      encryptionSupport: 'supported',
      nvmeSupport: t.hypervisor === 'nitro' ? 'required' : 'unsupported',
    },
    networkInfo: {
      networkPerformance: t.networkPerformance,
      maximumNetworkCards: 1,
      defaultNetworkCardIndex: 0,
      maximumNetworkInterfaces: t.maxInterfaces,
      ipv4AddressesPerInterface: t.ipv4PerInterface,
      ipv6AddressesPerInterface: t.ipv4PerInterface,
      ipv6Supported: true,
      enaSupport: t.hypervisor === 'nitro' ? 'required' : 'unsupported',
      efaSupported: false,
      encryptionInTransitSupported: false,
    },
    placementGroupInfo: { supportedStrategies: ['partition', 'spread'] },
    hibernationSupported: t.hypervisor === 'nitro' && t.architecture === 'x86_64',
    burstablePerformanceSupported: t.burstable,
    dedicatedHostsSupported: !t.burstable,
    autoRecoverySupported: true,
    supportedBootModes: t.architecture === 'arm64' ? ['uefi'] : ['legacy-bios', 'uefi'],
    nitroEnclavesSupport: 'unsupported',
    nitroTpmSupport: t.hypervisor === 'nitro' ? 'supported' : 'unsupported',
    phcSupport: 'unsupported',
  };
}

const volumeFilters: FilterTable<RootVolume> = {
  'volume-id': (v) => v.id,
  status: () => 'in-use',
  size: (v) => String(v.sizeGiB),
  'volume-type': (v) => v.volumeType,
  'availability-zone': (v) => v.availabilityZone,
  'create-time': (v) => isoTime(v.createTime),
  encrypted: (v) => String(v.encrypted),
  'snapshot-id': () => '',
  'multi-attach-enabled': () => 'false',
  'attachment.instance-id': (v) => v.instanceId,
  'attachment.device': () => ROOT_DEVICE,
  'attachment.status': () => 'attached',
  'attachment.attach-time': (v) => isoTime(v.createTime),
  'attachment.delete-on-termination': (v) => String(v.deleteOnTermination),
};

/** The root volume as DescribeInstances' blockDeviceMapping item. */
export function rootBlockDevice(v: RootVolume): XmlTree {
  return {
    deviceName: ROOT_DEVICE,
    ebs: {
      volumeId: v.id,
      status: 'attached',
      attachTime: isoTime(v.createTime),
      deleteOnTermination: v.deleteOnTermination,
    },
  };
}

function renderVolume(v: RootVolume): XmlTree {
  return {
    volumeId: v.id,
    size: v.sizeGiB,
    snapshotId: '',
    availabilityZone: v.availabilityZone,
    status: 'in-use',
    createTime: isoTime(v.createTime),
    attachmentSet: [
      {
        volumeId: v.id,
        instanceId: v.instanceId,
        device: ROOT_DEVICE,
        status: 'attached',
        attachTime: isoTime(v.createTime),
        deleteOnTermination: v.deleteOnTermination,
      },
    ],
    volumeType: v.volumeType,
    iops: v.iops,
    throughput: v.volumeType === 'gp3' ? v.throughput : undefined,
    encrypted: v.encrypted,
    multiAttachEnabled: false,
    tagSet: v.tags.length ? tagSet(v.tags) : undefined,
  };
}

const ACCOUNT_ATTRIBUTES = [
  'supported-platforms',
  'default-vpc',
  'max-instances',
  'vpc-max-security-groups-per-interface',
  'max-elastic-ips',
  'vpc-max-elastic-ips',
] as const;

function noBothIdsAndPaging(
  ids: readonly string[],
  input: { MaxResults?: number; NextToken?: string },
  what: string,
) {
  if (ids.length && (input.MaxResults !== undefined || input.NextToken !== undefined)) {
    throw apiError(
      'InvalidParameterCombination',
      `The parameter ${what} cannot be used with the parameter maxResults`,
    );
  }
}

const creditFilters: FilterTable<Stored<'instance'>> = { 'instance-id': (i) => i.id };

export const INSTANCE_DETAIL_ACTIONS: Record<Ec2InstanceDetailAction, ActionDef> = {
  DescribeInstanceTypes: defineAction(
    s.struct({ ...common, ...paging, InstanceType: strList, Filter: s.list(filterShape) }),
    (input) => {
      const missing = input.InstanceType.filter((t) => !INSTANCE_TYPES.has(t));
      if (missing.length) {
        throw apiError(
          'InvalidInstanceType',
          `The following supplied instance types do not exist: [${missing.join(', ')}]`,
        );
      }
      const wanted = input.InstanceType.length
        ? input.InstanceType.map((t) => INSTANCE_TYPES.get(t)).filter((t) => t !== undefined)
        : [...INSTANCE_TYPES.values()];
      const page = filterAndPage(wanted, input.Filter, typeFilters, (t) => t.name, input, {
        min: 5,
        max: 100,
      });
      return { instanceTypeSet: page.items.map(renderType), nextToken: page.nextToken };
    },
  ),

  DescribeInstanceCreditSpecifications: defineAction(
    s.struct({ ...common, ...paging, InstanceId: strList, Filter: s.list(filterShape) }),
    (input, ctx) => {
      noBothIdsAndPaging(input.InstanceId, input, 'instanceId');
      const all = selectInstances(ctx.control, ctx, input.InstanceId).filter(
        (i) => i.state !== 'terminated' && cpuCreditsOf(i) !== undefined,
      );
      const page = filterAndPage(all, input.Filter, creditFilters, (i) => i.id, input);
      return {
        instanceCreditSpecificationSet: page.items.map((i) => ({
          instanceId: i.id,
          cpuCredits: cpuCreditsOf(i),
        })),
        nextToken: page.nextToken,
      };
    },
  ),

  ModifyInstanceMetadataOptions: defineAction(
    s.struct({
      ...common,
      InstanceId: s.str({ required: true }),
      HttpTokens: s.str(),
      HttpPutResponseHopLimit: s.int(),
      HttpEndpoint: s.str(),
      HttpProtocolIpv6: s.str(),
      InstanceMetadataTags: s.str(),
    }),
    (input, ctx) => {
      const { instance, options } = modifyMetadataOptions(ctx.control, ctx, input.InstanceId, {
        httpTokens: input.HttpTokens,
        httpEndpoint: input.HttpEndpoint,
        httpPutResponseHopLimit: input.HttpPutResponseHopLimit,
        instanceMetadataTags: input.InstanceMetadataTags,
        httpProtocolIpv6: input.HttpProtocolIpv6,
      });
      return {
        instanceId: instance.id,
        instanceMetadataOptions: {
          state: 'pending',
          httpTokens: options.httpTokens,
          httpPutResponseHopLimit: options.httpPutResponseHopLimit,
          httpEndpoint: options.httpEndpoint,
          httpProtocolIpv6: 'disabled',
          instanceMetadataTags: options.instanceMetadataTags,
        },
      };
    },
  ),

  DescribeVolumes: defineAction(
    s.struct({ ...common, ...paging, VolumeId: strList, Filter: s.list(filterShape) }),
    (input, ctx) => {
      noBothIdsAndPaging(input.VolumeId, input, 'volumeId');
      for (const id of input.VolumeId) {
        if (!/^vol-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
          throw apiError('InvalidVolumeID.Malformed', `Invalid id: "${id}" (expecting "vol-...")`);
        }
      }
      const all = listRootVolumes(ctx.control, ctx);
      const missing = input.VolumeId.filter((id) => !all.some((v) => v.id === id));
      if (missing.length) {
        throw apiError('InvalidVolume.NotFound', `The volume '${missing.join("', '")}' does not exist.`);
      }
      const chosen = input.VolumeId.length ? all.filter((v) => input.VolumeId.includes(v.id)) : all;
      const page = filterAndPage(chosen, input.Filter, volumeFilters, (v) => v.id, input, {
        min: 5,
        max: 500,
      });
      return { volumeSet: page.items.map(renderVolume), nextToken: page.nextToken };
    },
  ),

  DescribeAccountAttributes: defineAction(s.struct({ ...common, AttributeName: strList }), (input, ctx) => {
    for (const name of input.AttributeName) {
      if (!(ACCOUNT_ATTRIBUTES as readonly string[]).includes(name))
        throw Errors.invalidValue('AttributeName', name);
    }
    const values: Record<(typeof ACCOUNT_ATTRIBUTES)[number], string[]> = {
      'supported-platforms': ['VPC'],
      'default-vpc': ['none'],
      'max-instances': [String(quota(ctx.control, 'instancesPerRegion'))],
      'vpc-max-security-groups-per-interface': ['5'],
      'max-elastic-ips': ['0'],
      'vpc-max-elastic-ips': ['0'],
    };
    const names = input.AttributeName.length ? input.AttributeName : ACCOUNT_ATTRIBUTES;
    return {
      accountAttributeSet: names.map((n) => ({
        attributeName: n,
        attributeValueSet: (values[n as keyof typeof values] ?? []).map((v) => ({ attributeValue: v })),
      })),
    };
  }),
};
