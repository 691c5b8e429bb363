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
  modifySubnetAttribute,
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
      hostnameType: sn.privateDnsHostnameTypeOnLaunch ?? 'ip-name',
      enableResourceNameDnsARecord: sn.enableResourceNameDnsARecordOnLaunch ?? false,
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

const boolValue = s.struct({ Value: s.bool() });

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

  ModifySubnetAttribute: defineAction(
    s.struct({
      SubnetId: requiredStr,
      MapPublicIpOnLaunch: boolValue,
      PrivateDnsHostnameTypeOnLaunch: s.str(),
      EnableResourceNameDnsARecordOnLaunch: boolValue,
      AssignIpv6AddressOnCreation: boolValue,
      EnableDns64: boolValue,
      EnableResourceNameDnsAAAARecordOnLaunch: boolValue,
      MapCustomerOwnedIpOnLaunch: boolValue,
      CustomerOwnedIpv4Pool: s.str(),
      EnableLniAtDeviceIndex: s.int(),
      DisableLniAtDeviceIndex: boolValue,
    }),
    (input, ctx) => {
      const value = (a: { Value?: boolean } | undefined, name: string) => {
        if (a === undefined) return undefined;
        if (a.Value === undefined) throw Errors.missingParameter(`${name}.Value`);
        return a.Value;
      };
      const unsupported: { name: string; enables: boolean }[] = [];
      for (const name of [
        'AssignIpv6AddressOnCreation',
        'EnableDns64',
        'EnableResourceNameDnsAAAARecordOnLaunch',
        'MapCustomerOwnedIpOnLaunch',
        'DisableLniAtDeviceIndex',
      ] as const) {
        const v = value(input[name], name);
        if (v !== undefined) unsupported.push({ name, enables: v });
      }
      if (input.EnableLniAtDeviceIndex !== undefined) {
        unsupported.push({ name: 'EnableLniAtDeviceIndex', enables: true });
      }
      if (input.CustomerOwnedIpv4Pool !== undefined) {
        unsupported.push({ name: 'CustomerOwnedIpv4Pool', enables: true });
      }
      modifySubnetAttribute(ctx.control, ctx, input.SubnetId, {
        mapPublicIpOnLaunch: value(input.MapPublicIpOnLaunch, 'MapPublicIpOnLaunch'),
        privateDnsHostnameTypeOnLaunch: input.PrivateDnsHostnameTypeOnLaunch,
        enableResourceNameDnsARecordOnLaunch: value(
          input.EnableResourceNameDnsARecordOnLaunch,
          'EnableResourceNameDnsARecordOnLaunch',
        ),
        unsupported,
      });
      return { return: true };
    },
  ),

  DeleteSubnet: defineAction(s.struct({ ...common, SubnetId: requiredStr }), (input, ctx) => {
    deleteSubnet(ctx.control, ctx, input.SubnetId);
    return { return: true };
  }),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
