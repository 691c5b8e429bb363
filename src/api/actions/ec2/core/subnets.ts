/**
 * CreateSubnet, DescribeSubnets, DeleteSubnet: wire ↔ control.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: every request member of the model (IPv6/IPAM/Outposts answer UnsupportedOperation);
 *   DescribeSubnets filters availability-zone, availability-zone-id, available-ip-address-count,
 *   cidr-block (and aliases cidr, cidrBlock), default-for-az, map-public-ip-on-launch, owner-id,
 *   state, subnet-arn, subnet-id, vpc-id, tag:*, tag-key.
 * - Gaps: see control/network/subnets.ts.
 */
import { apiError, Errors } from '../../../../control/errors.js';
import type { Control } from '../../../../control/control.js';
import type { FilterTable } from '../../../../control/filters.js';
import type { Stored } from '../../../../control/model/kinds.js';
import {
  availableIpAddressCount,
  createSubnet,
  deleteSubnet,
  subnetArn,
} from '../../../../control/network/subnets.js';
import { selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s, tagSpecificationShape } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, requiredStr, specTags, tagSet } from './common.js';

export function renderSubnet(control: Control, sn: Stored<'subnet'>): XmlTree {
  return {
    subnetId: sn.id,
    subnetArn: subnetArn(sn),
    ownerId: sn.accountId,
    vpcId: sn.vpcId,
    state: sn.state,
    cidrBlock: sn.cidrBlock,
    availabilityZone: sn.availabilityZone,
    availabilityZoneId: sn.availabilityZoneId,
    availableIpAddressCount: availableIpAddressCount(control, sn),
    defaultForAz: false,
    mapPublicIpOnLaunch: sn.mapPublicIpOnLaunch,
    mapCustomerOwnedIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    enableDns64: false,
    ipv6Native: false,
    privateDnsNameOptionsOnLaunch: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
    blockPublicAccessStates: { internetGatewayBlockMode: 'off' },
    tagSet: tagSet(sn.tags),
  };
}

function subnetFilters(control: Control): FilterTable<Stored<'subnet'>> {
  return {
    'availability-zone': (x) => x.availabilityZone,
    availabilityZone: (x) => x.availabilityZone,
    'availability-zone-id': (x) => x.availabilityZoneId,
    availabilityZoneId: (x) => x.availabilityZoneId,
    'available-ip-address-count': (x) => availableIpAddressCount(control, x),
    'cidr-block': (x) => x.cidrBlock,
    cidr: (x) => x.cidrBlock,
    cidrBlock: (x) => x.cidrBlock,
    'default-for-az': () => false,
    defaultForAz: () => false,
    'map-public-ip-on-launch': (x) => x.mapPublicIpOnLaunch,
    'owner-id': (x) => x.accountId,
    state: (x) => x.state,
    'subnet-arn': (x) => subnetArn(x),
    'subnet-id': (x) => x.id,
    'vpc-id': (x) => x.vpcId,
  };
}

const UNSUPPORTED = [
  'Ipv6CidrBlock',
  'OutpostArn',
  'Ipv4IpamPoolId',
  'Ipv4NetmaskLength',
  'Ipv6IpamPoolId',
  'Ipv6NetmaskLength',
] as const;

export const SUBNET_ACTIONS = {
  CreateSubnet: defineAction(
    s.struct({
      ...common,
      VpcId: requiredStr,
      TagSpecification: s.list(tagSpecificationShape),
      AvailabilityZone: s.str(),
      AvailabilityZoneId: s.str(),
      CidrBlock: s.str(),
      Ipv6CidrBlock: s.str(),
      OutpostArn: s.str(),
      Ipv6Native: s.bool(),
      Ipv4IpamPoolId: s.str(),
      Ipv4NetmaskLength: s.int(),
      Ipv6IpamPoolId: s.str(),
      Ipv6NetmaskLength: s.int(),
    }),
    (input, ctx) => {
      for (const m of UNSUPPORTED) {
        if (input[m] !== undefined) {
          throw apiError('UnsupportedOperation', `privlink does not support ${m} on CreateSubnet`);
        }
      }
      if (input.Ipv6Native === true)
        throw apiError('UnsupportedOperation', 'privlink does not support IPv6-only subnets');
      if (input.CidrBlock === undefined) throw Errors.missingParameter('CidrBlock');
      const subnet = createSubnet(ctx.control, ctx, {
        vpcId: input.VpcId,
        cidrBlock: input.CidrBlock,
        availabilityZone: input.AvailabilityZone,
        availabilityZoneId: input.AvailabilityZoneId,
        tags: specTags(input.TagSpecification, 'subnet'),
      });
      return { subnet: renderSubnet(ctx.control, subnet) };
    },
  ),

  DescribeSubnets: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), SubnetId: s.list(s.str()) }),
    (input, ctx) => {
      const subnets = selectByIds(ctx.control, ctx, 'subnet', input.SubnetId);
      const page = filterAndPage(subnets, input.Filter, subnetFilters(ctx.control), (x) => x.id, input);
      return { subnetSet: page.items.map((x) => renderSubnet(ctx.control, x)), nextToken: page.nextToken };
    },
  ),

  DeleteSubnet: defineAction(s.struct({ ...common, SubnetId: requiredStr }), (input, ctx) => {
    deleteSubnet(ctx.control, ctx, input.SubnetId);
    return { return: true };
  }),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
