/**
 * The connection-notification notifier: watches committed endpoint changes, records one
 * `notificationRecord` per matching notification and event, and — when `--sns-endpoint` is set —
 * publishes it with an SNS `Publish` call (form-encoded, `Version=2010-03-31`).
 *
 * Fidelity ledger (reference §5.8; PrivateLink guide "Receive alerts for endpoint service events"):
 * - Covered: events Connect (the consumer created an endpoint: it appears in pendingAcceptance,
 *   pending or available), Accept (pendingAcceptance → pending), Reject (→ rejected) and Delete
 *   (→ deleting, or the record vanishing before it was deleting); service-scoped notifications
 *   hear about every endpoint of the service, endpoint-scoped ones about that endpoint only;
 *   only Enabled notifications subscribed to the event fire.
 * - Gaps: AWS does not document the message body in the stored sources; privlink publishes
 *   this JSON (member names follow DescribeVpcEndpointConnections):
 *   `{"version":"1.0","time":ISO,"region":…,"account":<notification owner>,
 *     "connectionNotificationId":…,"connectionNotificationArn":…,"connectionEvent":"Connect"|…,
 *     "serviceId":…,"serviceName":…,"vpcEndpointId":…,"vpcEndpointOwner":…,
 *     "vpcEndpointState":…,"vpcEndpointRegion":…}`.
 *   The Publish call is unsigned (SNS substitutes such as LocalStack accept that); no retries.
 * - By design: delivery is recorded on the record (`pending` → `delivered`/`failed`, or
 *   `not-configured` without an SNS endpoint), so tests and the console can see what was sent.
 */
import type { Control } from '../control.js';
import type { DeepReadonly } from '../model/common.js';
import type {
  ConnectionEvent,
  EndpointState,
  NotificationRecord,
  VpcEndpoint,
} from '../model/privatelink.js';
import type { ChangeEvent } from '../../store/store.js';
import { isoTime } from '../../shared/clock.js';

type Ep = DeepReadonly<VpcEndpoint>;

const PUBLISH_TIMEOUT_MS = 5000;
const LIVE: ReadonlySet<EndpointState> = new Set(['pendingAcceptance', 'pending', 'available']);

/** Which connection event a committed endpoint change is, if any. */
export function connectionEventOf(ch: ChangeEvent): ConnectionEvent | undefined {
  if (ch.kind !== 'vpcEndpoint') return undefined;
  const before = ch.before as Ep | undefined;
  const after = ch.after as Ep | undefined;
  if (ch.op === 'delete' || !after) {
    return before && before.state !== 'deleting' && before.state !== 'deleted' ? 'Delete' : undefined;
  }
  if (!before) return LIVE.has(after.state) ? 'Connect' : undefined;
  if (before.state === after.state) return undefined;
  if (before.state === 'pendingAcceptance' && after.state === 'pending') return 'Accept';
  if (after.state === 'rejected') return 'Reject';
  if (after.state === 'deleting' || (after.state === 'deleted' && before.state !== 'deleting'))
    return 'Delete';
  return undefined;
}

/**
 * Starts the notifier. Returns the stop function: queued work is dropped and in-flight
 * publishes are aborted.
 */
export function startNotifier(control: Control): () => void {
  const log = control.logger.child('notifier');
  const abort = new AbortController();
  let stopped = false;
  let queue: Promise<void> = Promise.resolve();

  const publish = async (rec: DeepReadonly<NotificationRecord>, endpoint: string): Promise<void> => {
    let delivery: NotificationRecord['delivery'] = 'failed';
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams({
          Action: 'Publish',
          TopicArn: rec.topicArn,
          Message: rec.message,
          Version: '2010-03-31',
        }).toString(),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(PUBLISH_TIMEOUT_MS)]),
      });
      await res.arrayBuffer();
      if (res.ok) delivery = 'delivered';
      else log.warn('SNS Publish refused', { topicArn: rec.topicArn, status: res.status });
    } catch (e) {
      if (stopped) return;
      log.warn('SNS Publish failed', { topicArn: rec.topicArn, error: String(e) });
    }
    if (stopped) return;
    control.store.transaction(() => {
      const cur = control.store.find('notificationRecord', rec.id);
      if (cur) control.store.put('notificationRecord', { ...cur, delivery });
    });
  };

  const record = (batch: NotificationRecord[]) => {
    if (stopped || batch.length === 0) return;
    const stored = control.store.transaction(() =>
      batch.map((r) => control.store.put('notificationRecord', r)),
    );
    const endpoint = control.config.snsEndpoint;
    if (!endpoint) return;
    // One at a time, so the topic hears about events in the order they happened.
    for (const r of stored) {
      queue = queue
        .then(() => (stopped ? undefined : publish(r, endpoint)))
        .catch((e: unknown) => log.error('publish crashed', { error: String(e) }));
    }
  };

  const unsubscribe = control.store.subscribe((changes) => {
    const batch: NotificationRecord[] = [];
    for (const ch of changes) {
      const event = connectionEventOf(ch);
      if (!event) continue;
      const ep = (ch.after ?? ch.before) as Ep;
      const state: EndpointState = ch.op === 'delete' ? 'deleted' : ep.state;
      // Read at commit time: a notification deleted in the same transaction does not fire.
      for (const n of control.store.listAll('connectionNotification')) {
        if (n.state !== 'Enabled' || !n.events.includes(event)) continue;
        if (!(n.vpcEndpointId === ep.id || (ep.serviceId !== undefined && n.serviceId === ep.serviceId)))
          continue;
        const now = control.clock.now();
        const message = JSON.stringify({
          version: '1.0',
          time: isoTime(now),
          region: n.region,
          account: n.accountId,
          connectionNotificationId: n.id,
          connectionNotificationArn: n.topicArn,
          connectionEvent: event,
          serviceId: ep.serviceId,
          serviceName: ep.serviceName,
          vpcEndpointId: ep.id,
          vpcEndpointOwner: ep.accountId,
          vpcEndpointState: state,
          vpcEndpointRegion: ep.region,
        });
        batch.push({
          id: control.ids.resourceId('vpce-nrec'),
          accountId: n.accountId,
          region: n.region,
          createdAt: now,
          tags: [],
          notificationId: n.id,
          event,
          topicArn: n.topicArn,
          vpcEndpointId: ep.id,
          serviceId: ep.serviceId ?? '',
          message,
          delivery: control.config.snsEndpoint ? 'pending' : 'not-configured',
        });
      }
    }
    // Write after the committing transaction has fully returned, not from inside its listeners.
    if (batch.length) setImmediate(() => record(batch));
  });

  return () => {
    stopped = true;
    unsubscribe();
    abort.abort();
  };
}
