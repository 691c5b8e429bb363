/**
 * The SNS publisher port (control/ports.ts): one SNS `Publish` call (form-encoded,
 * `Version=2010-03-31`) to `--sns-endpoint`, for connection notifications.
 *
 * By design: the call is unsigned (SNS substitutes such as LocalStack accept that), 5 s timeout,
 * no retries; a non-2xx answer rejects.
 */
import type { SnsPublisher } from '../control/ports.js';

const PUBLISH_TIMEOUT_MS = 5000;

export function createSnsPublisher(endpoint: string, timeoutMs = PUBLISH_TIMEOUT_MS): SnsPublisher {
  return {
    publish: async (topicArn, message, signal) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams({
          Action: 'Publish',
          TopicArn: topicArn,
          Message: message,
          Version: '2010-03-31',
        }).toString(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`SNS Publish refused: HTTP ${res.status}`);
    },
  };
}
