/**
 * Names and ARNs built from IDs (docs/reference/aws-privatelink.md §2). One place, so the API, DNS and data
 * plane agree.
 */

/** `com.amazonaws.vpce.<region>.<vpce-svc-id>` */
export function endpointServiceName(region: string, serviceId: string): string {
  return `com.amazonaws.vpce.${region}.${serviceId}`;
}

/** `<vpce-svc-id>.<region>.vpce.amazonaws.com` (interface services only). */
export function baseEndpointDnsName(region: string, serviceId: string): string {
  return `${serviceId}.${region}.vpce.amazonaws.com`;
}

/** The label between the endpoint ID and the region: the service ID, or the AWS service's short name. */
export function serviceLabel(serviceName: string, serviceId?: string): string {
  if (serviceId) return serviceId;
  // com.amazonaws.us-east-1.ecr.dkr → ecr.dkr
  const parts = serviceName.split('.');
  return parts.slice(3).join('.');
}

/** Regional DNS name of an interface endpoint. */
export function endpointRegionalDnsName(
  endpointId: string,
  label8: string,
  svcLabel: string,
  region: string,
): string {
  return `${endpointId}-${label8}.${svcLabel}.${region}.vpce.amazonaws.com`;
}

/** Zonal DNS name of an interface endpoint in one AZ. */
export function endpointZonalDnsName(
  endpointId: string,
  label8: string,
  zoneName: string,
  svcLabel: string,
  region: string,
): string {
  return `${endpointId}-${label8}-${zoneName}.${svcLabel}.${region}.vpce.amazonaws.com`;
}

const VPCE_ZONE_IDS: Record<string, string> = {
  'us-east-1': 'Z7HUB22UULQXV',
  'us-east-2': 'ZC8PG0KIFKBRI',
};

/** Hosted zone ID of `*.vpce.amazonaws.com` names in a region (deterministic elsewhere). */
export function vpceHostedZoneId(region: string): string {
  const known = VPCE_ZONE_IDS[region];
  if (known) return known;
  let h = 0;
  for (const c of region) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return ('Z' + h.toString(36).toUpperCase() + 'VPCE0000000').slice(0, 13);
}

/** Hosted zone ID shown for a private DNS entry (a per-endpoint private hosted zone). */
export function privateHostedZoneId(endpointId: string): string {
  let h = 0;
  for (const c of endpointId) h = (h * 33 + c.charCodeAt(0)) >>> 0;
  return ('Z' + h.toString(36).toUpperCase() + 'PRIVATE0000').slice(0, 13);
}

export function vpcEndpointArn(region: string, accountId: string, endpointId: string): string {
  return `arn:aws:ec2:${region}:${accountId}:vpc-endpoint/${endpointId}`;
}

export function endpointServiceArn(region: string, accountId: string, serviceId: string): string {
  return `arn:aws:ec2:${region}:${accountId}:vpc-endpoint-service/${serviceId}`;
}

/** ELBv2 ARNs: `…:loadbalancer/net/<name>/<16hex>` and friends. */
export function loadBalancerArn(
  region: string,
  accountId: string,
  type: 'network' | 'gateway',
  name: string,
  hex16: string,
) {
  return `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/${type === 'network' ? 'net' : 'gwy'}/${name}/${hex16}`;
}

export function targetGroupArn(region: string, accountId: string, name: string, hex16: string): string {
  return `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/${hex16}`;
}

export function listenerArn(loadBalancerArnValue: string, hex16: string): string {
  return loadBalancerArnValue.replace(':loadbalancer/', ':listener/') + '/' + hex16;
}

/** `arn:aws:iam::<account>:root` */
export function accountRootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}
