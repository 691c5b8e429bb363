/**
 * Wire rendering of the consumer-side shapes (docs/reference/aws-privatelink.md §7): `VpcEndpoint` and
 * `ServiceDetail`, element names as the EC2 model's locationNames, states in lowerCamel (§3.5).
 *
 * Fidelity (compared field by field with test/conformance/recorded-aws-responses): interface
 * endpoints show ipAddressType and dnsOptions (dnsRecordIpType; privateDnsOnlyForInbound…
 * only for services offered as both Gateway and Interface), empty sets render as empty
 * elements (`"RouteTableIds": []`), requesterManaged false, ownerId, serviceRegion. Gateway
 * endpoints show no ipAddressType/dnsOptions; GWLB endpoints no policy and no dnsOptions.
 */
import type { Control } from '../../../../control/control.js';
import type { DeepReadonly } from '../../../../control/model/common.js';
import type { VpcEndpoint } from '../../../../control/model/privatelink.js';
import { securityGroupName } from '../../../../control/network/core-lookup.js';
import { endpointDnsEntries } from '../../../../control/privatelink/endpoint-dns.js';
import type { ServiceOffer } from '../../../../control/privatelink/service-catalog.js';
import {
  payerResponsibilitiesOf,
  showsInboundResolverOption,
} from '../../../../control/privatelink/vpc-endpoints.js';
import { isoTime } from '../../../../shared/clock.js';
import type { XmlTree } from '../../../query/encode.js';

export function renderTags(tags: readonly { key: string; value: string }[]): XmlTree[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

function groupName(control: Control, id: string): string {
  return securityGroupName(control, id) ?? 'default';
}

export function renderVpcEndpoint(control: Control, ep: DeepReadonly<VpcEndpoint>): XmlTree {
  const gateway = ep.endpointType === 'Gateway';
  const iface = ep.endpointType === 'Interface';
  // An interface endpoint created without subnets shows neither list (API Gateway recording);
  // one whose ENIs went with its deletion shows them empty.
  const noSubnetLists =
    iface && ep.subnetIds.length === 0 && ep.state !== 'deleting' && ep.state !== 'deleted';
  return {
    vpcEndpointId: ep.id,
    vpcEndpointType: ep.endpointType,
    vpcId: ep.vpcId,
    serviceName: ep.serviceName,
    state: ep.state,
    policyDocument: ep.policyDocument,
    routeTableIdSet: [...ep.routeTableIds],
    subnetIdSet: noSubnetLists ? undefined : [...ep.subnetIds],
    groupSet: ep.groupIds.map((id) => ({ groupId: id, groupName: groupName(control, id) })),
    ipAddressType: gateway ? undefined : ep.ipAddressType,
    dnsOptions:
      iface && ep.dnsOptions
        ? {
            dnsRecordIpType: ep.dnsOptions.dnsRecordIpType,
            privateDnsOnlyForInboundResolverEndpoint: showsInboundResolverOption(ep)
              ? ep.dnsOptions.privateDnsOnlyForInboundResolverEndpoint
              : undefined,
          }
        : undefined,
    privateDnsEnabled: ep.privateDnsEnabled,
    requesterManaged: false,
    networkInterfaceIdSet: noSubnetLists ? undefined : [...ep.networkInterfaceIds],
    dnsEntrySet: endpointDnsEntries(control, ep).map((d) => ({
      dnsName: d.dnsName,
      hostedZoneId: d.hostedZoneId,
    })),
    creationTimestamp: isoTime(ep.createdAt),
    tagSet: renderTags(ep.tags),
    ownerId: ep.accountId,
    lastError: ep.lastError ? { message: ep.lastError.message, code: ep.lastError.code } : undefined,
    failureReason: ep.state === 'failed' ? ep.lastError?.message : undefined,
    serviceRegion: ep.serviceRegion,
    payerResponsibilitySet: payerResponsibilitiesOf(control, ep).map((e) => ({
      scope: e.scope,
      payerResponsibilityType: e.payerResponsibilityType,
    })),
  };
}

export function renderServiceDetail(o: ServiceOffer): XmlTree {
  return {
    serviceName: o.serviceName,
    serviceId: o.serviceId,
    serviceType: [{ serviceType: o.serviceType }],
    serviceRegion: o.serviceRegion,
    availabilityZoneIdSet: o.zones.map((z) => z.zoneId),
    availabilityZoneSet: o.zones.map((z) => z.zoneName),
    owner: o.owner,
    baseEndpointDnsNameSet: o.baseEndpointDnsNames,
    privateDnsName: o.privateDnsName,
    privateDnsNameSet: o.privateDnsName ? [{ privateDnsName: o.privateDnsName }] : undefined,
    vpcEndpointPolicySupported: o.vpcEndpointPolicySupported,
    acceptanceRequired: o.acceptanceRequired,
    managesVpcEndpoints: o.managesVpcEndpoints,
    payerResponsibility: o.payerResponsibility,
    tagSet: renderTags(o.tags),
    privateDnsNameVerificationState: o.privateDnsNameVerificationState,
    supportedIpAddressTypeSet: o.supportedIpAddressTypes,
  };
}
