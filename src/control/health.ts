/**
 * Target health as the control plane reports it (DescribeTargetHealth). The data plane supplies
 * real health-check results; without a data plane, registered targets pass through `initial`
 * and are reported healthy.
 */
export type TargetHealthState =
  'initial' | 'healthy' | 'unhealthy' | 'unhealthy.draining' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealthReport {
  state: TargetHealthState;
  reason?: string;
  description?: string;
}

export interface TargetHealthSource {
  /** Health of one registered target as seen by the load balancer nodes, undefined when unknown. */
  healthOf(targetGroupArn: string, targetId: string, port: number): TargetHealthReport | undefined;
}

/** Used when no data plane runs: the control plane alone decides. */
export const assumeHealthy: TargetHealthSource = {
  healthOf: () => undefined,
};
