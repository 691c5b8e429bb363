/**
 * The ELBv2 (2015-12-01) action table, typed by the action union so an action added to
 * ELBV2_ACTIONS without an implementation fails the build.
 */
import type { ActionDef } from '../types.js';
import { LISTENER_ACTIONS } from './listeners.js';
import { LOAD_BALANCER_ACTIONS } from './load-balancers.js';
import type { Elbv2Action } from './names.js';
import { TAG_ACTIONS } from './tags.js';
import { TARGET_GROUP_ACTIONS } from './target-groups.js';
import { TARGET_ACTIONS } from './targets.js';

export const ELBV2_ACTION_TABLE: Record<Elbv2Action, ActionDef> = {
  ...LOAD_BALANCER_ACTIONS,
  ...TARGET_GROUP_ACTIONS,
  ...TARGET_ACTIONS,
  ...LISTENER_ACTIONS,
  ...TAG_ACTIONS,
};
