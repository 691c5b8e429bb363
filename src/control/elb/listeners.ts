/**
 * Listeners of Network and Gateway Load Balancers: create, describe, modify, delete, and their
 * attributes.
 *
 * Fidelity (ELBv2 API reference, NLB/GWLB listener guides, 2025):
 * - Covered: NLB listeners need Protocol TCP|UDP|TCP_UDP|TLS (others → UnsupportedProtocol) and
 *   Port; TLS needs a certificate (SslPolicy defaults to ELBSecurityPolicy-TLS13-1-2-2021-06);
 *   GWLB listeners take neither port nor protocol and a GWLB has one listener (TooManyListeners).
 *   One default action of type forward (others → InvalidLoadBalancerAction) to one target group
 *   (TargetGroupArn or a one-group ForwardConfig) of the same VPC (InvalidConfigurationRequest)
 *   with a compatible protocol (IncompatibleProtocols: TCP→TCP|TCP_UDP, TLS→TCP|TLS,
 *   UDP→UDP|TCP_UDP, TCP_UDP→TCP_UDP, GWLB→GENEVE; alb targets only behind TCP); a target group
 *   serves one load balancer (TargetGroupAssociationLimit); one listener per port
 *   (DuplicateListener), while an identical request returns the existing listener (AWS:
 *   CreateListener is idempotent). Listener attribute tcp.idle_timeout.seconds (not for UDP).
 * - Gaps: ALB-only features (rules, authentication actions, mutual TLS) are refused.
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { apiError } from '../errors.js';
import type { Listener, ListenerAction } from '../model/elb.js';
import { listenerArn } from '../names.js';
import type { Stored } from '../../store/store.js';
import {
  applyAttributes,
  attributeList,
  defaultAttributes,
  listenerAttributeTable,
  type AttributeInput,
} from './attributes.js';
import {
  getListener,
  getLoadBalancer,
  getTargetGroup,
  listenersOf,
  loadBalancerArnsOf,
  pageOf,
  newElbResource,
  pickByArns,
} from './common.js';
import { validateElbTags, type ElbTagInput } from './tags.js';
import { NLB_PROTOCOLS } from './target-groups.js';

export const DEFAULT_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const ALPN_POLICIES = ['HTTP1Only', 'HTTP2Only', 'HTTP2Optional', 'HTTP2Preferred', 'None'];

/** Which target group protocols each listener protocol may forward to. */
const COMPATIBLE: Record<string, readonly string[]> = {
  TCP: ['TCP', 'TCP_UDP'],
  TLS: ['TCP', 'TLS'],
  UDP: ['UDP', 'TCP_UDP'],
  TCP_UDP: ['TCP_UDP'],
};

export interface ListenerActionInput {
  type: string;
  targetGroupArn?: string;
  order?: number;
  forwardTargetGroups: { targetGroupArn?: string; weight?: number }[];
  stickinessEnabled?: boolean;
  /** An ALB-only configuration (authenticate-*, redirect, fixed-response, JWT) was given. */
  albOnlyConfig: boolean;
}

export interface ListenerSettingsInput {
  protocol?: string;
  port?: number;
  sslPolicy?: string;
  certificates: { certificateArn?: string; isDefault?: boolean }[];
  defaultActions: ListenerActionInput[];
  alpnPolicy: string[];
  mutualAuthentication: boolean;
}

export interface CreateListenerRequest extends ListenerSettingsInput {
  loadBalancerArn: string;
  tags: readonly ElbTagInput[];
}

interface Settings {
  protocol?: string;
  port?: number;
  sslPolicy?: string;
  certificates?: { certificateArn: string; isDefault?: boolean }[];
  alpnPolicy?: string[];
  defaultActions: ListenerAction[];
}

function resolveActions(
  control: Control,
  caller: CallerContext,
  lb: Stored<'loadBalancer'>,
  protocol: string | undefined,
  actions: readonly ListenerActionInput[],
): ListenerAction[] {
  if (actions.length === 0) {
    throw apiError('ValidationError', 'A default action must be specified');
  }
  if (actions.length > 1) {
    throw apiError('InvalidLoadBalancerAction', `${lbLabel(lb)}s support exactly one default action`);
  }
  const [a] = actions;
  if (!a) throw apiError('ValidationError', 'A default action must be specified');
  if (a.type !== 'forward' || a.albOnlyConfig) {
    throw apiError(
      'InvalidLoadBalancerAction',
      `The action type '${a.type}' is not supported by ${lbLabel(lb)}s; use 'forward'`,
    );
  }
  if (a.stickinessEnabled) {
    throw apiError(
      'InvalidLoadBalancerAction',
      `Target group stickiness in a forward action is not supported by ${lbLabel(lb)}s`,
    );
  }
  const arns = new Set<string>();
  if (a.targetGroupArn) arns.add(a.targetGroupArn);
  for (const f of a.forwardTargetGroups) {
    if (!f.targetGroupArn)
      throw apiError('ValidationError', 'A target group ARN must be specified in ForwardConfig');
    arns.add(f.targetGroupArn);
  }
  if (arns.size === 0)
    throw apiError('ValidationError', 'A target group ARN must be specified for a forward action');
  if (arns.size > 1) {
    throw apiError(
      'InvalidLoadBalancerAction',
      `${lbLabel(lb)}s support only one target group per forward action`,
    );
  }
  const [tgArn] = [...arns];
  if (!tgArn) throw apiError('ValidationError', 'A target group ARN must be specified for a forward action');
  const tg = getTargetGroup(control, caller, tgArn);
  if (tg.vpcId !== lb.vpcId) {
    throw apiError(
      'InvalidConfigurationRequest',
      `The target group '${tgArn}' is in VPC '${tg.vpcId ?? ''}' but the load balancer is in VPC '${lb.vpcId}'`,
    );
  }
  if (lb.type === 'gateway') {
    if (tg.protocol !== 'GENEVE') {
      throw apiError(
        'IncompatibleProtocols',
        `Gateway Load Balancer listeners require a GENEVE target group, not ${tg.protocol}`,
      );
    }
  } else {
    const ok = protocol !== undefined && (COMPATIBLE[protocol] ?? []).includes(tg.protocol);
    if (!ok) {
      throw apiError(
        'IncompatibleProtocols',
        `Listener protocol '${protocol ?? ''}' is not compatible with target group protocol '${tg.protocol}'`,
      );
    }
    if (tg.targetType === 'alb' && protocol !== 'TCP') {
      throw apiError(
        'IncompatibleProtocols',
        "Target groups with target type 'alb' can only be used by TCP listeners",
      );
    }
  }
  const others = loadBalancerArnsOf(control, tg).filter((arn) => arn !== lb.id);
  if (others.length > 0) {
    throw apiError(
      'TargetGroupAssociationLimit',
      `The following target groups cannot be associated with more than one load balancer: '${tgArn}'`,
    );
  }
  const weight = a.forwardTargetGroups[0]?.weight;
  return [
    {
      type: 'forward',
      targetGroupArn: tgArn,
      order: a.order,
      forwardTargetGroups: [{ targetGroupArn: tgArn, weight: weight ?? 1 }],
    },
  ];
}

function lbLabel(lb: Stored<'loadBalancer'>): string {
  return lb.type === 'network' ? 'Network Load Balancer' : 'Gateway Load Balancer';
}

function resolveSettings(
  control: Control,
  caller: CallerContext,
  lb: Stored<'loadBalancer'>,
  input: ListenerSettingsInput,
): Settings {
  if (input.mutualAuthentication) {
    throw apiError(
      'InvalidConfigurationRequest',
      'Mutual authentication is only supported by Application Load Balancers',
    );
  }
  if (lb.type === 'gateway') {
    if (input.protocol !== undefined || input.port !== undefined) {
      throw apiError(
        'ValidationError',
        'Protocol and port cannot be specified for Gateway Load Balancer listeners',
      );
    }
    if (input.certificates.length > 0 || input.sslPolicy !== undefined || input.alpnPolicy.length > 0) {
      throw apiError(
        'InvalidConfigurationRequest',
        'Gateway Load Balancer listeners do not support TLS settings',
      );
    }
    return { defaultActions: resolveActions(control, caller, lb, undefined, input.defaultActions) };
  }
  const protocol = input.protocol;
  if (protocol === undefined) throw apiError('ValidationError', 'A listener protocol must be specified');
  if (!(NLB_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw apiError(
      'UnsupportedProtocol',
      `Protocol '${protocol}' is not supported by Network Load Balancer listeners`,
    );
  }
  if (input.port === undefined) throw apiError('ValidationError', 'A listener port must be specified');
  const tls = protocol === 'TLS';
  if (
    !tls &&
    (input.certificates.length > 0 || input.sslPolicy !== undefined || input.alpnPolicy.length > 0)
  ) {
    throw apiError(
      'InvalidConfigurationRequest',
      `Certificates, SSL policies and ALPN policies are only supported by TLS listeners, not ${protocol}`,
    );
  }
  let certificates: Settings['certificates'];
  if (tls) {
    if (input.certificates.length === 0) {
      throw apiError('ValidationError', 'A certificate must be specified for TLS listeners');
    }
    certificates = input.certificates.map((c) => {
      if (!c.certificateArn || !/^arn:aws[a-z-]*:(acm|iam):/.test(c.certificateArn)) {
        throw apiError(
          'ValidationError',
          `Certificate ARN '${(c.certificateArn ?? '').slice(0, 200)}' is not valid`,
        );
      }
      return { certificateArn: c.certificateArn };
    });
    if (input.alpnPolicy.length > 1)
      throw apiError('ValidationError', 'Only one ALPN policy can be specified');
    const bad = input.alpnPolicy.find((p) => !ALPN_POLICIES.includes(p));
    if (bad !== undefined)
      throw apiError('ValidationError', `ALPN policy '${bad.slice(0, 64)}' is not valid`);
  }
  return {
    protocol,
    port: input.port,
    sslPolicy: tls ? (input.sslPolicy ?? DEFAULT_TLS_POLICY) : undefined,
    certificates,
    alpnPolicy: tls ? [...input.alpnPolicy] : undefined,
    defaultActions: resolveActions(control, caller, lb, protocol, input.defaultActions),
  };
}

function sameSettings(l: Stored<'listener'>, s: Settings): boolean {
  const tgA = l.defaultActions.map((a) => a.targetGroupArn).join(',');
  const tgB = s.defaultActions.map((a) => a.targetGroupArn).join(',');
  return l.protocol === s.protocol && l.port === s.port && tgA === tgB && l.sslPolicy === s.sslPolicy;
}

export function createListener(
  control: Control,
  caller: CallerContext,
  req: CreateListenerRequest,
): Stored<'listener'> {
  const lb = getLoadBalancer(control, caller, req.loadBalancerArn);
  const tags = validateElbTags(req.tags);
  const settings = resolveSettings(control, caller, lb, req);
  const existing = listenersOf(control, lb);
  if (lb.type === 'gateway') {
    const [first] = existing;
    if (first) {
      if (sameSettings(first, settings)) return first;
      throw apiError('TooManyListeners', 'A Gateway Load Balancer supports only one listener');
    }
  } else {
    const onPort = existing.find((l) => l.port === settings.port);
    if (onPort) {
      if (sameSettings(onPort, settings)) return onPort;
      throw apiError(
        'DuplicateListener',
        `A listener already exists on port ${settings.port ?? ''} of load balancer '${lb.id}'`,
      );
    }
  }
  const arn = listenerArn(lb.id, control.ids.hex(16));
  const listener: Listener = {
    ...newElbResource(control, caller, arn, tags),
    loadBalancerArn: lb.id,
    ...settings,
    attributes: defaultAttributes(listenerAttributeTable()),
  };
  return control.store.put('listener', listener);
}

export interface DescribeListenersRequest {
  loadBalancerArn?: string;
  arns: readonly string[];
  marker?: string;
  pageSize?: number;
}

export function describeListeners(
  control: Control,
  caller: CallerContext,
  req: DescribeListenersRequest,
): { items: Stored<'listener'>[]; nextMarker?: string } {
  let items: Stored<'listener'>[];
  if (req.loadBalancerArn !== undefined && req.arns.length > 0) {
    throw apiError(
      'ValidationError',
      'Listener ARNs and a load balancer ARN cannot be specified at the same time',
    );
  }
  if (req.loadBalancerArn !== undefined) {
    items = listenersOf(control, getLoadBalancer(control, caller, req.loadBalancerArn));
  } else if (req.arns.length > 0) {
    items = pickByArns(req.arns, (arn) => getListener(control, caller, arn));
  } else {
    throw apiError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
  }
  return pageOf(items, (l) => l.id, req.marker, req.pageSize);
}

export type ModifyListenerRequest = ListenerSettingsInput;

export function modifyListener(
  control: Control,
  caller: CallerContext,
  arn: string,
  req: ModifyListenerRequest,
): Stored<'listener'> {
  const l = getListener(control, caller, arn);
  const lb = getLoadBalancer(control, caller, l.loadBalancerArn);
  const protocol = req.protocol ?? l.protocol;
  const keepTls = protocol === 'TLS';
  const merged: ListenerSettingsInput = {
    protocol: lb.type === 'gateway' ? req.protocol : protocol,
    port: lb.type === 'gateway' ? req.port : (req.port ?? l.port),
    sslPolicy: req.sslPolicy ?? (keepTls ? l.sslPolicy : undefined),
    certificates:
      req.certificates.length > 0
        ? req.certificates
        : keepTls
          ? (l.certificates ?? []).map((c) => ({ ...c }))
          : [],
    alpnPolicy: req.alpnPolicy.length > 0 ? req.alpnPolicy : keepTls ? [...(l.alpnPolicy ?? [])] : [],
    defaultActions:
      req.defaultActions.length > 0
        ? req.defaultActions
        : l.defaultActions.map((a) => ({
            type: a.type,
            targetGroupArn: a.targetGroupArn,
            order: a.order,
            forwardTargetGroups: (a.forwardTargetGroups ?? []).map((f) => ({ ...f })),
            albOnlyConfig: false,
          })),
    mutualAuthentication: req.mutualAuthentication,
  };
  const settings = resolveSettings(control, caller, lb, merged);
  if (lb.type === 'network') {
    const clash = listenersOf(control, lb).find((x) => x.id !== l.id && x.port === settings.port);
    if (clash) {
      throw apiError(
        'DuplicateListener',
        `A listener already exists on port ${settings.port ?? ''} of load balancer '${lb.id}'`,
      );
    }
  }
  return control.store.put('listener', {
    ...l,
    protocol: settings.protocol,
    port: settings.port,
    sslPolicy: settings.sslPolicy,
    certificates: settings.certificates,
    alpnPolicy: settings.alpnPolicy,
    defaultActions: settings.defaultActions,
  });
}

export function deleteListener(control: Control, caller: CallerContext, arn: string): void {
  const l = getListener(control, caller, arn);
  control.store.delete('listener', l.id);
}

export function describeListenerAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
): { Key: string; Value: string }[] {
  const l = getListener(control, caller, arn);
  return attributeList(listenerAttributeTable(), l.attributes);
}

export function modifyListenerAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
  changes: readonly AttributeInput[],
): { Key: string; Value: string }[] {
  const l = getListener(control, caller, arn);
  const table = listenerAttributeTable();
  if (l.protocol === 'UDP' && changes.some((c) => c.Key === 'tcp.idle_timeout.seconds')) {
    throw apiError(
      'InvalidConfigurationRequest',
      "The attribute 'tcp.idle_timeout.seconds' is not supported for UDP listeners",
    );
  }
  const next = applyAttributes(table, l.attributes, changes, 'Listener');
  control.store.put('listener', { ...l, attributes: next });
  return attributeList(table, next);
}
