/**
 * The instance metadata service (IMDS) as an HTTP request handler. One handler serves a whole
 * VPC (netns: bound to 169.254.169.254:80 inside the VPC namespace) or one instance (loopback:
 * a port on the instance's 127.x address); `identify` maps a connection to the instance asking.
 *
 * Fidelity ledger (EC2 user guide, "Instance metadata categories" and "Use IMDSv2", 2025)
 * - Covered: IMDSv2 sessions (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
 *   1–21600 → token; X-aws-ec2-metadata-token on GETs; invalid/expired token → 401; PUT with
 *   X-Forwarded-For → 403) and IMDSv1 GETs unless HttpTokens=required (→ 401);
 *   HttpEndpoint=disabled → 403. Categories: ami-id, ami-launch-index, ami-manifest-path,
 *   hostname, instance-action, instance-id, instance-life-cycle, instance-type, local-hostname,
 *   local-ipv4, mac, network/interfaces/macs/<mac>/…, placement/{availability-zone,
 *   availability-zone-id,region}, reservation-id, security-groups, services/{domain,partition},
 *   tags/instance/ (when InstanceMetadataTags=enabled), /latest/user-data,
 *   /latest/dynamic/instance-identity/document. Listings end directories with `/`.
 * - Gaps: IAM credentials (no IAM), block-device-mapping, events, spot, signatures
 *   (pkcs7/signature/rsa2048), public-* keys, IPv6 endpoint, hop limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../shared/clock.js';
import type { IdSource } from '../../shared/ids.js';
import type { Instance, NetworkInterface } from '../../control/model/network.js';
import type { DeepReadonly } from '../../control/model/common.js';
import { MIXED_ALNUM } from '../../shared/ids.js';

export interface ImdsFacts {
  instance: DeepReadonly<Instance>;
  eni: DeepReadonly<NetworkInterface> | undefined;
  subnetCidr: string;
  vpcCidr: string;
  zoneId: string;
  groupNames: string[];
  /** Decoded user data, if any. */
  userData: Buffer | undefined;
}

const MAX_TTL = 21600;

function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

type Tree = { [name: string]: string | Tree | (() => string) };

function metadataTree(f: ImdsFacts): Tree {
  const i = f.instance;
  const host = privateDnsName(i.privateIpAddress, i.region);
  const mac = f.eni?.macAddress ?? '0e:00:00:00:00:00';
  const macTree: Tree = {
    'device-number': '0',
    'interface-id': i.networkInterfaceId,
    'local-hostname': host,
    'local-ipv4s': i.privateIpAddress,
    mac,
    'owner-id': i.accountId,
    'security-group-ids': i.securityGroupIds.join('\n'),
    'security-groups': f.groupNames.join('\n'),
    'subnet-id': i.subnetId,
    'subnet-ipv4-cidr-block': f.subnetCidr,
    'vpc-id': i.vpcId,
    'vpc-ipv4-cidr-block': f.vpcCidr,
    'vpc-ipv4-cidr-blocks': f.vpcCidr,
  };
  const tree: Tree = {
    'ami-id': i.imageId,
    'ami-launch-index': String(i.amiLaunchIndex),
    'ami-manifest-path': '(unknown)',
    hostname: host,
    'instance-action': 'none',
    'instance-id': i.id,
    'instance-life-cycle': 'on-demand',
    'instance-type': i.instanceType,
    'local-hostname': host,
    'local-ipv4': i.privateIpAddress,
    mac,
    network: { interfaces: { macs: { [mac]: macTree } } },
    placement: {
      'availability-zone': i.availabilityZone,
      'availability-zone-id': f.zoneId,
      region: i.region,
    },
    'reservation-id': i.reservationId,
    'security-groups': f.groupNames.join('\n'),
    services: { domain: 'amazonaws.com', partition: 'aws' },
  };
  if (i.metadataOptions?.instanceMetadataTags === 'enabled') {
    tree['tags'] = { instance: Object.fromEntries(i.tags.map((t) => [t.key, t.value])) };
  }
  return tree;
}

function identityDocument(f: ImdsFacts): string {
  const i = f.instance;
  return JSON.stringify(
    {
      accountId: i.accountId,
      architecture: 'x86_64',
      availabilityZone: i.availabilityZone,
      billingProducts: null,
      devpayProductCodes: null,
      marketplaceProductCodes: null,
      imageId: i.imageId,
      instanceId: i.id,
      instanceType: i.instanceType,
      kernelId: null,
      pendingTime: new Date(i.launchTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      privateIp: i.privateIpAddress,
      ramdiskId: null,
      region: i.region,
      version: '2017-09-30',
    },
    null,
    2,
  );
}

function listing(t: Tree): string {
  return Object.entries(t)
    .map(([k, v]) => (typeof v === 'object' ? `${k}/` : k))
    .join('\n');
}

/** Resolves a path below a tree: a listing for a directory, the value for a leaf. */
function lookup(t: Tree, parts: string[]): string | undefined {
  let node: Tree | string | (() => string) = t;
  for (const p of parts) {
    if (typeof node !== 'object') return undefined;
    const next: Tree[string] | undefined = node[p];
    if (next === undefined) return undefined;
    node = next;
  }
  if (typeof node === 'function') return node();
  return typeof node === 'string' ? node : listing(node);
}

const NOT_FOUND = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`;

export class ImdsTokens {
  private readonly tokens = new Map<string, { instanceId: string; expires: number }>();
  constructor(private readonly control: { clock: Clock; ids: IdSource }) {}

  issue(instanceId: string, ttlSeconds: number): string {
    const now = this.control.clock.now();
    for (const [t, v] of this.tokens) if (v.expires <= now) this.tokens.delete(t);
    const token = this.control.ids.chars(56, MIXED_ALNUM) + '==';
    this.tokens.set(token, { instanceId, expires: now + ttlSeconds * 1000 });
    return token;
  }

  valid(token: string, instanceId: string): boolean {
    const v = this.tokens.get(token);
    return v !== undefined && v.instanceId === instanceId && v.expires > this.control.clock.now();
  }
}

export interface ImdsOptions {
  tokens: ImdsTokens;
  /** The instance behind a request (by source address, or by listener in loopback mode). */
  identify(req: IncomingMessage): ImdsFacts | undefined;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain'): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    Server: 'EC2ws',
    Connection: 'close',
  });
  res.end(body);
}

/** The request handler (for http.createServer). */
export function imdsHandler(o: ImdsOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const facts = o.identify(req);
    if (!facts) {
      send(res, 403, 'Forbidden');
      return;
    }
    const meta = facts.instance.metadataOptions;
    if (meta?.httpEndpoint === 'disabled') {
      send(res, 403, 'Forbidden');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://169.254.169.254');
    const path = url.pathname;
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') {
        send(res, 405, 'Method Not Allowed');
        return;
      }
      if (req.headers['x-forwarded-for'] !== undefined) {
        send(res, 403, 'Forbidden');
        return;
      }
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
        send(res, 400, 'Bad Request');
        return;
      }
      const token = o.tokens.issue(facts.instance.id, ttl);
      res.setHeader('X-Aws-Ec2-Metadata-Token-Ttl-Seconds', String(ttl));
      send(res, 200, token);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method Not Allowed');
      return;
    }
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token === 'string') {
      if (!o.tokens.valid(token, facts.instance.id)) {
        send(res, 401, 'Unauthorized');
        return;
      }
    } else if (meta?.httpTokens === 'required') {
      send(res, 401, 'Unauthorized');
      return;
    }
    const body = answer(facts, path);
    if (body === undefined) send(res, 404, NOT_FOUND, 'text/html');
    else send(res, 200, body, path.endsWith('/document') ? 'application/json' : 'text/plain');
  };
}

function answer(f: ImdsFacts, path: string): string | Buffer | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return 'latest';
  if (parts[0] !== 'latest') return undefined;
  const rest = parts.slice(1);
  const section = rest[0];
  if (section === undefined) return ['dynamic', 'meta-data', ...(f.userData ? ['user-data'] : [])].join('\n');
  if (section === 'user-data') return rest.length === 1 ? f.userData : undefined;
  if (section === 'meta-data') return lookup(metadataTree(f), rest.slice(1));
  if (section === 'dynamic') {
    return lookup({ 'instance-identity': { document: () => identityDocument(f) } }, rest.slice(1));
  }
  return undefined;
}
