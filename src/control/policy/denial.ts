/**
 * How a request refused by an endpoint policy is answered: the message AWS writes and the error
 * envelopes of S3 and DynamoDB (the query APIs use the pipeline's own encoders).
 *
 * Fidelity ledger
 * - Covered: the access-denied message format of the IAM User Guide ("Troubleshoot access denied
 *   error messages"): `User: <arn> is not authorized to perform: <action> [on resource: <arn>]
 *   because no VPC endpoint policy allows the <action> action` for an implicit deny, `… with an
 *   explicit deny in a VPC endpoint policy` for an explicit one. EC2 prefixes its
 *   UnauthorizedOperation text with "You are not authorized to perform this operation." (403);
 *   ELBv2 and STS answer AccessDenied (403); S3 AccessDenied (403, XML `<Error>` with the
 *   resource quoted, as S3 prints it); DynamoDB AccessDeniedException (400, JSON
 *   `com.amazon.coral.service#AccessDeniedException`).
 * - Gaps: EC2's "Encoded authorization failure message" suffix is not produced (there is no
 *   sts:DecodeAuthorizationMessage to read it).
 */

export type DenialReason = 'explicit' | 'implicit' | 'invalid';

export interface DenialParts {
  principalArn: string;
  action: string;
  /** `*` or absent: no "on resource" clause. */
  resource?: string;
  reason: DenialReason;
  /** S3 quotes the resource ARN in its messages. */
  quoteResource?: boolean;
}

/** AWS's access-denied sentence for an endpoint-policy denial. */
export function endpointDenialMessage(p: DenialParts): string {
  const on =
    p.resource && p.resource !== '*'
      ? ` on resource: ${p.quoteResource ? `"${p.resource}"` : p.resource}`
      : '';
  const why =
    p.reason === 'explicit'
      ? 'with an explicit deny in a VPC endpoint policy'
      : `because no VPC endpoint policy allows the ${p.action} action`;
  return `User: ${p.principalArn} is not authorized to perform: ${p.action}${on} ${why}`;
}

export interface EncodedDenial {
  status: number;
  contentType: string;
  body: string;
}

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** S3's AccessDenied answer. */
export function s3AccessDenied(message: string, requestId: string, hostId = requestId): EncodedDenial {
  return {
    status: 403,
    contentType: 'application/xml',
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message>` +
      `<RequestId>${xmlEscape(requestId)}</RequestId><HostId>${xmlEscape(hostId)}</HostId></Error>`,
  };
}

/** DynamoDB's AccessDeniedException answer. */
export function dynamodbAccessDenied(message: string): EncodedDenial {
  return {
    status: 400,
    contentType: 'application/x-amz-json-1.0',
    body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }),
  };
}
