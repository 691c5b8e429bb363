/**
 * Wire trees of the provider-side PrivateLink shapes (docs/reference/aws-privatelink.md §7):
 * ServiceConfiguration, AllowedPrincipal/AddedPrincipal, VpcEndpointConnection, ConnectionNotification and
 * UnsuccessfulItem. Element names are the model's lowerCamel `locationName`s; lists are `…Set` wrappers of
 * `<item>`; states keep AWS's exact casing (§3.5).
 */
import type { Control } from '../../../../control/control.js';
import type { XmlTree } from '../../../query/encode.js';
import type { DeepReadonly, Tag } from '../../../../control/model/common.js';
import type { BatchFailure, StoredService } from '../../../../control/privatelink/endpoint-services.js';
import type { StoredPermission } from '../../../../control/privatelink/service-permissions.js';
import type { ConnectionView } from '../../../../control/privatelink/connections.js';
import {
  notificationServiceRegion,
  type StoredNotification,
} from '../../../../control/privatelink/notifications.js';
import { serviceZones } from '../../../../control/privatelink/service-catalog.js';
import { endpointDnsEntries } from '../../../../control/privatelink/endpoint-dns.js';
import { baseEndpointDnsName } from '../../../../control/names.js';
import { isoTime } from '../../../../shared/clock.js';

export function tagSet(tags: readonly DeepReadonly<Tag>[]): XmlTree[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

export function unsuccessful(failures: readonly BatchFailure[]): XmlTree[] {
  return failures.map((f) => ({
    error: { code: f.error.code, message: f.error.message },
    resourceId: f.resourceId,
  }));
}

export function serviceConfiguration(control: Control, svc: StoredService): XmlTree {
  const zones = serviceZones(control, svc);
  const iface = svc.serviceType === 'Interface';
  const cfg = svc.privateDnsNameConfiguration;
  return {
    serviceType: [{ serviceType: svc.serviceType }],
    serviceId: svc.id,
    serviceName: svc.serviceName,
    serviceState: svc.state,
    availabilityZoneIdSet: zones.map((z) => z.zoneId),
    availabilityZoneSet: zones.map((z) => z.zoneName),
    acceptanceRequired: svc.acceptanceRequired,
    managesVpcEndpoints: svc.managesVpcEndpoints,
    networkLoadBalancerArnSet: iface ? [...svc.networkLoadBalancerArns] : undefined,
    gatewayLoadBalancerArnSet: iface ? undefined : [...svc.gatewayLoadBalancerArns],
    supportedIpAddressTypeSet: [...svc.supportedIpAddressTypes],
    baseEndpointDnsNameSet: iface ? [baseEndpointDnsName(svc.region, svc.id)] : undefined,
    privateDnsName: svc.privateDnsName,
    privateDnsNameConfiguration: cfg
      ? { state: cfg.state, type: cfg.type, value: cfg.value, name: cfg.name }
      : undefined,
    payerResponsibility: svc.payerResponsibility,
    tagSet: tagSet(svc.tags),
    supportedRegionSet: svc.supportedRegions.map((region) => ({ region, serviceState: 'Available' })),
  };
}

export function allowedPrincipal(p: StoredPermission): XmlTree {
  return {
    principalType: p.principalType,
    principal: p.principal,
    servicePermissionId: p.id,
    tagSet: tagSet(p.tags),
    serviceId: p.serviceId,
  };
}

export function addedPrincipal(p: StoredPermission): XmlTree {
  return {
    principalType: p.principalType,
    principal: p.principal,
    servicePermissionId: p.id,
    serviceId: p.serviceId,
  };
}

export function connection(control: Control, v: ConnectionView): XmlTree {
  const ep = v.endpoint;
  const iface = v.service.serviceType === 'Interface';
  return {
    serviceId: v.service.id,
    vpcEndpointId: ep.id,
    vpcEndpointOwner: ep.accountId,
    vpcEndpointState: ep.state,
    creationTimestamp: isoTime(ep.createdAt),
    // The provider never sees the consumer's private hosted zone entry.
    dnsEntrySet: endpointDnsEntries(control, ep, { includePrivate: false }).map((d) => ({
      dnsName: d.dnsName,
      hostedZoneId: d.hostedZoneId,
    })),
    networkLoadBalancerArnSet: iface ? [...v.service.networkLoadBalancerArns] : undefined,
    gatewayLoadBalancerArnSet: iface ? undefined : [...v.service.gatewayLoadBalancerArns],
    ipAddressType: ep.ipAddressType,
    vpcEndpointConnectionId: ep.connectionId,
    // Connection tags are the provider's own resource; the consumer's endpoint tags stay private.
    tagSet: [],
    vpcEndpointRegion: ep.region,
    payerResponsibilitySet: ep.payerResponsibilities?.map((r) => ({
      scope: r.scope,
      payerResponsibilityType: r.payerResponsibilityType,
    })),
  };
}

export function connectionNotification(control: Control, n: StoredNotification): XmlTree {
  return {
    connectionNotificationId: n.id,
    serviceId: n.serviceId,
    vpcEndpointId: n.vpcEndpointId,
    connectionNotificationType: 'Topic',
    connectionNotificationArn: n.topicArn,
    connectionEvents: [...n.events],
    connectionNotificationState: n.state,
    serviceRegion: notificationServiceRegion(control, n),
  };
}
