/**
 * ELBv2 listener actions: CreateListener, DescribeListeners, ModifyListener, DeleteListener,
 * Describe/ModifyListenerAttributes. Wire ↔ control mapping only; the behaviour and its fidelity
 * ledger live in control/elb/listeners.ts.
 */
import {
  createListener,
  deleteListener,
  describeListenerAttributes,
  describeListeners,
  modifyListener,
  modifyListenerAttributes,
  type ListenerActionInput,
  type ListenerSettingsInput,
} from '../../../control/elb/listeners.js';
import type { StructValue, Value } from '../../query/shapes.js';
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { renderListener } from './render.js';
import {
  PROTOCOLS,
  actionShape,
  attributeShape,
  certificateShape,
  elbTagShape,
  mutualAuthenticationShape,
  pageMembers,
  requiredStr,
} from './shapes.js';

function actionInput(a: Value<typeof actionShape>): ListenerActionInput {
  return {
    type: a.Type,
    targetGroupArn: a.TargetGroupArn,
    order: a.Order,
    forwardTargetGroups: (a.ForwardConfig?.TargetGroups ?? []).map((t) => ({
      targetGroupArn: t.TargetGroupArn,
      weight: t.Weight,
    })),
    stickinessEnabled: a.ForwardConfig?.TargetGroupStickinessConfig?.Enabled,
    albOnlyConfig:
      a.RedirectConfig !== undefined ||
      a.FixedResponseConfig !== undefined ||
      a.AuthenticateCognitoConfig !== undefined ||
      a.AuthenticateOidcConfig !== undefined ||
      a.JwtValidationConfig !== undefined,
  };
}

const settingsMembers = {
  Protocol: s.str({ enum: PROTOCOLS }),
  Port: s.int({ min: 1, max: 65535 }),
  SslPolicy: s.str(),
  Certificates: s.list(certificateShape),
  AlpnPolicy: s.list(s.str()),
  MutualAuthentication: mutualAuthenticationShape,
};

/** The settings Create and Modify share, wire → control. */
function settingsInput(
  input: StructValue<typeof settingsMembers> & { DefaultActions: Value<typeof actionShape>[] },
): ListenerSettingsInput {
  return {
    protocol: input.Protocol,
    port: input.Port,
    sslPolicy: input.SslPolicy,
    certificates: input.Certificates.map((c) => ({
      certificateArn: c.CertificateArn,
      isDefault: c.IsDefault,
    })),
    defaultActions: input.DefaultActions.map(actionInput),
    alpnPolicy: input.AlpnPolicy,
    mutualAuthentication: input.MutualAuthentication !== undefined,
  };
}

export const LISTENER_ACTIONS = {
  CreateListener: defineAction(
    s.struct({
      LoadBalancerArn: requiredStr,
      DefaultActions: s.list(actionShape, { required: true }),
      ...settingsMembers,
      Tags: s.list(elbTagShape),
    }),
    (input, ctx) => {
      const l = createListener(ctx.control, ctx, {
        loadBalancerArn: input.LoadBalancerArn,
        ...settingsInput(input),
        tags: input.Tags,
      });
      return { Listeners: [renderListener(l)] };
    },
  ),
  DescribeListeners: defineAction(
    s.struct({ LoadBalancerArn: s.str(), ListenerArns: s.list(s.str()), ...pageMembers }),
    (input, ctx) => {
      const page = describeListeners(ctx.control, ctx, {
        loadBalancerArn: input.LoadBalancerArn,
        arns: input.ListenerArns,
        marker: input.Marker,
        pageSize: input.PageSize,
      });
      return { Listeners: page.items.map(renderListener), NextMarker: page.nextMarker };
    },
  ),
  ModifyListener: defineAction(
    s.struct({
      ListenerArn: requiredStr,
      DefaultActions: s.list(actionShape),
      ...settingsMembers,
    }),
    (input, ctx) => {
      const l = modifyListener(ctx.control, ctx, input.ListenerArn, settingsInput(input));
      return { Listeners: [renderListener(l)] };
    },
  ),
  DeleteListener: defineAction(s.struct({ ListenerArn: requiredStr }), (input, ctx) => {
    deleteListener(ctx.control, ctx, input.ListenerArn);
    return {};
  }),
  DescribeListenerAttributes: defineAction(s.struct({ ListenerArn: requiredStr }), (input, ctx) => ({
    Attributes: describeListenerAttributes(ctx.control, ctx, input.ListenerArn),
  })),
  ModifyListenerAttributes: defineAction(
    s.struct({ ListenerArn: requiredStr, Attributes: s.list(attributeShape, { required: true }) }),
    (input, ctx) => ({
      Attributes: modifyListenerAttributes(ctx.control, ctx, input.ListenerArn, input.Attributes),
    }),
  ),
} satisfies Record<string, ActionDef>;
