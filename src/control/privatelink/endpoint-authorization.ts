/**
 * Authorizes one request that arrived through a VPC endpoint against that endpoint's policy, as
 * it stands now: the endpoint is read from the store on every call (no cache), so
 * ModifyVpcEndpoint PolicyDocument/ResetPolicy takes effect on the next request.
 *
 * Fidelity ledger
 * - Covered: the endpoint's stored document, or its type's default (full access) when it has
 *   none; GWLB endpoints and endpoints of customer services carry no policy and allow all
 *   (VPC User Guide, "Control access to VPC endpoints using endpoint policies" →
 *   Considerations). Request context keys: aws:PrincipalAccount, aws:PrincipalArn,
 *   aws:SourceVpce (the endpoint ID), aws:SourceVpc (its VPC), aws:VpcSourceIp (the client's
 *   private address) and aws:SourceIp.
 * - By design: AWS does not present aws:SourceIp on requests through a VPC endpoint (only
 *   aws:VpcSourceIp); privlink presents the client's private address under both, because
 *   issue 12 asks policies over aws:SourceIp to work. An unknown or no longer usable endpoint
 *   (deleted, rejected, expired) denies everything.
 */
import type { Control } from '../control.js';
import type { Principal } from '../model/common.js';
import { evaluateEndpointPolicy } from '../policy/endpoint-policy.js';
import { endpointDenialMessage, type DenialReason } from '../policy/denial.js';
import { defaultPolicyFor } from './vpc-endpoints.js';

/** Where a request came from, as the transport saw it. */
export interface EndpointOrigin {
  vpceId: string;
  sourceIp: string;
}

export type EndpointAuthorization =
  | { allowed: true }
  | {
      allowed: false;
      reason: DenialReason;
      /** The resource the message names (`*` when none). */
      resource: string;
      /** AWS's sentence: "User: … is not authorized to perform: … because no VPC endpoint policy allows …". */
      message: string;
    };

const USABLE = new Set(['available', 'pending']);

export async function authorizeEndpointRequest(
  control: Control,
  origin: EndpointOrigin,
  principal: Principal,
  action: string,
  resources: readonly string[],
): Promise<EndpointAuthorization> {
  const ep = control.store.find('vpcEndpoint', origin.vpceId);
  const deny = (reason: DenialReason, resource: string): EndpointAuthorization => ({
    allowed: false,
    reason,
    resource,
    message: endpointDenialMessage({ principalArn: principal.arn, action, resource, reason }),
  });
  if (!ep || !USABLE.has(ep.state)) return deny('implicit', resources[0] ?? '*');
  if (ep.endpointType === 'GatewayLoadBalancer') return { allowed: true };
  const document = ep.policyDocument ?? defaultPolicyFor(ep.endpointType);
  if (document === undefined) return { allowed: true };
  const decision = await evaluateEndpointPolicy(document, {
    principalArn: principal.arn,
    principalAccount: principal.accountId,
    action,
    resources,
    endpointKind: ep.endpointType === 'Gateway' ? 'Gateway' : 'Interface',
    context: {
      'aws:PrincipalAccount': principal.accountId,
      'aws:PrincipalArn': principal.arn,
      'aws:SourceVpce': ep.id,
      'aws:SourceVpc': ep.vpcId,
      'aws:VpcSourceIp': origin.sourceIp,
      'aws:SourceIp': origin.sourceIp,
    },
  });
  if (decision.effect === 'Allowed') return { allowed: true };
  if (decision.reason === 'invalid') {
    control.logger.warn('endpoint policy could not be evaluated; request denied', {
      endpoint: ep.id,
      action,
    });
  }
  return deny(decision.reason, decision.resource);
}
