/**
 * What /metrics reports about resources, read through the control plane: every endpoint with
 * its owner, service and state, and how many targets of each target group are in each health
 * state (as DescribeTargetHealth would report them to the group's owner).
 */
import type { Control } from '../control.js';
import { describeTargetHealth } from '../elb/targets.js';

export interface EndpointMetric {
  id: string;
  accountId: string;
  serviceId: string;
  type: string;
  state: string;
}

export interface TargetGroupHealthMetric {
  arn: string;
  name: string;
  accountId: string;
  /** health state → number of targets. */
  states: Map<string, number>;
}

export function endpointMetrics(control: Control): EndpointMetric[] {
  return control.store.listAll('vpcEndpoint').map((ep) => ({
    id: ep.id,
    accountId: ep.accountId,
    serviceId: ep.serviceId ?? ep.serviceName,
    type: ep.endpointType,
    state: ep.state,
  }));
}

export function targetHealthMetrics(control: Control): TargetGroupHealthMetric[] {
  return control.store.listAll('targetGroup').map((tg) => {
    const states = new Map<string, number>();
    const caller = {
      requestId: 'metrics',
      accountId: tg.accountId,
      region: tg.region,
      principal: { accountId: tg.accountId, arn: `arn:aws:iam::${tg.accountId}:root` },
    };
    for (const t of describeTargetHealth(control, caller, tg.arn, []))
      states.set(t.health.state, (states.get(t.health.state) ?? 0) + 1);
    return { arn: tg.arn, name: tg.name, accountId: tg.accountId, states };
  });
}
