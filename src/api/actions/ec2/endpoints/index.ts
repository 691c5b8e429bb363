/** EC2 actions of the endpoints group. */
import type { ActionDef } from '../../types.js';
import type { Ec2EndpointAction } from '../names.js';

export const ENDPOINT_ACTIONS: Partial<Record<Ec2EndpointAction, ActionDef>> = {};
