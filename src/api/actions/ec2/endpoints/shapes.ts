/**
 * Input shapes shared by the endpoint actions (wire names from the EC2 model,
 * docs/reference/aws-privatelink.md §6.1–6.2).
 */
import { s } from '../../../query/shapes.js';

export const subnetConfigurationShape = s.struct({ SubnetId: s.str(), Ipv4: s.str(), Ipv6: s.str() });

export const dnsOptionsShape = s.struct({
  DnsRecordIpType: s.str({ enum: ['ipv4', 'dualstack', 'ipv6', 'service-defined'] }),
  PrivateDnsOnlyForInboundResolverEndpoint: s.bool(),
  PrivateDnsPreference: s.str(),
  PrivateDnsSpecifiedDomain: s.list(s.str()),
});

export const ipAddressTypeShape = s.str({ enum: ['ipv4', 'dualstack', 'ipv6'] });

export interface DnsOptionsWire {
  DnsRecordIpType?: 'ipv4' | 'dualstack' | 'ipv6' | 'service-defined';
  PrivateDnsOnlyForInboundResolverEndpoint?: boolean;
  PrivateDnsPreference?: string;
  PrivateDnsSpecifiedDomain: string[];
}

/** Wire DnsOptions → the control plane's input. */
export function dnsOptionsInput(o: DnsOptionsWire | undefined) {
  if (!o) return undefined;
  return {
    dnsRecordIpType: o.DnsRecordIpType,
    privateDnsOnlyForInboundResolverEndpoint: o.PrivateDnsOnlyForInboundResolverEndpoint,
    privateDnsPreference: o.PrivateDnsPreference,
    privateDnsSpecifiedDomains: o.PrivateDnsSpecifiedDomain,
  };
}

export function subnetConfigInputs(list: readonly { SubnetId?: string; Ipv4?: string; Ipv6?: string }[]) {
  return list.map((c) => ({ subnetId: c.SubnetId, ipv4: c.Ipv4, ipv6: c.Ipv6 }));
}

/** The endpoint options Create and Modify both take (same wire names, same meaning). */
export const endpointOptionMembers = {
  IpAddressType: ipAddressTypeShape,
  DnsOptions: dnsOptionsShape,
  PrivateDnsEnabled: s.bool(),
  SubnetConfiguration: s.list(subnetConfigurationShape),
};

export function endpointOptionsInput(input: {
  IpAddressType?: 'ipv4' | 'dualstack' | 'ipv6';
  DnsOptions?: DnsOptionsWire;
  PrivateDnsEnabled?: boolean;
  SubnetConfiguration: readonly { SubnetId?: string; Ipv4?: string; Ipv6?: string }[];
}) {
  return {
    ipAddressType: input.IpAddressType,
    dnsOptions: dnsOptionsInput(input.DnsOptions),
    privateDnsEnabled: input.PrivateDnsEnabled,
    subnetConfigurations: subnetConfigInputs(input.SubnetConfiguration),
  };
}
