/**
 * Stored ELBv2 resources → wire trees (`LoadBalancer`, `TargetGroup`, `Listener`,
 * `TargetHealthDescription`, `TagDescription`), with the model's PascalCase element names.
 * The one place where camelCase model fields meet AWS member names for ELBv2.
 */
import type { Control } from '../../../control/control.js';
import { loadBalancerArnsOf } from '../../../control/elb/common.js';
import type { TargetHealthEntry } from '../../../control/elb/targets.js';
import type { Tag } from '../../../control/model/common.js';
import type { DeepReadonly } from '../../../control/model/common.js';
import type { Listener, LoadBalancer, TargetGroup } from '../../../control/model/elb.js';
import { isoTime } from '../../../shared/clock.js';
import type { XmlTree } from '../../query/encode.js';

export function renderLoadBalancer(lb: DeepReadonly<LoadBalancer>, stateOverride?: string): XmlTree {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    CreatedTime: isoTime(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: stateOverride ?? lb.state },
    Type: lb.type,
    AvailabilityZones: lb.nodes.map((n) => ({
      ZoneName: n.zoneName,
      SubnetId: n.subnetId,
      LoadBalancerAddresses: [{ PrivateIPv4Address: n.privateIpAddress }],
    })),
    SecurityGroups: lb.securityGroups.length > 0 ? [...lb.securityGroups] : undefined,
    IpAddressType: lb.ipAddressType,
    EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic:
      lb.securityGroups.length > 0 ? (lb.enforcePrivateLinkInboundRules === false ? 'off' : 'on') : undefined,
  };
}

export function renderTargetGroup(control: Control, tg: DeepReadonly<TargetGroup>): XmlTree {
  const hc = tg.healthCheck;
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: hc.path,
    Matcher: hc.matcher !== undefined ? { HttpCode: hc.matcher } : undefined,
    LoadBalancerArns: loadBalancerArnsOf(control, tg),
    TargetType: tg.targetType,
    IpAddressType: tg.ipAddressType,
  };
}

export function renderListener(l: DeepReadonly<Listener>): XmlTree {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol,
    Certificates: l.certificates?.map((c) => ({ CertificateArn: c.certificateArn })),
    SslPolicy: l.sslPolicy,
    DefaultActions: l.defaultActions.map((a) => ({
      Type: a.type,
      TargetGroupArn: a.targetGroupArn,
      Order: a.order,
      ForwardConfig: a.forwardTargetGroups
        ? {
            TargetGroups: a.forwardTargetGroups.map((f) => ({
              TargetGroupArn: f.targetGroupArn,
              Weight: f.weight,
            })),
            TargetGroupStickinessConfig: { Enabled: false },
          }
        : undefined,
    })),
    AlpnPolicy: l.alpnPolicy && l.alpnPolicy.length > 0 ? [...l.alpnPolicy] : undefined,
  };
}

export function renderTargetHealth(e: TargetHealthEntry): XmlTree {
  return {
    Target: { Id: e.id, Port: e.port, AvailabilityZone: e.availabilityZone },
    HealthCheckPort: e.healthCheckPort,
    TargetHealth: { State: e.health.state, Reason: e.health.reason, Description: e.health.description },
  };
}

export function renderTags(tags: readonly Tag[]): XmlTree[] {
  return tags.map((t) => ({ Key: t.key, Value: t.value }));
}
