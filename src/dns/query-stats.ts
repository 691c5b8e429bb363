/**
 * Counts the DNS queries privlink's resolvers answered, by kind of answer, read from the reply's
 * header (so every path — records, NXDOMAIN, forwarded, FORMERR — is counted the same way).
 * One per DNS component; /metrics reads it as `privlink_dns_queries_total{answer}`.
 */

export type AnswerKind = 'answer' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'formerr' | 'other';

export class QueryStats {
  readonly counts: Record<AnswerKind, number> = {
    answer: 0,
    nodata: 0,
    nxdomain: 0,
    servfail: 0,
    refused: 0,
    formerr: 0,
    other: 0,
  };

  /** Counts one reply (undefined: nothing was sent back, not counted). */
  count(reply: Buffer | undefined): void {
    if (!reply || reply.length < 12) return;
    this.counts[classify(reply)]++;
  }

  /** Wraps an answering function so each reply it produces is counted. */
  wrap<A extends unknown[]>(
    fn: (...a: A) => Promise<Buffer | undefined>,
  ): (...a: A) => Promise<Buffer | undefined> {
    return async (...a: A) => {
      const r = await fn(...a);
      this.count(r);
      return r;
    };
  }
}

export function classify(reply: Buffer): AnswerKind {
  const rcode = reply.readUInt16BE(2) & 0x000f;
  if (rcode === 0) return reply.readUInt16BE(6) > 0 ? 'answer' : 'nodata';
  if (rcode === 3) return 'nxdomain';
  if (rcode === 2) return 'servfail';
  if (rcode === 5) return 'refused';
  if (rcode === 1) return 'formerr';
  return 'other';
}
