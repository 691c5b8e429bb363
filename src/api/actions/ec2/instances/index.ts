/**
 * EC2 actions of the instances group: RunInstances, DescribeInstances, TerminateInstances,
 * GetConsoleOutput, DescribeInstanceStatus, Stop/Start/RebootInstances,
 * Describe/ModifyInstanceAttribute, DescribeImages (images.ts) — wire ↔ control (control/instances/instances.ts).
 *
 * Fidelity ledger (EC2 API reference and the SDK's Reservation/Instance shapes, 2025)
 * - Covered: every request member of the five actions is accepted by the shapes; output trees
 *   follow `Reservation`/`Instance`/`InstanceNetworkInterface`/`InstanceStatus` element names.
 *   DescribeInstances filters: instance-id, instance-state-name, instance-state-code,
 *   instance-type, image-id, vpc-id, subnet-id, private-ip-address, private-dns-name,
 *   availability-zone, reservation-id, owner-id, network-interface.network-interface-id,
 *   instance.group-id, tag:*, tag-key; MaxResults 5–1000 with NextToken.
 *   DescribeInstanceStatus: running instances only unless IncludeAllInstances; filters
 *   availability-zone, instance-state-name, instance-state-code, instance-status.status,
 *   system-status.status.
 *   ModifyInstanceAttribute: instanceType, userData, disableApiTermination,
 *   instanceInitiatedShutdownBehavior, as `Attribute`+`Value` or `X.Value`; DescribeInstanceAttribute
 *   answers every InstanceAttributeName.
 * - Gaps: StopInstances Hibernate; modifying other attributes (UnsupportedOperation);
 *   LaunchTemplate, IPv6, secondary interfaces, existing NetworkInterfaceId, more than one
 *   network interface, block device mappings other than the root device answer
 *   UnsupportedOperation; monitoring, placement, CPU/hibernation options are accepted and ignored.
 *   The root device's size/type/IOPS and CreditSpecification are kept (instances/details.ts
 *   reads them back).
 * - By design: see control/instances/instances.ts (no default VPC; ImageId names a registered image or, well-formed and unknown, the host image).
 */
import { apiError, Errors } from '../../../../control/errors.js';
import type { Control } from '../../../../control/control.js';
import {
  availabilityZoneIdOf,
  networkInterfaceById,
  securityGroupName,
} from '../../../../control/network/core-lookup.js';
import type { FilterTable } from '../../../../control/filters.js';
import type { Stored } from '../../../../control/model/kinds.js';
import {
  STATE_CODES,
  checkTerminationAllowed,
  modifyInstanceAttribute,
  rebootInstances,
  startInstances,
  stopInstances,
  type AttributeChange,
  type StateChange,
  consoleOutputOf,
  groupByReservation,
  requireInstance,
  runInstances,
  selectInstances,
  terminateInstances,
  type InstanceState,
  type Reservation,
} from '../../../../control/instances/instances.js';
import { tagsFromSpecifications } from '../../../../control/tags.js';
import { instanceTypeInfo } from '../../../../control/instances/instance-types.js';
import {
  DEFAULT_ROOT_VOLUME,
  hasRootVolume,
  ROOT_DEVICE,
  rootVolumeOf,
  VOLUME_TYPES,
} from '../../../../control/instances/volumes.js';
import type { RootVolumeSettings } from '../../../../control/model/network.js';
import { rootBlockDevice } from './details.js';
import type { Tag } from '../../../../control/model/common.js';
import { isoTime } from '../../../../shared/clock.js';
import { common, filterShape, s, tagSpecificationShape } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2InstanceAction } from '../names.js';
import { filterAndPage, paging, privateDnsName, tagSet } from '../core/common.js';
import { IMAGE_ACTIONS } from './images.js';
import type { ReachabilityStatus } from '../../../../control/ports.js';

const requiredInt = s.int({ required: true });
const strList = s.list(s.str());

const ebsShape = s.struct({
  DeleteOnTermination: s.bool(),
  Iops: s.int(),
  SnapshotId: s.str(),
  VolumeSize: s.int(),
  VolumeType: s.str(),
  KmsKeyId: s.str(),
  Throughput: s.int(),
  OutpostArn: s.str(),
  AvailabilityZone: s.str(),
  Encrypted: s.bool(),
  VolumeInitializationRate: s.int(),
  AvailabilityZoneId: s.str(),
  EbsCardIndex: s.int(),
});

const networkInterfaceShape = s.struct({
  AssociatePublicIpAddress: s.bool(),
  DeleteOnTermination: s.bool(),
  Description: s.str(),
  DeviceIndex: s.int(),
  SecurityGroupId: strList,
  Ipv6AddressCount: s.int(),
  Ipv6Addresses: s.list(s.struct({ Ipv6Address: s.str(), IsPrimaryIpv6: s.bool() })),
  NetworkInterfaceId: s.str(),
  PrivateIpAddress: s.str(),
  PrivateIpAddresses: s.list(s.struct({ Primary: s.bool(), PrivateIpAddress: s.str() })),
  SecondaryPrivateIpAddressCount: s.int(),
  SubnetId: s.str(),
  AssociateCarrierIpAddress: s.bool(),
  InterfaceType: s.str(),
  NetworkCardIndex: s.int(),
  Ipv4Prefix: s.list(s.struct({ Ipv4Prefix: s.str() })),
  Ipv4PrefixCount: s.int(),
  Ipv6Prefix: s.list(s.struct({ Ipv6Prefix: s.str() })),
  Ipv6PrefixCount: s.int(),
  PrimaryIpv6: s.bool(),
  EnaSrdSpecification: s.struct({
    EnaSrdEnabled: s.bool(),
    EnaSrdUdpSpecification: s.struct({ EnaSrdUdpEnabled: s.bool() }),
  }),
  ConnectionTrackingSpecification: s.struct({
    TcpEstablishedTimeout: s.int(),
    UdpStreamTimeout: s.int(),
    UdpTimeout: s.int(),
  }),
  EnaQueueCount: s.int(),
});

const runInstancesShape = s.struct({
  ...common,
  MaxCount: requiredInt,
  MinCount: requiredInt,
  BlockDeviceMapping: s.list(
    s.struct({ Ebs: ebsShape, NoDevice: s.str(), DeviceName: s.str(), VirtualName: s.str() }),
  ),
  ImageId: s.str(),
  InstanceType: s.str(),
  Ipv6AddressCount: s.int(),
  Ipv6Address: s.list(s.struct({ Ipv6Address: s.str(), IsPrimaryIpv6: s.bool() })),
  KernelId: s.str(),
  KeyName: s.str(),
  Monitoring: s.struct({ Enabled: s.bool(), MetricCategoryId: strList }),
  Placement: s.struct({
    AvailabilityZoneId: s.str(),
    Affinity: s.str(),
    GroupName: s.str(),
    PartitionNumber: s.int(),
    HostId: s.str(),
    Tenancy: s.str(),
    SpreadDomain: s.str(),
    HostResourceGroupArn: s.str(),
    GroupId: s.str(),
    AvailabilityZone: s.str(),
  }),
  RamdiskId: s.str(),
  SecurityGroupId: strList,
  SecurityGroup: strList,
  SubnetId: s.str(),
  UserData: s.str(),
  ElasticGpuSpecification: s.list(s.struct({ Type: s.str() })),
  ElasticInferenceAccelerator: s.list(s.struct({ Type: s.str(), Count: s.int() })),
  TagSpecification: s.list(tagSpecificationShape),
  LaunchTemplate: s.struct({ LaunchTemplateId: s.str(), LaunchTemplateName: s.str(), Version: s.str() }),
  InstanceMarketOptions: s.struct({
    MarketType: s.str(),
    SpotOptions: s.struct({
      MaxPrice: s.str(),
      SpotInstanceType: s.str(),
      BlockDurationMinutes: s.int(),
      ValidUntil: s.str(),
      InstanceInterruptionBehavior: s.str(),
    }),
  }),
  CreditSpecification: s.struct({ CpuCredits: s.str() }),
  CpuOptions: s.struct({
    CoreCount: s.int(),
    ThreadsPerCore: s.int(),
    AmdSevSnp: s.str(),
    NestedVirtualization: s.str(),
  }),
  CapacityReservationSpecification: s.struct({
    CapacityReservationPreference: s.str(),
    CapacityReservationTarget: s.struct({
      CapacityReservationId: s.str(),
      CapacityReservationResourceGroupArn: s.str(),
    }),
  }),
  HibernationOptions: s.struct({ Configured: s.bool() }),
  LicenseSpecification: s.list(s.struct({ LicenseConfigurationArn: s.str() })),
  MetadataOptions: s.struct({
    HttpTokens: s.str(),
    HttpPutResponseHopLimit: s.int(),
    HttpEndpoint: s.str(),
    HttpProtocolIpv6: s.str(),
    InstanceMetadataTags: s.str(),
  }),
  EnclaveOptions: s.struct({ Enabled: s.bool() }),
  PrivateDnsNameOptions: s.struct({
    HostnameType: s.str(),
    EnableResourceNameDnsARecord: s.bool(),
    EnableResourceNameDnsAAAARecord: s.bool(),
  }),
  MaintenanceOptions: s.struct({ AutoRecovery: s.str() }),
  DisableApiStop: s.bool(),
  EnablePrimaryIpv6: s.bool(),
  NetworkPerformanceOptions: s.struct({ BandwidthWeighting: s.str() }),
  Operator: s.struct({ Principal: s.str() }),
  SecondaryInterface: s.list(
    s.struct({
      DeleteOnTermination: s.bool(),
      DeviceIndex: s.int(),
      PrivateIpAddress: s.list(s.struct({ PrivateIpAddress: s.str() })),
      PrivateIpAddressCount: s.int(),
      SecondarySubnetId: s.str(),
      InterfaceType: s.str(),
      NetworkCardIndex: s.int(),
    }),
  ),
  DisableApiTermination: s.bool(),
  InstanceInitiatedShutdownBehavior: s.str(),
  PrivateIpAddress: s.str(),
  ClientToken: s.str(),
  AdditionalInfo: s.str(),
  NetworkInterface: s.list(networkInterfaceShape),
  IamInstanceProfile: s.struct({ Arn: s.str(), Name: s.str() }),
  EbsOptimized: s.bool(),
});

function unsupportedAction(what: string, action: string): never {
  throw apiError('UnsupportedOperation', `privlink does not support ${what} on ${action}`);
}

/** EC2's `X.Value` wrapper of ModifyInstanceAttribute members. */
function valueOf<T extends ReturnType<typeof s.str> | ReturnType<typeof s.bool>>(v: T) {
  return s.struct({ Value: v });
}

function parseBool(name: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw Errors.invalidValue(name, v);
}

function changeSet(changes: readonly StateChange[]): XmlTree {
  return {
    instancesSet: changes.map((c) => ({
      instanceId: c.instanceId,
      currentState: stateTree(c.current),
      previousState: stateTree(c.previous),
    })),
  };
}

/** The InstanceAttributeName enum of the EC2 API. */
const ATTRIBUTES = [
  'instanceType',
  'kernel',
  'ramdisk',
  'userData',
  'disableApiTermination',
  'instanceInitiatedShutdownBehavior',
  'rootDeviceName',
  'blockDeviceMapping',
  'productCodes',
  'sourceDestCheck',
  'groupSet',
  'ebsOptimized',
  'sriovNetSupport',
  'enaSupport',
  'enclaveOptions',
  'disableApiStop',
];

/** DescribeInstanceAttribute's element for one attribute (`<name><value>…</value></name>`). */
function attributeTree(control: Control, i: Stored<'instance'>, attribute: string): XmlTree {
  switch (attribute) {
    case 'instanceType':
      return { instanceType: { value: i.instanceType } };
    case 'userData':
      return { userData: i.userData ? { value: i.userData } : {} };
    case 'disableApiTermination':
      return { disableApiTermination: { value: i.disableApiTermination ?? false } };
    case 'instanceInitiatedShutdownBehavior':
      return { instanceInitiatedShutdownBehavior: { value: i.instanceInitiatedShutdownBehavior ?? 'stop' } };
    case 'disableApiStop':
      return { disableApiStop: { value: false } };
    case 'rootDeviceName':
      return { rootDeviceName: { value: '/dev/xvda' } };
    case 'kernel':
      return { kernel: {} };
    case 'ramdisk':
      return { ramdisk: {} };
    case 'blockDeviceMapping':
      return { blockDeviceMapping: hasRootVolume(i) ? [rootBlockDevice(rootVolumeOf(i))] : [] };
    case 'productCodes':
      return { productCodes: [] };
    case 'sourceDestCheck':
      return { sourceDestCheck: { value: true } };
    case 'groupSet':
      return { groupSet: groupSet(control, i.securityGroupIds) };
    case 'ebsOptimized':
      return { ebsOptimized: { value: false } };
    case 'sriovNetSupport':
      return { sriovNetSupport: {} };
    case 'enaSupport':
      return { enaSupport: { value: true } };
    case 'enclaveOptions':
      return { enclaveOptions: { enabled: false } };
    default:
      throw Errors.invalidValue('Attribute', attribute);
  }
}

type MappingInput = {
  DeviceName?: string;
  NoDevice?: string;
  Ebs?: {
    VolumeSize?: number;
    VolumeType?: string;
    DeleteOnTermination?: boolean;
    Iops?: number;
    Throughput?: number;
    Encrypted?: boolean;
  };
};

/**
 * The root device's settings from BlockDeviceMapping.N (the AMI's root device, /dev/xvda, or
 * /dev/sda1 as older AMIs name it). Mappings for other devices would be extra volumes.
 */
function rootVolumeFromMappings(mappings: readonly MappingInput[]): RootVolumeSettings | undefined {
  let root: RootVolumeSettings | undefined;
  for (const m of mappings) {
    const isRoot = m.DeviceName === ROOT_DEVICE || m.DeviceName === '/dev/sda1';
    if (!isRoot) {
      if (m.NoDevice !== undefined) continue;
      unsupported('block device mappings other than the root device');
    }
    const ebs = m.Ebs ?? {};
    const volumeType = ebs.VolumeType ?? DEFAULT_ROOT_VOLUME.volumeType;
    if (!(VOLUME_TYPES as readonly string[]).includes(volumeType)) {
      throw Errors.invalidValue('BlockDeviceMapping.Ebs.VolumeType', volumeType);
    }
    const sizeGiB = ebs.VolumeSize ?? DEFAULT_ROOT_VOLUME.sizeGiB;
    if (!Number.isInteger(sizeGiB) || sizeGiB < DEFAULT_ROOT_VOLUME.sizeGiB || sizeGiB > 16384) {
      throw apiError(
        'InvalidBlockDeviceMapping',
        `Volume of size ${sizeGiB}GB is smaller than snapshot, expect size >= ${DEFAULT_ROOT_VOLUME.sizeGiB}GB`,
      );
    }
    const type = volumeType as RootVolumeSettings['volumeType'];
    root = {
      sizeGiB,
      volumeType: type,
      deleteOnTermination: ebs.DeleteOnTermination ?? true,
      iops:
        type === 'gp3'
          ? (ebs.Iops ?? 3000)
          : type === 'gp2'
            ? Math.min(16000, Math.max(100, 3 * sizeGiB))
            : ebs.Iops,
      throughput: type === 'gp3' ? (ebs.Throughput ?? 125) : undefined,
      encrypted: ebs.Encrypted ?? false,
    };
  }
  return root;
}

function unsupported(what: string): never {
  throw apiError('UnsupportedOperation', `privlink does not support ${what} on RunInstances`);
}

/** Tags per resource type; other launch-time types AWS accepts (spot requests, GPUs) are dropped. */
function launchTags(specs: readonly { ResourceType?: string; Tag: { Key?: string; Value?: string }[] }[]): {
  instance: Tag[];
  eni: Tag[];
  volume: Tag[];
} {
  const of = (type: string) => {
    const mine = specs.filter((x) => x.ResourceType === type);
    return mine.length ? tagsFromSpecifications(mine, type) : [];
  };
  const accepted = ['instance', 'network-interface', 'volume', 'spot-instances-request', 'elastic-gpu'];
  for (const spec of specs) {
    if (!accepted.includes(spec.ResourceType ?? '')) {
      throw apiError(
        'InvalidParameterValue',
        `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
  }
  return { instance: of('instance'), eni: of('network-interface'), volume: of('volume') };
}

function stateTree(state: InstanceState): XmlTree {
  return { code: STATE_CODES[state], name: state };
}

function groupSet(control: Control, ids: readonly string[]): XmlTree[] {
  return ids.map((id) => ({
    groupId: id,
    groupName: securityGroupName(control, id) ?? '',
  }));
}

function renderInterface(control: Control, i: Stored<'instance'>, dns: string): XmlTree[] {
  if (i.state === 'terminated') return [];
  const eni = networkInterfaceById(control, i.networkInterfaceId);
  if (!eni) return [];
  return [
    {
      attachment: {
        attachTime: isoTime(eni.attachment?.attachTime ?? i.launchTime),
        attachmentId: eni.attachment?.attachmentId ?? '',
        deleteOnTermination: true,
        deviceIndex: 0,
        status: i.state === 'shutting-down' ? 'detaching' : 'attached',
        networkCardIndex: 0,
      },
      description: eni.description,
      groupSet: groupSet(control, eni.groupIds),
      ipv6AddressesSet: [],
      macAddress: eni.macAddress,
      networkInterfaceId: eni.id,
      ownerId: eni.accountId,
      privateDnsName: dns,
      privateIpAddress: eni.privateIpAddress,
      privateIpAddressesSet: [{ primary: true, privateDnsName: dns, privateIpAddress: eni.privateIpAddress }],
      sourceDestCheck: true,
      status: 'in-use',
      subnetId: eni.subnetId,
      vpcId: eni.vpcId,
      interfaceType: 'interface',
      ipv4PrefixSet: [],
      ipv6PrefixSet: [],
      operator: { managed: false },
    },
  ];
}

export function renderInstance(control: Control, i: Stored<'instance'>): XmlTree {
  const terminated = i.state === 'terminated';
  const dns = terminated ? '' : privateDnsName(i.privateIpAddress, i.region);
  const zone = availabilityZoneIdOf(control, i.subnetId);
  const meta = i.metadataOptions;
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: stateTree(i.state),
    privateDnsName: dns,
    dnsName: '',
    reason: i.stateTransitionReason ?? '',
    keyName: i.keyName,
    amiLaunchIndex: i.amiLaunchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: isoTime(i.launchTime),
    placement: {
      availabilityZone: i.availabilityZone,
      availabilityZoneId: zone,
      groupName: '',
      tenancy: 'default',
    },
    monitoring: { state: 'disabled' },
    subnetId: terminated ? undefined : i.subnetId,
    vpcId: terminated ? undefined : i.vpcId,
    privateIpAddress: terminated ? undefined : i.privateIpAddress,
    architecture: instanceTypeInfo(i.instanceType)?.architecture ?? 'x86_64',
    blockDeviceMapping: hasRootVolume(i) ? [rootBlockDevice(rootVolumeOf(i))] : [],
    clientToken: i.clientToken ?? '',
    ebsOptimized: false,
    enaSupport: true,
    hypervisor: 'xen',
    networkInterfaceSet: renderInterface(control, i, dns),
    rootDeviceName: '/dev/xvda',
    rootDeviceType: 'ebs',
    groupSet: terminated ? [] : groupSet(control, i.securityGroupIds),
    sourceDestCheck: terminated ? undefined : true,
    stateReason: i.state === 'running' || !i.stateReason ? undefined : i.stateReason,
    tagSet: tagSet(i.tags),
    virtualizationType: 'hvm',
    cpuOptions: { coreCount: 1, threadsPerCore: 2 },
    capacityReservationSpecification: { capacityReservationPreference: 'open' },
    hibernationOptions: { configured: false },
    metadataOptions: {
      state: i.state === 'pending' ? 'pending' : 'applied',
      httpTokens: meta?.httpTokens ?? 'optional',
      httpPutResponseHopLimit: meta?.httpPutResponseHopLimit ?? 1,
      httpEndpoint: meta?.httpEndpoint ?? 'enabled',
      httpProtocolIpv6: 'disabled',
      instanceMetadataTags: meta?.instanceMetadataTags ?? 'disabled',
    },
    enclaveOptions: { enabled: false },
    bootMode: 'uefi-preferred',
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
    usageOperationUpdateTime: isoTime(i.launchTime),
    privateDnsNameOptions: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
    maintenanceOptions: { autoRecovery: 'default' },
    currentInstanceBootMode: 'legacy-bios',
    operator: { managed: false },
  };
}

function renderReservation(control: Control, r: Reservation): XmlTree {
  return {
    reservationId: r.reservationId,
    ownerId: r.ownerId,
    groupSet: [],
    instancesSet: r.instances.map((i) => renderInstance(control, i)),
  };
}

const instanceFilters: FilterTable<Stored<'instance'>> = {
  'instance-id': (i) => i.id,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => String(STATE_CODES[i.state]),
  'instance-type': (i) => i.instanceType,
  'image-id': (i) => i.imageId,
  'vpc-id': (i) => i.vpcId,
  'subnet-id': (i) => i.subnetId,
  'private-ip-address': (i) => i.privateIpAddress,
  'network-interface.addresses.private-ip-address': (i) => i.privateIpAddress,
  'private-dns-name': (i) => privateDnsName(i.privateIpAddress, i.region),
  'availability-zone': (i) => i.availabilityZone,
  'reservation-id': (i) => i.reservationId,
  'owner-id': (i) => i.accountId,
  'key-name': (i) => i.keyName ?? '',
  'client-token': (i) => i.clientToken ?? '',
  'network-interface.network-interface-id': (i) => i.networkInterfaceId,
  'instance.group-id': (i) => [...i.securityGroupIds],
  'group-id': (i) => [...i.securityGroupIds],
  architecture: () => 'x86_64',
};

/** Status checks: only a running (or starting) instance has them; others are not-applicable, without details. */
/**
 * One status check (instance or system): running instances report what the data plane sees of
 * their machine (MachineStatus); pending ones are initializing; others not applicable.
 */
function statusCheck(i: Stored<'instance'>, seen: ReachabilityStatus | undefined): XmlTree {
  if (i.state === 'pending') {
    return { details: [{ name: 'reachability', status: 'initializing' }], status: 'initializing' };
  }
  if (i.state !== 'running') return { status: 'not-applicable' };
  const s = seen ?? 'ok';
  const reach = s === 'ok' ? 'passed' : s === 'impaired' ? 'failed' : 'initializing';
  return { details: [{ name: 'reachability', status: reach }], status: s };
}

type StatusRow = Stored<'instance'> & { readonly instanceCheck: XmlTree; readonly systemCheck: XmlTree };

function statusRow(control: Control, i: Stored<'instance'>): StatusRow {
  const seen = control.console.machineStatusOf?.(i.id);
  return { ...i, instanceCheck: statusCheck(i, seen?.instance), systemCheck: statusCheck(i, seen?.system) };
}

const reachOf = (c: XmlTree): string[] => {
  const d = (c['details'] as XmlTree[] | undefined)?.[0];
  return d ? [String(d['status'])] : [];
};

const statusFilters: FilterTable<StatusRow> = {
  'availability-zone': (i) => i.availabilityZone,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => String(STATE_CODES[i.state]),
  'instance-status.status': (i) => String(i.instanceCheck['status']),
  'system-status.status': (i) => String(i.systemCheck['status']),
  'instance-status.reachability': (i) => reachOf(i.instanceCheck),
  'system-status.reachability': (i) => reachOf(i.systemCheck),
};

export const INSTANCE_ACTIONS: Record<Ec2InstanceAction, ActionDef> = {
  ...IMAGE_ACTIONS,
  RunInstances: defineAction(runInstancesShape, (input, ctx) => {
    if (input.LaunchTemplate) unsupported('LaunchTemplate');
    if (input.Ipv6AddressCount || input.Ipv6Address.length || input.EnablePrimaryIpv6) unsupported('IPv6');
    if (input.SecondaryInterface.length) unsupported('SecondaryInterface');
    if (input.NetworkInterface.length > 1) unsupported('more than one NetworkInterface');
    let subnetId = input.SubnetId;
    let privateIp = input.PrivateIpAddress;
    let groupIds = input.SecurityGroupId;
    let description: string | undefined;
    const nic = input.NetworkInterface[0];
    if (nic) {
      if (input.SubnetId !== undefined || input.SecurityGroupId.length || input.SecurityGroup.length) {
        throw apiError(
          'InvalidParameterCombination',
          'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request',
        );
      }
      if (input.PrivateIpAddress !== undefined) {
        throw apiError(
          'InvalidParameterCombination',
          'Network interfaces and an instance-level private IP address should not be specified on the same request',
        );
      }
      if (nic.NetworkInterfaceId !== undefined) unsupported('NetworkInterface.1.NetworkInterfaceId');
      if ((nic.DeviceIndex ?? 0) !== 0) unsupported('a network interface with DeviceIndex other than 0');
      if (nic.PrivateIpAddresses.length > 1 || nic.SecondaryPrivateIpAddressCount) {
        unsupported('secondary private IP addresses');
      }
      subnetId = nic.SubnetId;
      privateIp = nic.PrivateIpAddress ?? nic.PrivateIpAddresses[0]?.PrivateIpAddress;
      groupIds = nic.SecurityGroupId;
      description = nic.Description;
    }
    const tags = launchTags(input.TagSpecification);
    const reservation = runInstances(ctx.control, ctx, {
      imageId: input.ImageId,
      instanceType: input.InstanceType,
      minCount: input.MinCount,
      maxCount: input.MaxCount,
      subnetId,
      privateIpAddress: privateIp,
      securityGroupIds: groupIds,
      securityGroupNames: input.SecurityGroup,
      userData: input.UserData,
      keyName: input.KeyName,
      clientToken: input.ClientToken,
      instanceTags: tags.instance,
      interfaceTags: tags.eni,
      metadataOptions: input.MetadataOptions
        ? {
            httpTokens: input.MetadataOptions.HttpTokens,
            httpEndpoint: input.MetadataOptions.HttpEndpoint,
            httpPutResponseHopLimit: input.MetadataOptions.HttpPutResponseHopLimit,
            instanceMetadataTags: input.MetadataOptions.InstanceMetadataTags,
          }
        : undefined,
      interfaceDescription: description,
      disableApiTermination: input.DisableApiTermination,
      instanceInitiatedShutdownBehavior: input.InstanceInitiatedShutdownBehavior,
      rootVolume: rootVolumeFromMappings(input.BlockDeviceMapping),
      volumeTags: tags.volume,
      cpuCredits: input.CreditSpecification?.CpuCredits,
    });
    return renderReservation(ctx.control, reservation);
  }),

  DescribeInstances: defineAction(
    s.struct({
      ...common,
      ...paging,
      InstanceId: strList,
      IncludeManagedResources: s.bool(),
      Filter: s.list(filterShape),
    }),
    (input, ctx) => {
      if (input.InstanceId.length && (input.MaxResults !== undefined || input.NextToken !== undefined)) {
        throw apiError(
          'InvalidParameterCombination',
          'The parameter instancesSet cannot be used with the parameter maxResults',
        );
      }
      const all = selectInstances(ctx.control, ctx, input.InstanceId);
      const page = filterAndPage(all, input.Filter, instanceFilters, (i) => i.id, input);
      return {
        reservationSet: groupByReservation(page.items).map((r) => renderReservation(ctx.control, r)),
        nextToken: page.nextToken,
      };
    },
  ),

  TerminateInstances: defineAction(
    s.struct({ ...common, InstanceId: strList, Force: s.bool(), SkipOsShutdown: s.bool() }),
    (input, ctx) => {
      if (input.InstanceId.length) checkTerminationAllowed(ctx.control, ctx, input.InstanceId);
      return changeSet(terminateInstances(ctx.control, ctx, input.InstanceId));
    },
  ),

  StopInstances: defineAction(
    s.struct({
      ...common,
      InstanceId: strList,
      Hibernate: s.bool(),
      Force: s.bool(),
      SkipOsShutdown: s.bool(),
    }),
    (input, ctx) => {
      if (input.Hibernate) unsupportedAction('hibernation (Hibernate=true)', 'StopInstances');
      return changeSet(stopInstances(ctx.control, ctx, input.InstanceId));
    },
  ),

  StartInstances: defineAction(
    s.struct({ ...common, InstanceId: strList, AdditionalInfo: s.str() }),
    (input, ctx) => changeSet(startInstances(ctx.control, ctx, input.InstanceId)),
  ),

  RebootInstances: defineAction(s.struct({ ...common, InstanceId: strList }), (input, ctx) => {
    rebootInstances(ctx.control, ctx, input.InstanceId);
    return { return: true };
  }),

  DescribeInstanceAttribute: defineAction(
    s.struct({ ...common, InstanceId: s.str({ required: true }), Attribute: s.str({ required: true }) }),
    (input, ctx) => {
      const i = requireInstance(ctx.control, ctx, input.InstanceId);
      return { instanceId: i.id, ...attributeTree(ctx.control, i, input.Attribute) };
    },
  ),

  ModifyInstanceAttribute: defineAction(
    s.struct({
      ...common,
      InstanceId: s.str({ required: true }),
      Attribute: s.str(),
      Value: s.str(),
      BlockDeviceMapping: s.list(
        s.struct({
          DeviceName: s.str(),
          Ebs: s.struct({ DeleteOnTermination: s.bool(), VolumeId: s.str() }),
          NoDevice: s.str(),
          VirtualName: s.str(),
        }),
      ),
      SourceDestCheck: valueOf(s.bool()),
      DisableApiStop: valueOf(s.bool()),
      DisableApiTermination: valueOf(s.bool()),
      InstanceType: valueOf(s.str()),
      Kernel: valueOf(s.str()),
      Ramdisk: valueOf(s.str()),
      UserData: valueOf(s.str()),
      InstanceInitiatedShutdownBehavior: valueOf(s.str()),
      GroupId: strList,
      EbsOptimized: valueOf(s.bool()),
      SriovNetSupport: valueOf(s.str()),
      EnaSupport: valueOf(s.bool()),
    }),
    (input, ctx) => {
      const change: AttributeChange = {
        instanceType: input.InstanceType?.Value,
        userData: input.UserData?.Value,
        disableApiTermination: input.DisableApiTermination?.Value,
        instanceInitiatedShutdownBehavior: input.InstanceInitiatedShutdownBehavior?.Value,
      };
      const others =
        input.BlockDeviceMapping.length ||
        input.GroupId.length ||
        [
          input.SourceDestCheck,
          input.DisableApiStop,
          input.Kernel,
          input.Ramdisk,
          input.EbsOptimized,
          input.SriovNetSupport,
          input.EnaSupport,
        ].some((v) => v !== undefined);
      if (input.Attribute !== undefined) {
        if (input.Value === undefined) throw Errors.missingParameter('Value');
        switch (input.Attribute) {
          case 'instanceType':
            change.instanceType = input.Value;
            break;
          case 'userData':
            change.userData = input.Value;
            break;
          case 'disableApiTermination':
            change.disableApiTermination = parseBool('Value', input.Value);
            break;
          case 'instanceInitiatedShutdownBehavior':
            change.instanceInitiatedShutdownBehavior = input.Value;
            break;
          default:
            if (ATTRIBUTES.includes(input.Attribute)) {
              unsupportedAction(`modifying the ${input.Attribute} attribute`, 'ModifyInstanceAttribute');
            }
            throw Errors.invalidValue('Attribute', input.Attribute);
        }
      } else if (others) {
        unsupportedAction('modifying this attribute', 'ModifyInstanceAttribute');
      }
      modifyInstanceAttribute(ctx.control, ctx, input.InstanceId, change);
      return { return: true };
    },
  ),

  GetConsoleOutput: defineAction(
    s.struct({ ...common, InstanceId: s.str({ required: true }), Latest: s.bool() }),
    (input, ctx) => {
      const i = requireInstance(ctx.control, ctx, input.InstanceId);
      const out = consoleOutputOf(ctx.control, i.id);
      return {
        instanceId: i.id,
        timestamp: isoTime(out?.timestamp ?? ctx.control.clock.now()),
        output: out && out.text.length ? Buffer.from(out.text).toString('base64') : undefined,
      };
    },
  ),

  DescribeInstanceStatus: defineAction(
    s.struct({
      ...common,
      ...paging,
      InstanceId: strList,
      IncludeManagedResources: s.bool(),
      Filter: s.list(filterShape),
      IncludeAllInstances: s.bool(),
    }),
    (input, ctx) => {
      const all = selectInstances(ctx.control, ctx, input.InstanceId)
        .filter((i) => input.IncludeAllInstances === true || i.state === 'running')
        .map((i) => statusRow(ctx.control, i));
      const page = filterAndPage(all, input.Filter, statusFilters, (i) => i.id, input);
      return {
        instanceStatusSet: page.items.map((i) => ({
          availabilityZone: i.availabilityZone,
          availabilityZoneId: availabilityZoneIdOf(ctx.control, i.subnetId),
          eventsSet: [],
          instanceId: i.id,
          instanceState: stateTree(i.state),
          instanceStatus: i.instanceCheck,
          systemStatus: i.systemCheck,
          attachedEbsStatus: i.systemCheck,
          operator: { managed: false },
        })),
        nextToken: page.nextToken,
      };
    },
  ),
};
