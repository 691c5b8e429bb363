/**
 * Scrapes a privlink's /metrics (signed by an admin key when given) and parses it with
 * parse-prometheus-text-format (prom2json's shape), so a test reads series by name and labels.
 */
import { createRequire } from 'node:module';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

interface Sample {
  value?: string;
  labels?: Record<string, string>;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}
export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

export async function scrape(
  url: string,
  admin?: { accessKeyId: string; secretAccessKey: string },
): Promise<{ status: number; text: string; families: Family[] }> {
  const u = new URL(url + '/metrics');
  let headers: Record<string, string> = { host: u.host };
  if (admin) {
    const signed = await new SignatureV4({
      credentials: admin,
      region: 'us-east-1',
      service: 'ec2',
      sha256: Sha256,
    }).sign({
      method: 'GET',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/metrics',
      headers,
    });
    headers = signed.headers as Record<string, string>;
  }
  const res = await fetch(u, { headers });
  const text = await res.text();
  return { status: res.status, text, families: res.ok ? parse(text) : [] };
}

/** The value of one series (0 when absent): labels must match those given. */
export function sample(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const f = families.find((x) => x.name === name);
  let total = 0;
  for (const m of f?.metrics ?? []) {
    if (Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      total += Number(m.value ?? m.count ?? 0);
  }
  return total;
}

/**
 * One series read straight from the text (parse-prometheus-text-format keeps neither the labels
 * nor `_count` of histogram series): `name{labels}` exactly as prom-client orders them.
 */
export function raw(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return 0;
}
