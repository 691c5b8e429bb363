/** EC2 actions of the core group: VPCs, subnets, security groups, route tables, ENIs, tags, catalogue. */
import type { ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { VPC_ACTIONS } from './vpcs.js';
import { SUBNET_ACTIONS } from './subnets.js';
import { SECURITY_GROUP_ACTIONS } from './security-groups.js';
import { ROUTE_TABLE_ACTIONS } from './route-tables.js';
import { NETWORK_INTERFACE_ACTIONS } from './network-interfaces.js';
import { CATALOGUE_ACTIONS } from './catalogue.js';
import { TAG_ACTIONS } from './tags.js';
import { CLASSIC_LINK_ACTIONS } from './classic-link.js';
import { NETWORK_ACL_ACTIONS } from './network-acls.js';

/** Every core action: one missing from the group modules is a compile error here. */
export const CORE_ACTIONS: Record<Ec2CoreAction, ActionDef> = {
  ...VPC_ACTIONS,
  ...SUBNET_ACTIONS,
  ...SECURITY_GROUP_ACTIONS,
  ...ROUTE_TABLE_ACTIONS,
  ...NETWORK_INTERFACE_ACTIONS,
  ...CATALOGUE_ACTIONS,
  ...TAG_ACTIONS,
  ...CLASSIC_LINK_ACTIONS,
  ...NETWORK_ACL_ACTIONS,
};
