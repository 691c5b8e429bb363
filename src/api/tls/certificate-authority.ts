/**
 * privlink's certificate authority: one self-signed CA kept in the data dir (`ca.key`, `ca.crt`,
 * mode 0600/0644; generated on first start, in memory for an ephemeral server) and the server
 * certificates it issues for the AWS service names privlink answers through endpoints.
 *
 * Fidelity ledger (certificates of AWS service endpoints as served in 2025):
 * - Covered: a service's certificate names the regional name (`ec2.us-east-1.amazonaws.com`), the
 *   wildcard under it (`*.s3.us-east-1.amazonaws.com` for virtual-hosted buckets) and the
 *   endpoint-specific wildcard (`*.ec2.us-east-1.vpce.amazonaws.com`, which covers the regional
 *   and zonal `vpce-…` names), as AWS's certificates do.
 * - By design: the CA is privlink's own (AWS's chain goes to Amazon Root CA 1); instances trust
 *   it through their system bundle and AWS_CA_BUNDLE, the host through `privlink ca`. ECDSA P-256
 *   keys; server certificates are issued on first use per name and kept in memory.
 */
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata polyfill at import.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type KeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
const LEAF_DAYS = 397;

export interface IssuedCertificate {
  /** PEM certificate followed by the CA's. */
  certPem: string;
  keyPem: string;
}

function pemKey(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // Positive 16-byte serial: first nibble below 8.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] ?? 0) & 0x7f;
  return Buffer.from(b).toString('hex');
}

/** The names a service's certificate carries, from the name a client asked for (SNI). */
export function certificateNamesFor(serverName: string): string[] | undefined {
  const name = serverName.toLowerCase();
  // <anything>.<svc>.<region>.vpce.amazonaws.com, or [<bucket>.]<svc>.<region>.amazonaws.com
  const vpce =
    /^(?:[^.]+\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)?)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.vpce\.amazonaws\.com$/.exec(
      name,
    );
  const regional = /^(?:.+\.)?([a-z0-9-]+)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/.exec(name);
  const m = vpce ?? regional;
  if (!m?.[1] || !m[2]) return undefined;
  const svc = m[1];
  const region = m[2];
  return [
    `${svc}.${region}.amazonaws.com`,
    `*.${svc}.${region}.amazonaws.com`,
    `*.${svc}.${region}.vpce.amazonaws.com`,
  ];
}

export class CertificateAuthority {
  private readonly issued = new Map<string, Promise<IssuedCertificate>>();

  private constructor(
    private readonly caCert: x509.X509Certificate,
    private readonly caKeys: KeyPair,
  ) {}

  /** Loads the CA from `dir` (creating it there on first use); `dir` undefined = in memory. */
  static async open(dir: string | undefined, now: Date = new Date()): Promise<CertificateAuthority> {
    if (dir) {
      const [crt, key] = await Promise.all([
        readFile(join(dir, 'ca.crt'), 'utf8').catch(() => undefined),
        readFile(join(dir, 'ca.key'), 'utf8').catch(() => undefined),
      ]);
      if (crt && key) {
        const cert = new x509.X509Certificate(crt);
        const privateKey = await webcrypto.subtle.importKey(
          'pkcs8',
          x509.PemConverter.decodeFirst(key),
          ALG,
          true,
          ['sign'],
        );
        const publicKey = await cert.publicKey.export(ALG, ['verify'], webcrypto as unknown as X509Crypto);
        return new CertificateAuthority(cert, { privateKey, publicKey } as KeyPair);
      }
    }
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=privlink local CA, O=privlink',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const ca = new CertificateAuthority(cert, keys);
    if (dir) {
      await mkdir(dir, { recursive: true });
      const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
      await writeFile(join(dir, 'ca.key'), pemKey(pkcs8), { mode: 0o600 });
      await writeFile(join(dir, 'ca.crt'), ca.certificatePem(), { mode: 0o644 });
    }
    return ca;
  }

  certificatePem(): string {
    return this.caCert.toString('pem') + '\n';
  }

  /** A certificate for the service `serverName` belongs to (undefined for names privlink does not serve). */
  certificateFor(serverName: string): Promise<IssuedCertificate> | undefined {
    const names = certificateNamesFor(serverName);
    if (!names?.[0]) return undefined;
    const key = names[0];
    let p = this.issued.get(key);
    if (!p) {
      p = this.issue(names);
      p.catch(() => this.issued.delete(key));
      this.issued.set(key, p);
    }
    return p;
  }

  private async issue(names: string[], now: Date = new Date()): Promise<IssuedCertificate> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
    const notAfter = new Date(now.getTime() + LEAF_DAYS * 86_400_000);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${names[0] ?? ''}`,
      issuer: this.caCert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: notAfter < this.caCert.notAfter ? notAfter : this.caCert.notAfter,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: this.caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: 'dns' as const, value: n }))),
        await x509.AuthorityKeyIdentifierExtension.create(this.caCert),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certPem: cert.toString('pem') + '\n' + this.certificatePem(), keyPem: pemKey(pkcs8) };
  }
}
