/**
 * CreateVpc, DescribeVpcs, DeleteVpc, ModifyVpcAttribute, DescribeVpcAttribute: wire ↔ control.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: every request member of the model (IPv6/IPAM/encryption members answer
 *   UnsupportedOperation), DescribeVpcs filters cidr, cidr-block-association.*, dhcp-options-id,
 *   is-default, owner-id, state, vpc-id, tag:*, tag-key; `EnableDnsSupport.Value` wire form.
 * - Gaps: see control/network/vpcs.ts.
 */
import { apiError, Errors } from '../../../../control/errors.js';
import type { FilterTable } from '../../../../control/filters.js';
import type { Stored } from '../../../../control/model/kinds.js';
import {
  createVpc,
  deleteVpc,
  modifyVpcAttribute,
  vpcAttribute,
  type VpcAttribute,
} from '../../../../control/network/vpcs.js';
import { requireOwn, selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s, tagSpecificationShape } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, requiredStr, specTags, tagSet } from './common.js';

export function renderVpc(v: Stored<'vpc'>): XmlTree {
  return {
    vpcId: v.id,
    ownerId: v.accountId,
    state: v.state,
    cidrBlock: v.cidrBlock,
    dhcpOptionsId: v.dhcpOptionsId,
    instanceTenancy: v.instanceTenancy,
    isDefault: v.isDefault,
    cidrBlockAssociationSet: [
      { associationId: v.cidrAssociationId, cidrBlock: v.cidrBlock, cidrBlockState: { state: 'associated' } },
    ],
    ipv6CidrBlockAssociationSet: [],
    tagSet: tagSet(v.tags),
    blockPublicAccessStates: { internetGatewayBlockMode: 'off' },
  };
}

const VPC_FILTERS: FilterTable<Stored<'vpc'>> = {
  cidr: (v) => v.cidrBlock,
  'cidr-block': (v) => v.cidrBlock,
  'cidr-block-association.cidr-block': (v) => v.cidrBlock,
  'cidr-block-association.association-id': (v) => v.cidrAssociationId,
  'cidr-block-association.state': () => 'associated',
  'dhcp-options-id': (v) => v.dhcpOptionsId,
  'is-default': (v) => v.isDefault,
  isDefault: (v) => v.isDefault,
  'owner-id': (v) => v.accountId,
  state: (v) => v.state,
  'vpc-id': (v) => v.id,
  'instance-tenancy': (v) => v.instanceTenancy,
};

const encryptionShape = s.struct({
  Mode: s.str(),
  InternetGatewayExclusion: s.str(),
  EgressOnlyInternetGatewayExclusion: s.str(),
  NatGatewayExclusion: s.str(),
  VirtualPrivateGatewayExclusion: s.str(),
  VpcPeeringExclusion: s.str(),
  LambdaExclusion: s.str(),
  VpcLatticeExclusion: s.str(),
  ElasticFileSystemExclusion: s.str(),
  GlobalAcceleratorExclusion: s.str(),
  ApiGatewayV2Exclusion: s.str(),
});

const UNSUPPORTED_CREATE = [
  'Ipv6Pool',
  'Ipv6CidrBlock',
  'Ipv4IpamPoolId',
  'Ipv4NetmaskLength',
  'Ipv6IpamPoolId',
  'Ipv6NetmaskLength',
  'Ipv6CidrBlockNetworkBorderGroup',
  'VpcEncryptionControl',
] as const;

const attrValue = s.struct({ Value: s.bool() });
const attributeShape = s.str({
  required: true,
  enum: ['enableDnsSupport', 'enableDnsHostnames', 'enableNetworkAddressUsageMetrics'],
});

export const VPC_ACTIONS = {
  CreateVpc: defineAction(
    s.struct({
      ...common,
      CidrBlock: s.str(),
      Ipv6Pool: s.str(),
      Ipv6CidrBlock: s.str(),
      Ipv4IpamPoolId: s.str(),
      Ipv4NetmaskLength: s.int(),
      Ipv6IpamPoolId: s.str(),
      Ipv6NetmaskLength: s.int(),
      Ipv6CidrBlockNetworkBorderGroup: s.str(),
      VpcEncryptionControl: encryptionShape,
      TagSpecification: s.list(tagSpecificationShape),
      InstanceTenancy: s.str({ enum: ['default', 'dedicated', 'host'] }),
      AmazonProvidedIpv6CidrBlock: s.bool(),
    }),
    (input, ctx) => {
      for (const m of UNSUPPORTED_CREATE) {
        if (input[m] !== undefined)
          throw apiError('UnsupportedOperation', `privlink does not support ${m} on CreateVpc`);
      }
      if (input.AmazonProvidedIpv6CidrBlock === true) {
        throw apiError('UnsupportedOperation', 'privlink does not support IPv6 VPC CIDR blocks');
      }
      if (input.CidrBlock === undefined) throw Errors.missingParameter('CidrBlock');
      const vpc = createVpc(ctx.control, ctx, {
        cidrBlock: input.CidrBlock,
        instanceTenancy: input.InstanceTenancy,
        tags: specTags(input.TagSpecification, 'vpc'),
      });
      return { vpc: renderVpc(vpc) };
    },
  ),

  DescribeVpcs: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), VpcId: s.list(s.str()) }),
    (input, ctx) => {
      const vpcs = selectByIds(ctx.control, ctx, 'vpc', input.VpcId);
      const page = filterAndPage(vpcs, input.Filter, VPC_FILTERS, (v) => v.id, input);
      return { vpcSet: page.items.map(renderVpc), nextToken: page.nextToken };
    },
  ),

  DeleteVpc: defineAction(s.struct({ ...common, VpcId: requiredStr }), (input, ctx) => {
    deleteVpc(ctx.control, ctx, input.VpcId);
    return { return: true };
  }),

  ModifyVpcAttribute: defineAction(
    s.struct({
      VpcId: requiredStr,
      EnableDnsHostnames: attrValue,
      EnableDnsSupport: attrValue,
      EnableNetworkAddressUsageMetrics: attrValue,
    }),
    (input, ctx) => {
      const value = (a: { Value?: boolean } | undefined, name: string) => {
        if (a === undefined) return undefined;
        if (a.Value === undefined) throw Errors.missingParameter(`${name}.Value`);
        return a.Value;
      };
      modifyVpcAttribute(ctx.control, ctx, input.VpcId, {
        enableDnsHostnames: value(input.EnableDnsHostnames, 'EnableDnsHostnames'),
        enableDnsSupport: value(input.EnableDnsSupport, 'EnableDnsSupport'),
        enableNetworkAddressUsageMetrics: value(
          input.EnableNetworkAddressUsageMetrics,
          'EnableNetworkAddressUsageMetrics',
        ),
      });
      return { return: true };
    },
  ),

  DescribeVpcAttribute: defineAction(
    s.struct({
      ...common,
      VpcId: requiredStr,
      Attribute: attributeShape,
    }),
    (input, ctx) => {
      const vpc = requireOwn(ctx.control, ctx, 'vpc', input.VpcId);
      const attr: VpcAttribute = input.Attribute;
      return { vpcId: vpc.id, [attr]: { value: vpcAttribute(vpc, attr) } };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
