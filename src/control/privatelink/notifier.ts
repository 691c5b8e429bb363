/**
 * The connection-notification notifier: watches committed endpoint changes, records one
 * `notificationRecord` per matching notification and event, and — when an SNS publisher is
 * configured (`--sns-endpoint`) — publishes it through the SnsPublisher port.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §5.8; PrivateLink guide "Receive alerts for
 * endpoint service events"):
 * - Covered: events Connect (the consumer created an endpoint: it appears in pendingAcceptance,
 *   pending or available), Accept (pendingAcceptance → pending), Reject (→ rejected, and
 *   pendingAcceptance → expired with vpcEndpointState `expired`: AWS has no Expire event and
 *   does not document which one an expiry sends) and Delete
 *   (→ deleting, or the record vanishing before it was deleting); service-scoped notifications
 *   hear about every endpoint of the service, endpoint-scoped ones about that endpoint only;
 *   only Enabled notifications subscribed to the event fire.
 * - Gaps: AWS does not document the message body in the stored sources; privlink publishes
 *   this JSON (member names follow DescribeVpcEndpointConnections):
 *   `{"version":"1.0","time":ISO,"region":…,"account":<notification owner>,
 *     "connectionNotificationId":…,"connectionNotificationArn":…,"connectionEvent":"Connect"|…,
 *     "serviceId":…,"serviceName":…,"vpcEndpointId":…,"vpcEndpointOwner":…,
 *     "vpcEndpointState":…,"vpcEndpointRegion":…}`.
 *   No retries of a refused or failed Publish. An event committed in the instant before a crash,
 *   whose record was not written yet, is not notified.
 * - By design: delivery is recorded on the record (`pending` → `delivered`/`failed`, or
 *   `not-configured` without an SNS endpoint), so tests and the console can see what was sent.
 *   Records still `pending` when the notifier starts (the server stopped or crashed before the
 *   Publish answered) are published then, oldest first.
 */
import type { Clock } from '../../shared/clock.js';
import type { IdSource } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { SnsPublisher } from '../ports.js';
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
  // An expired request was never accepted: the closest of AWS's four events (it has no Expire).
  if (after.state === 'rejected' || after.state === 'expired') return 'Reject';
  if (after.state === 'deleting' || (after.state === 'deleted' && before.state !== 'deleting'))
    return 'Delete';
  return undefined;
}

export interface NotifierDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  logger: Logger;
  /** Absent: records are kept as `not-configured` and nothing is sent. */
  sns: SnsPublisher | undefined;
}

/**
 * Starts the notifier. Returns the stop function: queued work is dropped and in-flight
 * publishes are aborted (their records stay `pending` and are sent at the next start).
 */
export function startNotifier(deps: NotifierDeps): () => void {
  const log = deps.logger;
  const sns = deps.sns;
  const abort = new AbortController();
  let stopped = false;
  let queue: Promise<void> = Promise.resolve();

  const publish = async (rec: DeepReadonly<NotificationRecord>, sns: SnsPublisher): Promise<void> => {
    let delivery: NotificationRecord['delivery'] = 'failed';
    try {
      await sns.publish(rec.topicArn, rec.message, abort.signal);
      delivery = 'delivered';
    } catch (e) {
      if (stopped) return;
      log.warn('SNS Publish failed', {
        topicArn: rec.topicArn,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    if (stopped) return;
    deps.store.transaction(() => {
      const cur = deps.store.find('notificationRecord', rec.id);
      if (cur) deps.store.put('notificationRecord', { ...cur, delivery });
    });
  };

  /** Queues records for publishing, one at a time, so the topic hears events in their order. */
  const send = (records: readonly DeepReadonly<NotificationRecord>[]) => {
    if (!sns) return;
    for (const r of records) {
      queue = queue
        .then(() => (stopped ? undefined : publish(r, sns)))
        .catch((e: unknown) => log.error('publish crashed', { error: String(e) }));
    }
  };

  const record = (batch: NotificationRecord[]) => {
    if (stopped || batch.length === 0) return;
    send(deps.store.transaction(() => batch.map((r) => deps.store.put('notificationRecord', r))));
  };

  const unsubscribe = deps.store.subscribe((changes) => {
    const batch: NotificationRecord[] = [];
    for (const ch of changes) {
      const event = connectionEventOf(ch);
      if (!event) continue;
      const ep = (ch.after ?? ch.before) as Ep;
      const state: EndpointState = ch.op === 'delete' ? 'deleted' : ep.state;
      // Read at commit time: a notification deleted in the same transaction does not fire.
      for (const n of deps.store.listAll('connectionNotification')) {
        if (n.state !== 'Enabled' || !n.events.includes(event)) continue;
        if (!(n.vpcEndpointId === ep.id || (ep.serviceId !== undefined && n.serviceId === ep.serviceId)))
          continue;
        const now = deps.clock.now();
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
          id: deps.ids.resourceId('vpce-nrec'),
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
          delivery: sns ? 'pending' : 'not-configured',
        });
      }
    }
    // Write after the committing transaction has fully returned, not from inside its listeners.
    if (batch.length) setImmediate(() => record(batch));
  });

  // Resume: what a previous run recorded but never heard back about.
  send(
    deps.store
      .listAll('notificationRecord')
      .filter((r) => r.delivery === 'pending')
      .sort((a, b) => a.createdAt - b.createdAt),
  );

  return () => {
    stopped = true;
    unsubscribe();
    abort.abort();
  };
}
