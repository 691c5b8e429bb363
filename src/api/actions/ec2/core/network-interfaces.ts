/**
 * DescribeNetworkInterfaces: every network interface of the caller's account — endpoint ENIs
 * (`vpc_endpoint`, requester-managed), load balancer nodes (`network_load_balancer`) and instance
 * interfaces — as AWS renders them.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: filters addresses.private-ip-address, addresses.primary, attachment.attachment-id,
 *   attachment.instance-id, attachment.instance-owner-id, attachment.device-index,
 *   attachment.status, availability-zone, description, group-id, group-name, interface-type,
 *   mac-address, network-interface-id, owner-id, private-ip-address, private-dns-name,
 *   requester-id, requester-managed, source-dest-check, status, subnet-id, vpc-id, tag:*, tag-key;
 *   NetworkInterfaceId.N (unknown → InvalidNetworkInterfaceID.NotFound); MaxResults 5–1000.
 * - By design: requester-managed interfaces without an instance show an `ela-attach-…`
 *   attachment owned by their requester, as AWS shows for endpoint and load balancer ENIs.
 * - Gaps: IPv6 addresses, secondary private addresses, public IP associations.
 */
import type { Control } from '../../../../control/control.js';
import type { FilterTable } from '../../../../control/filters.js';
import { findZone } from '../../../../control/zones.js';
import { isoTime } from '../../../../shared/clock.js';
import type { Stored } from '../../../../control/model/kinds.js';
import { securityGroupName, selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, privateDnsName, tagSet } from './common.js';

type Eni = Stored<'networkInterface'>;

interface AttachmentView {
  attachmentId: string;
  instanceId?: string;
  instanceOwnerId: string;
  deviceIndex: number;
  attachTime: number;
  deleteOnTermination: boolean;
}

function attachmentOf(e: Eni): AttachmentView | undefined {
  if (e.attachment) {
    return {
      attachmentId: e.attachment.attachmentId,
      instanceId: e.attachment.instanceId,
      instanceOwnerId: e.accountId,
      deviceIndex: e.attachment.deviceIndex,
      attachTime: e.attachment.attachTime,
      deleteOnTermination: true,
    };
  }
  if (e.requesterManaged && e.status === 'in-use') {
    return {
      attachmentId: `ela-attach-${e.id.slice(4)}`,
      instanceOwnerId: e.requesterId ?? 'amazon-aws',
      deviceIndex: 1,
      attachTime: e.createdAt,
      deleteOnTermination: false,
    };
  }
  return undefined;
}

export function renderNetworkInterface(control: Control, e: Eni): XmlTree {
  const dns = privateDnsName(e.privateIpAddress, e.region);
  const att = attachmentOf(e);
  return {
    networkInterfaceId: e.id,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    availabilityZone: e.availabilityZone,
    availabilityZoneId: findZone(e.region, e.availabilityZone)?.zoneId,
    description: e.description,
    ownerId: e.accountId,
    requesterId: e.requesterId,
    requesterManaged: e.requesterManaged,
    status: e.status,
    macAddress: e.macAddress,
    privateIpAddress: e.privateIpAddress,
    privateDnsName: dns,
    sourceDestCheck: true,
    interfaceType: e.interfaceType,
    groupSet: e.groupIds.map((id) => ({
      groupId: id,
      groupName: securityGroupName(control, id),
    })),
    attachment: att
      ? {
          attachmentId: att.attachmentId,
          instanceId: att.instanceId,
          instanceOwnerId: att.instanceOwnerId,
          deviceIndex: att.deviceIndex,
          networkCardIndex: 0,
          status: 'attached',
          attachTime: isoTime(att.attachTime),
          deleteOnTermination: att.deleteOnTermination,
        }
      : undefined,
    privateIpAddressesSet: [{ privateIpAddress: e.privateIpAddress, privateDnsName: dns, primary: true }],
    ipv6AddressesSet: [],
    ipv4PrefixSet: [],
    ipv6PrefixSet: [],
    denyAllIgwTraffic: false,
    ipv6Native: false,
    tagSet: tagSet(e.tags),
  };
}

function eniFilters(control: Control): FilterTable<Eni> {
  return {
    'addresses.private-ip-address': (e) => e.privateIpAddress,
    'addresses.primary': () => true,
    'attachment.attachment-id': (e) => attachmentOf(e)?.attachmentId,
    'attachment.instance-id': (e) => attachmentOf(e)?.instanceId,
    'attachment.instance-owner-id': (e) => attachmentOf(e)?.instanceOwnerId,
    'attachment.device-index': (e) => attachmentOf(e)?.deviceIndex,
    'attachment.status': (e) => (attachmentOf(e) ? 'attached' : undefined),
    'attachment.delete-on-termination': (e) => attachmentOf(e)?.deleteOnTermination,
    'availability-zone': (e) => e.availabilityZone,
    description: (e) => e.description,
    'group-id': (e) => e.groupIds,
    'group-name': (e) => e.groupIds.map((id) => securityGroupName(control, id)),
    'interface-type': (e) => e.interfaceType,
    'mac-address': (e) => e.macAddress,
    'network-interface-id': (e) => e.id,
    'owner-id': (e) => e.accountId,
    'private-ip-address': (e) => e.privateIpAddress,
    'private-dns-name': (e) => privateDnsName(e.privateIpAddress, e.region),
    'requester-id': (e) => e.requesterId,
    'requester-managed': (e) => e.requesterManaged,
    'source-dest-check': () => true,
    status: (e) => e.status,
    'subnet-id': (e) => e.subnetId,
    'vpc-id': (e) => e.vpcId,
  };
}

export const NETWORK_INTERFACE_ACTIONS = {
  DescribeNetworkInterfaces: defineAction(
    s.struct({
      ...common,
      ...paging,
      IncludeManagedResources: s.bool(),
      NetworkInterfaceId: s.list(s.str()),
      Filter: s.list(filterShape),
    }),
    (input, ctx) => {
      const enis = selectByIds(ctx.control, ctx, 'networkInterface', input.NetworkInterfaceId);
      const page = filterAndPage(enis, input.Filter, eniFilters(ctx.control), (e) => e.id, input);
      return {
        networkInterfaceSet: page.items.map((e) => renderNetworkInterface(ctx.control, e)),
        nextToken: page.nextToken,
      };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
