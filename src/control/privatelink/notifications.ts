/**
 * Connection notifications: which SNS topic hears about which connection events of a service
 * (provider side) or of one interface endpoint (consumer side). Delivery is notifier.ts's job.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §3.4, §5.8, §6.17):
 * - Covered: ConnectionNotificationArn must be an SNS topic ARN
 *   (`arn:aws:sns:<region>:<account>:<name>`); ConnectionEvents ⊆ Accept, Connect, Delete, Reject;
 *   exactly one of ServiceId (the caller's own service) and VpcEndpointId (the caller's own
 *   interface endpoint); IDs `vpce-nfn-`+17 hex; state Enabled, type Topic; ClientToken
 *   idempotency; Modify replaces topic and/or events; Delete is a batch with `unsuccessful`;
 *   Describe by scalar ID (unknown → InvalidConnectionNotification) and the six filters
 *   connection-notification-arn/-id/-state/-type, service-id, vpc-endpoint-id.
 * - Gaps: the topic's policy is not checked (AWS needs `vpce.amazonaws.com` to be allowed to
 *   publish); notifications are never Disabled by privlink.
 * - By design: deleting a service deletes its notifications.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { Errors, apiError } from '../errors.js';
import { applyFilters, paginate, type FilterInput, type Page } from '../filters.js';
import type { DeepReadonly } from '../model/common.js';
import type { ConnectionEvent, ConnectionNotification } from '../model/privatelink.js';
import { priorResourceFor, rememberClientToken } from '../client-token.js';
import { type BatchFailure, requireOwnService } from './endpoint-services.js';

export type StoredNotification = DeepReadonly<ConnectionNotification>;

export const CONNECTION_EVENTS: readonly ConnectionEvent[] = ['Accept', 'Connect', 'Delete', 'Reject'];
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const NOTIFICATION_ID = /^vpce-nfn-[0-9a-f]{8,17}$/;
const ENDPOINT_ID = /^vpce-[0-9a-f]{8,17}$/;

function validateTopicArn(arn: string): void {
  if (!TOPIC_ARN.test(arn)) {
    throw apiError(
      'InvalidParameter',
      `The connection notification ARN '${arn.slice(0, 300)}' is not a valid SNS topic ARN (arn:aws:sns:<region>:<account-id>:<topic-name>).`,
    );
  }
}

function validateEvents(events: readonly string[]): ConnectionEvent[] {
  if (events.length === 0) throw Errors.missingParameter('ConnectionEvents');
  for (const e of events) {
    if (!(CONNECTION_EVENTS as readonly string[]).includes(e)) {
      throw apiError(
        'InvalidParameter',
        `Invalid connection event '${e.slice(0, 64)}'. Valid values are Accept, Connect, Delete and Reject.`,
      );
    }
  }
  return [...new Set(events)] as ConnectionEvent[];
}

function notFound(id: string) {
  return apiError('InvalidConnectionNotification', `The connection notification ID '${id}' does not exist`);
}

function requireOwnNotification(control: Control, caller: CallerContext, id: string): StoredNotification {
  const n = NOTIFICATION_ID.test(id) ? control.store.get('connectionNotification', caller, id) : undefined;
  if (!n) throw notFound(id);
  return n;
}

/** The Region of the service a notification is about (shown as `serviceRegion`). */
export function notificationServiceRegion(control: Control, n: StoredNotification): string | undefined {
  if (n.serviceId) return control.store.find('endpointService', n.serviceId)?.region ?? n.region;
  if (n.vpcEndpointId) return control.store.find('vpcEndpoint', n.vpcEndpointId)?.serviceRegion ?? n.region;
  return undefined;
}

export interface CreateNotificationInput {
  serviceId?: string;
  vpcEndpointId?: string;
  topicArn: string;
  events: string[];
  clientToken?: string;
}

const CREATE_ACTION = 'CreateVpcEndpointConnectionNotification';

export function createConnectionNotification(
  control: Control,
  caller: CallerContext,
  input: CreateNotificationInput,
): { notification: StoredNotification; clientToken?: string } {
  const { clientToken, ...params } = input;
  const prior = priorResourceFor(control, caller, CREATE_ACTION, clientToken, params, (id) =>
    Boolean(control.store.get('connectionNotification', caller, id)),
  );
  if (prior) {
    const n = control.store.get('connectionNotification', caller, prior);
    if (n) return { notification: n, clientToken };
  }
  if ((input.serviceId === undefined) === (input.vpcEndpointId === undefined)) {
    throw apiError('InvalidParameter', 'Exactly one of ServiceId and VpcEndpointId must be specified.');
  }
  validateTopicArn(input.topicArn);
  const events = validateEvents(input.events);
  if (input.serviceId !== undefined) {
    requireOwnService(control, caller, input.serviceId);
  } else if (input.vpcEndpointId !== undefined) {
    const id = input.vpcEndpointId;
    if (!ENDPOINT_ID.test(id)) throw Errors.endpointMalformed(id);
    const ep = control.store.get('vpcEndpoint', caller, id);
    if (!ep) throw Errors.endpointNotFound(id);
    if (ep.endpointType !== 'Interface') {
      throw apiError(
        'InvalidParameter',
        `Connection notifications are supported for interface endpoints only; ${id} is a ${ep.endpointType} endpoint.`,
      );
    }
  }
  const n: ConnectionNotification = {
    id: control.ids.resourceId('vpce-nfn'),
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags: [],
    ...(input.serviceId !== undefined ? { serviceId: input.serviceId } : {}),
    ...(input.vpcEndpointId !== undefined ? { vpcEndpointId: input.vpcEndpointId } : {}),
    topicArn: input.topicArn,
    events,
    state: 'Enabled',
    ...(clientToken !== undefined ? { clientToken } : {}),
  };
  const stored = control.store.put('connectionNotification', n);
  rememberClientToken(control, caller, CREATE_ACTION, clientToken, params, n.id);
  return { notification: stored, clientToken };
}

export interface ModifyNotificationInput {
  id: string;
  topicArn?: string;
  events: string[];
}

export function modifyConnectionNotification(
  control: Control,
  caller: CallerContext,
  input: ModifyNotificationInput,
): void {
  const n = requireOwnNotification(control, caller, input.id);
  if (input.topicArn !== undefined) validateTopicArn(input.topicArn);
  const events = input.events.length ? validateEvents(input.events) : [...n.events];
  control.store.put('connectionNotification', {
    ...n,
    topicArn: input.topicArn ?? n.topicArn,
    events,
  });
}

export function deleteConnectionNotifications(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): BatchFailure[] {
  const failures: BatchFailure[] = [];
  for (const id of new Set(ids)) {
    const n = NOTIFICATION_ID.test(id) ? control.store.get('connectionNotification', caller, id) : undefined;
    if (!n) {
      failures.push({ resourceId: id, error: notFound(id) });
      continue;
    }
    control.store.delete('connectionNotification', id);
  }
  return failures;
}

export interface DescribeNotificationsInput {
  id?: string;
  filters: FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

export function describeConnectionNotifications(
  control: Control,
  caller: CallerContext,
  input: DescribeNotificationsInput,
): Page<StoredNotification> {
  let items = control.store.list('connectionNotification', caller);
  if (input.id !== undefined) {
    const one = requireOwnNotification(control, caller, input.id);
    items = [one];
  }
  const filtered = applyFilters(items, input.filters, {
    'connection-notification-arn': (n) => n.topicArn,
    'connection-notification-id': (n) => n.id,
    'connection-notification-state': (n) => n.state,
    'connection-notification-type': () => 'Topic',
    'service-id': (n) => n.serviceId,
    'vpc-endpoint-id': (n) => n.vpcEndpointId,
  });
  return paginate(filtered, (n) => n.id, input.maxResults, input.nextToken, { min: 1, max: 1000 });
}
