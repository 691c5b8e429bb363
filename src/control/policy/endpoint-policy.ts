/**
 * Evaluates a VPC endpoint policy for one request: pure (no I/O), asynchronous only because the
 * IAM evaluator loads its action catalogue lazily.
 *
 * The decision is AWS's: an explicit Deny in any matching statement wins, otherwise a matching
 * Allow is needed, otherwise the request is implicitly denied
 * (IAM User Guide, "Policy evaluation logic" → "Determining whether a request is allowed or
 * denied within an account"). Action, Resource, NotAction, NotResource and Condition matching,
 * and the decision itself, are @cloud-copilot/iam-simulate's (`vpcEndpointPolicies` of
 * runSimulation, Strict mode), given an identity policy that allows everything so only the
 * endpoint policy decides.
 *
 * Fidelity ledger
 * - Covered: Effect Allow/Deny; Action/NotAction with `*`/`?` wildcards, service and action
 *   names case-insensitive; Resource/NotResource ARNs with wildcards; every IAM condition
 *   operator iam-simulate implements (String*, StringLike, Arn*, Bool, IpAddress/NotIpAddress,
 *   Null, Numeric*, Date*, …IfExists, ForAnyValue:/ForAllValues:) over the context keys the
 *   caller supplies (authorization.ts supplies aws:PrincipalAccount, aws:PrincipalArn,
 *   aws:SourceVpce, aws:SourceVpc, aws:SourceIp); Principal `*`, `{"AWS":"*"}`, an account
 *   ID or `arn:aws:iam::ACCOUNT:root`, user and role ARNs (a role ARN also matches that role's
 *   `assumed-role` sessions), NotPrincipal. Several resources: all must be allowed, the first
 *   denied one is reported.
 * - Gap filled here: iam-simulate refuses any endpoint-policy Principal other than `"*"`
 *   ("Principal must be \"*\" in an endpoint policy") although AWS's interface-endpoint
 *   policies name accounts, users and roles (VPC User Guide, "Control access to VPC endpoints
 *   using endpoint policies" → "Policies for interface endpoints"). So the principal is matched
 *   here, statement by statement: a statement whose Principal does not cover the caller is
 *   dropped (it neither allows nor denies), one that does is passed on with Principal `*`.
 *   Gateway endpoints follow AWS's rule ("Principals for gateway endpoints"): an account ID or
 *   account root ARN there means the root user only.
 * - Gaps: Service, Federated and CanonicalUser principals never match (privlink callers are IAM
 *   users/roles/root); a document the evaluator cannot read (it validates more strictly than
 *   CreateVpcEndpoint does) denies the request — fail closed — with reason `invalid`.
 * - By design: no caching; the caller passes the document as stored, so ModifyVpcEndpoint
 *   takes effect on the next request.
 */
import { runSimulation, type RunSimulationResults } from '@cloud-copilot/iam-simulate';

export type EndpointKind = 'Interface' | 'Gateway';

export interface PolicyRequest {
  /** The caller: `arn:aws:iam::ACCOUNT:root`, `…:user/NAME`, `…:role/NAME`, `arn:aws:sts::…:assumed-role/R/S`. */
  principalArn: string;
  principalAccount: string;
  /** `service:Action`, e.g. `ec2:DescribeVpcs`. */
  action: string;
  /** Resource ARNs, or `*` for actions that take none. At least one. */
  resources: readonly string[];
  /** Request context keys (`aws:SourceVpce`, …), values as strings. */
  context: Readonly<Record<string, string | readonly string[]>>;
  endpointKind: EndpointKind;
}

export type PolicyDecision =
  | { effect: 'Allowed' }
  | {
      effect: 'ExplicitlyDenied' | 'ImplicitlyDenied';
      resource: string;
      reason: 'explicit' | 'implicit' | 'invalid';
    };

/** Everything allowed: the identity side of the simulation, so only the endpoint policy decides. */
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

type Json = Record<string, unknown>;

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** The role ARN behind an assumed-role session ARN, if it is one. */
function roleOfSession(arn: string): string | undefined {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** Whether one `AWS` principal entry names the caller. */
function awsEntryMatches(entry: string, req: PolicyRequest): boolean {
  if (entry === '*') return true;
  const account = /^\d{12}$/.test(entry) ? entry : /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(entry)?.[1];
  if (account !== undefined) {
    if (account !== req.principalAccount) return false;
    // Gateway endpoints: an account principal means that account's root user only.
    return req.endpointKind === 'Interface' || /:root$/.test(req.principalArn);
  }
  if (entry === req.principalArn) return true;
  const role = roleOfSession(req.principalArn);
  // A role entry may carry a path; the session ARN never does.
  return role !== undefined && entry.replace(/:role\/.*\//, ':role/') === role;
}

function principalMatches(principal: unknown, req: PolicyRequest): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object' || Array.isArray(principal)) return false;
  const aws = (principal as Json).AWS;
  if (aws === undefined) return false;
  return asList(aws).some((e) => typeof e === 'string' && awsEntryMatches(e, req));
}

/** The statements that apply to this caller, each with Principal `*`. */
function statementsFor(doc: Json, req: PolicyRequest): Json[] {
  const out: Json[] = [];
  for (const raw of asList(doc.Statement)) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
    const st = { ...(raw as Json) };
    let applies: boolean;
    if (st.Principal !== undefined) applies = principalMatches(st.Principal, req);
    else if (st.NotPrincipal !== undefined) applies = !principalMatches(st.NotPrincipal, req);
    else applies = false;
    if (!applies) continue;
    delete st.NotPrincipal;
    st.Principal = '*';
    out.push(st);
  }
  return out;
}

function decisionOf(
  r: RunSimulationResults,
): 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'invalid' {
  if (r.resultType === 'error') return 'invalid';
  const o = r.overallResult;
  if (o === 'Allowed' || o === 'ExplicitlyDenied' || o === 'ImplicitlyDenied') return o;
  return 'ImplicitlyDenied';
}

/**
 * Evaluates `policyDocument` (the JSON text as stored on the endpoint) for one request.
 */
export async function evaluateEndpointPolicy(
  policyDocument: string,
  req: PolicyRequest,
): Promise<PolicyDecision> {
  const first = req.resources[0] ?? '*';
  let doc: unknown;
  try {
    doc = JSON.parse(policyDocument);
  } catch {
    return { effect: 'ImplicitlyDenied', resource: first, reason: 'invalid' };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { effect: 'ImplicitlyDenied', resource: first, reason: 'invalid' };
  }
  const statements = statementsFor(doc as Json, req);
  if (statements.length === 0) return { effect: 'ImplicitlyDenied', resource: first, reason: 'implicit' };
  const policy: Json = { ...(doc as Json), Statement: statements };
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.context)) contextVariables[k] = typeof v === 'string' ? v : [...v];

  const simulate = (resource: string) =>
    runSimulation(
      {
        request: {
          principal: req.principalArn,
          action: req.action,
          resource: { resource, accountId: req.principalAccount },
          contextVariables,
        },
        identityPolicies: [{ name: 'allow-all', policy: ALLOW_ALL }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        vpcEndpointPolicies: [{ name: 'endpoint', policy }],
      },
      { simulationMode: 'Strict' },
    );

  let implicit: string | undefined;
  let evaluated = 0;
  const resources = req.resources.length ? req.resources : ['*'];
  for (let i = 0; i <= resources.length; i++) {
    // After the list: if no ARN was of a type the action authorizes, the action is judged on `*`.
    if (i === resources.length && evaluated > 0) break;
    const resource = resources[i] ?? '*';
    let result = await simulate(resource);
    if (result.resultType === 'error' && result.errors.message === 'must.use.wildcard') {
      // A wildcard-only action (Describe*): AWS authorizes it on `*` whatever the request names.
      result = await simulate('*');
    } else if (
      result.resultType === 'error' &&
      result.errors.message === 'no.resource.types' &&
      i < resources.length
    ) {
      continue; // the action does not authorize on this resource type
    }
    evaluated++;
    const d = decisionOf(result);
    if (d === 'ExplicitlyDenied') return { effect: 'ExplicitlyDenied', resource, reason: 'explicit' };
    if (d === 'invalid') return { effect: 'ImplicitlyDenied', resource, reason: 'invalid' };
    if (d === 'ImplicitlyDenied') implicit ??= resource;
  }
  return implicit === undefined
    ? { effect: 'Allowed' }
    : { effect: 'ImplicitlyDenied', resource: implicit, reason: 'implicit' };
}
