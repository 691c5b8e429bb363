/**
 * The web server the demo's provider instances run from user data: a plain Node program that
 * answers every HTTP request with its instance ID (read from the instance metadata service) and
 * logs the PROXY protocol v2 header that the load balancer prepends — consumer address and the
 * VPC endpoint ID from the AWS TLV (type 0xEA, subtype 0x01). Kept dependency-free because it
 * runs inside the instance, outside privlink's process.
 */

/** The program, as user data with a shebang for the given node binary. */
export function providerUserData(nodePath: string, port = 80): string {
  return `#!${nodePath}
'use strict';
const net = require('net');
const http = require('http');
const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
// Loopback mode (no namespaces): privlink hands each instance its own address and IMDS endpoint.
const IMDS = new URL(process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254');
const BIND = process.env.PRIVLINK_BIND_IP || '0.0.0.0';
// Boot scripts on EC2 retry IMDS too: at boot (and on a loaded host) the first call may time out.
async function metadata(path) {
  for (let i = 0; i < 10; i++) {
    const v = await metadataOnce(path);
    if (v !== 'unknown') return v;
    await new Promise((r) => setTimeout(r, 300 * (i + 1)));
  }
  return 'unknown';
}
function metadataOnce(path) {
  return new Promise((resolve) => {
    const req = http.get({ host: IMDS.hostname, port: IMDS.port || 80, path: '/latest/meta-data/' + path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : 'unknown'));
    });
    req.on('error', () => resolve('unknown'));
    req.on('timeout', () => req.destroy());
  });
}
// undefined: need more bytes; null: no header; else the parsed header.
function parseProxyV2(buf) {
  if (buf.length < 16) return buf.subarray(0, Math.min(buf.length, 12)).equals(SIG.subarray(0, Math.min(buf.length, 12))) ? undefined : null;
  if (!buf.subarray(0, 12).equals(SIG)) return null;
  const total = 16 + buf.readUInt16BE(14);
  if (buf.length < total) return undefined;
  const h = { length: total, local: (buf[12] & 0x0f) === 0, source: '', endpoint: '' };
  let off = 16;
  if (buf[13] === 0x11) {
    h.source = Array.from(buf.subarray(16, 20)).join('.') + ':' + buf.readUInt16BE(24);
    off = 28;
  }
  while (off + 3 <= total) {
    const type = buf[off], len = buf.readUInt16BE(off + 1);
    if (type === 0xea && buf[off + 3] === 0x01) h.endpoint = buf.subarray(off + 4, off + 3 + len).toString('ascii');
    off += 3 + len;
  }
  return h;
}
(async () => {
  const id = await metadata('instance-id');
  const ip = await metadata('local-ipv4');
  net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    let headerDone = false;
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!headerDone) {
        const h = parseProxyV2(buf);
        if (h === undefined) return;
        headerDone = true;
        if (h) {
          buf = buf.subarray(h.length);
          if (!h.local) console.log('request via PROXY v2: consumer=' + h.source + ' endpoint=' + h.endpoint);
        }
      }
      if (!buf.includes('\\r\\n\\r\\n')) return;
      const body = 'xyz.com served by ' + id + ' (' + ip + ')\\n';
      sock.end('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: ' + Buffer.byteLength(body) + '\\r\\nConnection: close\\r\\n\\r\\n' + body);
    });
  }).listen(${port}, BIND, () => console.log('xyz.com web server ' + id + ' listening on ' + ip + ':${port}'));
})();
`;
}
