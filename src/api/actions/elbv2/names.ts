/** The ELBv2 (2015-12-01) actions privlink implements. */
export const ELBV2_ACTIONS = [
  'CreateLoadBalancer',
  'DescribeLoadBalancers',
  'DeleteLoadBalancer',
  'DescribeLoadBalancerAttributes',
  'ModifyLoadBalancerAttributes',
  'DescribeCapacityReservation',
  'CreateTargetGroup',
  'DescribeTargetGroups',
  'DeleteTargetGroup',
  'ModifyTargetGroup',
  'DescribeTargetGroupAttributes',
  'ModifyTargetGroupAttributes',
  'RegisterTargets',
  'DeregisterTargets',
  'DescribeTargetHealth',
  'CreateListener',
  'DescribeListeners',
  'DeleteListener',
  'ModifyListener',
  'DescribeListenerAttributes',
  'ModifyListenerAttributes',
  'AddTags',
  'RemoveTags',
  'DescribeTags',
] as const;

export type Elbv2Action = (typeof ELBV2_ACTIONS)[number];
