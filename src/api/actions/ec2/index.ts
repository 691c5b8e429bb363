/**
 * The EC2 action table, keyed by action name; assembled from the group tables, each typed by its
 * group's action union (names.ts), so an action listed there without a handler does not compile.
 */
import type { ActionDef } from '../types.js';
import type { Ec2Action } from './names.js';
import { CORE_ACTIONS } from './core/index.js';
import { SERVICE_ACTIONS } from './services/index.js';
import { ENDPOINT_ACTIONS } from './endpoints/index.js';
import { INSTANCE_ACTIONS } from './instances/index.js';
import { INSTANCE_DETAIL_ACTIONS } from './instances/details.js';

export const EC2_ACTION_TABLE: Record<Ec2Action, ActionDef> = {
  ...CORE_ACTIONS,
  ...SERVICE_ACTIONS,
  ...ENDPOINT_ACTIONS,
  ...INSTANCE_ACTIONS,
  ...INSTANCE_DETAIL_ACTIONS,
};
