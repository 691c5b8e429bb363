/** EC2 actions of the services group. */
import type { ActionDef } from '../../types.js';
import type { Ec2ServiceAction } from '../names.js';

export const SERVICE_ACTIONS: Partial<Record<Ec2ServiceAction, ActionDef>> = {};
