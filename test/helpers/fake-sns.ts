/**
 * Test helper: a fake SNS endpoint on 127.0.0.1:0 that records every request (form-decoded) and
 * answers a minimal PublishResponse. Closes when the test ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Hookable = { after(fn: () => unknown): void };

export interface FakeSnsRequest {
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export interface FakeSns {
  readonly url: string;
  readonly requests: FakeSnsRequest[];
  /** Publish requests only, with their message JSON parsed. */
  published(): { topicArn: string; message: Record<string, unknown> }[];
  /** Makes the next answers fail with this status (0 = succeed again). */
  failWith(status: number): void;
}

export async function startFakeSns(t: Hookable): Promise<FakeSns> {
  const requests: FakeSnsRequest[] = [];
  let failStatus = 0;
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push({ params, headers: req.headers });
      if (failStatus) {
        res.writeHead(failStatus, { 'content-type': 'text/xml' }).end('<ErrorResponse/>');
        return;
      }
      n++;
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
            `<MessageId>00000000-0000-4000-8000-${String(n).padStart(12, '0')}</MessageId>` +
            `</PublishResult><ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata></PublishResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    published: () =>
      requests
        .filter((r) => r.params.Action === 'Publish')
        .map((r) => ({
          topicArn: r.params.TopicArn ?? '',
          message: JSON.parse(r.params.Message ?? '{}') as Record<string, unknown>,
        })),
    failWith(status) {
      failStatus = status;
    },
  };
}
