/** EC2 actions of the instances group. */
import type { ActionDef } from '../../types.js';
import type { Ec2InstanceAction } from '../names.js';

export const INSTANCE_ACTIONS: Partial<Record<Ec2InstanceAction, ActionDef>> = {};
