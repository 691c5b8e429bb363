/**
 * Wire edge of the four connection-notification actions (docs/reference/aws-privatelink.md §6.17). Delete
 * takes `ConnectionNotificationId.N`; Describe and Modify take a scalar `ConnectionNotificationId`. Behaviour
 * and ledger: control/privatelink/notifications.ts (CRUD) and notifier.ts (delivery).
 */
import { common, s } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { requiredStr } from './shape-parts.js';
import {
  createConnectionNotification,
  deleteConnectionNotifications,
  describeConnectionNotifications,
  modifyConnectionNotification,
} from '../../../../control/privatelink/notifications.js';
import { connectionNotification, unsuccessful } from './render.js';

export const createVpcEndpointConnectionNotification = defineAction(
  s.struct({
    ...common,
    ServiceId: s.str(),
    VpcEndpointId: s.str(),
    ConnectionNotificationArn: requiredStr,
    ConnectionEvents: s.list(s.str(), { required: true }),
    ClientToken: s.str(),
  }),
  (input, ctx) => {
    const { notification, clientToken } = createConnectionNotification(ctx.control, ctx, {
      serviceId: input.ServiceId,
      vpcEndpointId: input.VpcEndpointId,
      topicArn: input.ConnectionNotificationArn,
      events: input.ConnectionEvents,
      clientToken: input.ClientToken,
    });
    return { connectionNotification: connectionNotification(ctx.control, notification), clientToken };
  },
);

export const modifyVpcEndpointConnectionNotification = defineAction(
  s.struct({
    ...common,
    ConnectionNotificationId: requiredStr,
    ConnectionNotificationArn: s.str(),
    ConnectionEvents: s.list(s.str()),
  }),
  (input, ctx) => {
    modifyConnectionNotification(ctx.control, ctx, {
      id: input.ConnectionNotificationId,
      topicArn: input.ConnectionNotificationArn,
      events: input.ConnectionEvents,
    });
    return { return: true };
  },
);

export const deleteVpcEndpointConnectionNotifications = defineAction(
  s.struct({ ...common, ConnectionNotificationId: s.list(s.str(), { required: true }) }),
  (input, ctx) => ({
    unsuccessful: unsuccessful(
      deleteConnectionNotifications(ctx.control, ctx, input.ConnectionNotificationId),
    ),
  }),
);

export const describeVpcEndpointConnectionNotifications = defineAction(
  s.struct({
    ...common,
    ConnectionNotificationId: s.str(),
    ...describePagingMembers,
  }),
  (input, ctx) => {
    const page = describeConnectionNotifications(ctx.control, ctx, {
      id: input.ConnectionNotificationId,
      ...pageRequest(input),
    });
    return {
      connectionNotificationSet: page.items.map((n) => connectionNotification(ctx.control, n)),
      nextToken: page.nextToken,
    };
  },
);
