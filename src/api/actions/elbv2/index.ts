/** The ELBv2 action table. */
import type { ActionDef } from '../types.js';
import type { Elbv2Action } from './names.js';

export const ELBV2_ACTION_TABLE: Partial<Record<Elbv2Action, ActionDef>> = {};
