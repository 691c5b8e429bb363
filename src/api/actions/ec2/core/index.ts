/** EC2 actions of the core group. */
import type { ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';

export const CORE_ACTIONS: Partial<Record<Ec2CoreAction, ActionDef>> = {};
