/**
 * PROXY protocol v2 headers as an NLB sends them for PrivateLink traffic: build (with the AWS
 * VPC-endpoint TLV, a CRC32C TLV and NOOP padding) and parse (for tests and test targets).
 *
 * Fidelity (docs/reference/aws-privatelink.md §9.2, with the captured AWS header):
 * - Covered: signature, v2/PROXY, TCP over IPv4 (0x11) and IPv6 (0x21); src = consumer IP:port,
 *   dst = endpoint ENI IP:port; TLV order CRC32C (0x03), AWS (0xEA, subtype 0x01, ASCII vpce ID),
 *   NOOP (0x04) padding the header to 100 bytes for IPv4 — the captured sample is reproduced
 *   byte for byte (unit test). CRC-32C covers the whole header with the checksum field zeroed.
 * - By design: health-check connections carry a LOCAL header (0x20, family 0x00, no addresses,
 *   no TLVs); AWS only says "without client connection information".
 * - Gaps: UDP (0x12/0x22) headers are not built (privlink carries TCP only).
 */
import { isIPv4, isIPv6 } from 'node:net';

export const PPV2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_AWS = 0xea;
export const PP2_SUBTYPE_AWS_VPCE_ID = 0x01;
/** Total header size of the captured AWS sample; NOOP padding brings IPv4 headers to it. */
const AWS_IPV4_HEADER_BYTES = 100;

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as the PPv2 spec requires for PP2_TYPE_CRC32C. */
export function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC32C_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface Ppv2Addresses {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export interface Ppv2Options {
  /** The interface endpoint's ID (`vpce-…`), sent in the AWS TLV. */
  vpceId?: string;
  /** Emit the CRC32C TLV and NOOP padding like the captured AWS header (default true). */
  awsLayout?: boolean;
}

function addressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function tlv(type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(3 + value.length);
  b[0] = type;
  b.writeUInt16BE(value.length, 1);
  value.copy(b, 3);
  return b;
}

/** A PROXY header for one proxied TCP connection. */
export function buildPpv2(addr: Ppv2Addresses, opts: Ppv2Options = {}): Buffer {
  const v4 = isIPv4(addr.sourceAddress) && isIPv4(addr.destinationAddress);
  const src = addressBytes(addr.sourceAddress);
  const dst = addressBytes(addr.destinationAddress);
  if (src.length !== dst.length) throw new Error('source and destination address families differ');
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(addr.sourcePort, 0);
  ports.writeUInt16BE(addr.destinationPort, 2);
  const awsLayout = opts.awsLayout ?? true;
  const tlvs: Buffer[] = [];
  if (awsLayout) tlvs.push(tlv(PP2_TYPE_CRC32C, Buffer.alloc(4)));
  if (opts.vpceId !== undefined) {
    if (!/^[A-Za-z0-9-]*$/.test(opts.vpceId)) throw new Error(`invalid endpoint id: ${opts.vpceId}`);
    tlvs.push(
      tlv(
        PP2_TYPE_AWS,
        Buffer.concat([Buffer.from([PP2_SUBTYPE_AWS_VPCE_ID]), Buffer.from(opts.vpceId, 'ascii')]),
      ),
    );
  }
  const fixed = 16 + src.length * 2 + 4;
  let size = fixed + tlvs.reduce((n, b) => n + b.length, 0);
  if (awsLayout && v4 && size + 3 <= AWS_IPV4_HEADER_BYTES) {
    tlvs.push(tlv(PP2_TYPE_NOOP, Buffer.alloc(AWS_IPV4_HEADER_BYTES - size - 3)));
    size = AWS_IPV4_HEADER_BYTES;
  }
  const head = Buffer.alloc(16);
  PPV2_SIGNATURE.copy(head, 0);
  head[12] = 0x21;
  head[13] = v4 ? 0x11 : 0x21;
  head.writeUInt16BE(size - 16, 14);
  const out = Buffer.concat([head, src, dst, ports, ...tlvs]);
  if (awsLayout) out.writeUInt32BE(crc32c(out), fixed + 3);
  return out;
}

/** The LOCAL header health-check connections carry (no client information). */
export function buildPpv2Local(): Buffer {
  const b = Buffer.alloc(16);
  PPV2_SIGNATURE.copy(b, 0);
  b[12] = 0x20;
  b[13] = 0x00;
  return b;
}

export interface ParsedPpv2 {
  command: 'LOCAL' | 'PROXY';
  /** Undefined for LOCAL / UNSPEC. */
  addresses?: Ppv2Addresses;
  tlvs: { type: number; value: Buffer }[];
  /** The AWS endpoint ID TLV, when present. */
  vpceId?: string;
  /** Whether the CRC32C TLV (when present) matches. */
  crcValid?: boolean;
  /** Bytes the header occupies at the start of the buffer. */
  length: number;
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/**
 * Parses a header at the start of buf. Returns undefined when more bytes are needed; throws on
 * a malformed header (a target would drop such a connection).
 */
export function parsePpv2(buf: Buffer): ParsedPpv2 | undefined {
  if (buf.length < 16) {
    if (!PPV2_SIGNATURE.subarray(0, buf.length).equals(buf)) throw new Error('not a PPv2 header');
    return undefined;
  }
  if (!buf.subarray(0, 12).equals(PPV2_SIGNATURE)) throw new Error('not a PPv2 header');
  const verCmd = buf[12] ?? 0;
  if (verCmd >> 4 !== 2) throw new Error('unsupported PPv2 version');
  const len = 16 + buf.readUInt16BE(14);
  if (buf.length < len) return undefined;
  const command = (verCmd & 0x0f) === 1 ? 'PROXY' : 'LOCAL';
  const fam = (buf[13] ?? 0) >> 4;
  const alen = fam === 1 ? 4 : fam === 2 ? 16 : 0;
  let addresses: Ppv2Addresses | undefined;
  let off = 16;
  if (alen) {
    addresses = {
      sourceAddress: ipText(buf.subarray(16, 16 + alen)),
      destinationAddress: ipText(buf.subarray(16 + alen, 16 + 2 * alen)),
      sourcePort: buf.readUInt16BE(16 + 2 * alen),
      destinationPort: buf.readUInt16BE(18 + 2 * alen),
    };
    off = 20 + 2 * alen;
  }
  const tlvs: { type: number; value: Buffer }[] = [];
  let vpceId: string | undefined;
  let crcValid: boolean | undefined;
  while (off + 3 <= len) {
    const type = buf[off] ?? 0;
    const l = buf.readUInt16BE(off + 1);
    if (off + 3 + l > len) throw new Error('truncated PPv2 TLV');
    const value = buf.subarray(off + 3, off + 3 + l);
    tlvs.push({ type, value });
    if (type === PP2_TYPE_AWS && value[0] === PP2_SUBTYPE_AWS_VPCE_ID)
      vpceId = value.subarray(1).toString('ascii');
    if (type === PP2_TYPE_CRC32C && l === 4) {
      const copy = Buffer.from(buf.subarray(0, len));
      copy.fill(0, off + 3, off + 7);
      crcValid = crc32c(copy) === value.readUInt32BE(0);
    }
    off += 3 + l;
  }
  return {
    command,
    addresses: command === 'PROXY' ? addresses : undefined,
    tlvs,
    vpceId,
    crcValid,
    length: len,
  };
}
