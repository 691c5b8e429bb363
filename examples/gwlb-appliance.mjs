#!/usr/bin/env node
/**
 * A Gateway Load Balancer appliance: receives GENEVE on UDP 6081, logs each packet's AWS options
 * (endpoint ID, attachment ID, flow cookie), inner 5-tuple and length, and arrival time (ms) as
 * one JSON line, and sends the packet back unchanged to the GWLB node it came from (port 6081) —
 * or drops it.
 *
 *   node gwlb-appliance.mjs [--log FILE|-] [--drop-port N]… [--mangle-port N] [--health-port N]
 *
 * --drop-port N    drops inner TCP/UDP packets to or from port N (what an appliance drops stays
 *                  dropped).
 * --mangle-port N  answers packets to or from port N with a broken GENEVE version (the GWLB
 *                  must drop and count them).
 * --health-port N  accepts TCP connections on N for the target group's health check.
 * Wire format: docs/gwlb.md.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
const log = args.includes('--log') ? args[args.indexOf('--log') + 1] : undefined; // '-': stdout
const num = (flag) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : undefined);
const manglePort = num('--mangle-port');
const healthPort = num('--health-port');
const drop = new Set(args.flatMap((a, i) => (a === '--drop-port' ? [Number(args[i + 1])] : [])));

/** Parses GENEVE + AWS options + the inner IPv4 header; undefined when malformed. */
function parse(b) {
  if (b.length < 8 || b[0] >> 6 !== 0 || b.readUInt16BE(2) !== 0x0800) return undefined;
  const optLen = (b[0] & 0x3f) * 4;
  const opts = {};
  for (let o = 8; o < 8 + optLen;) {
    const cls = b.readUInt16BE(o),
      type = b[o + 2],
      len = (b[o + 3] & 0x1f) * 4;
    const data = b.subarray(o + 4, o + 4 + len);
    if (cls === 0x0108 && type === 1) opts.endpointId = data.toString('hex');
    if (cls === 0x0108 && type === 2) opts.attachmentId = data.toString('hex');
    if (cls === 0x0108 && type === 3) opts.flowCookie = data.toString('hex');
    o += 4 + len;
  }
  const ip = b.subarray(8 + optLen);
  if (ip.length < 20 || ip[0] >> 4 !== 4) return undefined;
  const ihl = (ip[0] & 0x0f) * 4;
  const proto = ip[9];
  const ports = proto === 6 || proto === 17 ? [ip.readUInt16BE(ihl), ip.readUInt16BE(ihl + 2)] : [0, 0];
  const addr = (o) => [...ip.subarray(o, o + 4)].join('.');
  return {
    ...opts,
    proto,
    src: addr(12),
    dst: addr(16),
    sport: ports[0],
    dport: ports[1],
    len: ip.readUInt16BE(2),
  };
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const p = parse(msg);
  if (!p) return;
  const dropped = drop.has(p.sport) || drop.has(p.dport);
  const line = JSON.stringify({ ...p, from: rinfo.address, dropped, at: Date.now() });
  if (log === '-') console.log(line);
  else if (log) appendFileSync(log, line + '\n');
  if (dropped) return;
  if (manglePort !== undefined && (p.sport === manglePort || p.dport === manglePort)) msg[0] |= 0xc0;
  sock.send(msg, 6081, rinfo.address);
});
sock.bind(6081, () => console.log('gwlb appliance listening on 6081'));
if (healthPort !== undefined) net.createServer((c) => c.end()).listen(healthPort);
