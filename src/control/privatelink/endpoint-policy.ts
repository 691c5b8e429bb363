/**
 * VPC endpoint policies: the default documents and the validation of custom ones.
 *
 * Fidelity ledger (reference §5.2, §5.4):
 * - Covered: the exact default strings AWS shows (compact 2008-10-17 form on gateway endpoints,
 *   the pretty-printed form with its trailing spaces on interface endpoints); custom documents
 *   must be JSON objects with a Statement whose entries carry Effect and Principal, at most
 *   20,480 characters including whitespace; ResetPolicy restores the default.
 * - Gaps: actions, resources and condition keys are not checked against IAM's grammar, and the
 *   policy is stored but not enforced by the data plane.
 * - By design: Gateway Load Balancer endpoints and customer endpoint services carry no custom
 *   policy (vpcEndpointPolicySupported=false): a custom document for them is refused with
 *   InvalidParameter rather than silently dropped.
 */
import { apiError } from '../errors.js';
import type { EndpointType } from '../model/privatelink.js';

export const MAX_POLICY_CHARS = 20_480;

export const DEFAULT_GATEWAY_POLICY =
  '{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

export const DEFAULT_INTERFACE_POLICY =
  '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}';

/** The document an endpoint of this type gets when none is given (none for GWLB endpoints). */
export function defaultPolicyFor(type: EndpointType): string | undefined {
  if (type === 'Gateway') return DEFAULT_GATEWAY_POLICY;
  if (type === 'Interface') return DEFAULT_INTERFACE_POLICY;
  return undefined;
}

function invalid(why: string) {
  return apiError('InvalidPolicyDocument', `The policy document is not valid: ${why}`);
}

/** Validates a custom policy document; returns it unchanged (AWS stores the text as given). */
export function validatePolicyDocument(doc: string): string {
  if (doc.length > MAX_POLICY_CHARS) {
    throw apiError(
      'InvalidParameter',
      `The policy document exceeds the maximum size of ${MAX_POLICY_CHARS} characters (got ${doc.length}).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw invalid('it is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('the document must be a JSON object.');
  }
  const statement = (parsed as Record<string, unknown>).Statement;
  const statements = Array.isArray(statement) ? (statement as unknown[]) : [statement];
  if (statement === undefined || statements.length === 0) {
    throw invalid('the document must contain a Statement.');
  }
  for (const st of statements) {
    if (!st || typeof st !== 'object' || Array.isArray(st)) {
      throw invalid('every Statement entry must be an object.');
    }
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw invalid('every Statement needs an Effect of Allow or Deny.');
    }
    if (s.Principal === undefined && s.NotPrincipal === undefined) {
      throw invalid('every Statement of an endpoint policy needs a Principal.');
    }
  }
  return doc;
}
