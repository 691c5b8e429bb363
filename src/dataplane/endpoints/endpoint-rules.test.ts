import { test } from 'node:test';
import { assertGolden } from '../testing/golden.js';
import { renderEndpointRules } from './endpoint-rules.js';

test('endpoint ENI rules: forwards, security-group ingress of every kind, one-way', () => {
  const script = renderEndpointRules({
    eniIp: '10.0.1.20',
    internalIp: '169.254.0.11',
    forwards: [
      { port: 80, upstreamIp: '169.254.0.10', upstreamPort: 80 },
      { port: 443, upstreamIp: '169.254.0.10', upstreamPort: 443 },
    ],
    open: [80, 443, 8443],
    ingress: [
      { protocol: 'tcp', fromPort: 80, toPort: 80, sources: ['10.0.0.0/16'] },
      { protocol: '6', fromPort: 8000, toPort: 8100, sources: ['10.0.2.10', '10.0.2.11'] },
      { protocol: 'udp', fromPort: 0, toPort: 65535, sources: ['192.168.0.0/24'] },
      { protocol: 'icmp', fromPort: -1, toPort: -1, sources: ['10.0.0.0/8'] },
      { protocol: 'all', sources: ['172.16.0.0/12'] },
      { protocol: '47', sources: ['10.9.0.0/16'] },
      { protocol: 'tcp', fromPort: 22, toPort: 22, sources: [] },
    ],
  });
  assertGolden(import.meta.url, 'endpoint-rules.nft', script);
});

test('endpoint ENI rules: gated (not available) and no security groups', () => {
  const script = renderEndpointRules({
    eniIp: '100.64.0.19',
    internalIp: '169.254.0.11',
    forwards: [],
    ingress: undefined,
  });
  assertGolden(import.meta.url, 'endpoint-rules-gated.nft', script);
});
