/**
 * The request pipeline, in order: read body (capped) → auth/context → route by Version (or SigV4
 * service) → decode against the action's shape → run in one store transaction → encode.
 * A request that came through a VPC endpoint (`req.origin`) is checked against the endpoint's
 * policy after decoding and before running, so a denied call changes nothing.
 * Any ApiError renders in the dialect's envelope; anything else is a bug: logged with the
 * request ID and answered InternalError 500 without a stack trace.
 */
import type { CredentialEntry } from '../config/options.js';
import type { Control } from '../control/control.js';
import type { ApiError } from '../control/errors.js';
import { Errors, apiError, isApiError } from '../control/errors.js';
import type { Principal } from '../control/model/common.js';
import { queryApiAction, type QueryService } from '../control/policy/request-actions.js';
import {
  authorizeEndpointRequest,
  type EndpointOrigin,
} from '../control/privatelink/endpoint-authorization.js';
import type { Logger } from '../shared/logger.js';
import { EC2_ACTION_TABLE } from './actions/ec2/index.js';
import { ELBV2_ACTION_TABLE } from './actions/elbv2/index.js';
import { STS_ACTION_TABLE } from './actions/sts/index.js';
import type { ActionDef, RequestContext } from './actions/types.js';
import { credentialFor, parseAuth, principalFor, verifySignature, type RawRequest } from './auth.js';
import { callerIdentity } from './actions/sts/caller-identity.js';
import { decodeInput, parseForm, type Dialect } from './query/decode.js';
import { encodeEc2Error, encodeEc2Response, encodeQueryError, encodeQueryResponse } from './query/encode.js';
import { AWS_EC2_ACTIONS, AWS_ELBV2_ACTIONS, AWS_STS_ACTIONS } from './aws-actions.js';

export interface ApiService {
  name: 'ec2' | 'elbv2' | 'sts';
  version: string;
  signingName: string;
  dialect: Dialect;
  xmlns: string;
  actions: Readonly<Record<string, ActionDef | undefined>>;
}

export const SERVICES: readonly ApiService[] = [
  {
    name: 'ec2',
    version: '2016-11-15',
    signingName: 'ec2',
    dialect: 'ec2',
    xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
    actions: EC2_ACTION_TABLE,
  },
  {
    name: 'elbv2',
    version: '2015-12-01',
    signingName: 'elasticloadbalancing',
    dialect: 'query',
    xmlns: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
    actions: ELBV2_ACTION_TABLE,
  },
  {
    name: 'sts',
    version: '2011-06-15',
    signingName: 'sts',
    dialect: 'query',
    xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
    actions: STS_ACTION_TABLE,
  },
];

export interface PipelineDeps {
  control: Control;
  logger: Logger;
  defaultRegion: string;
  credentials?: Record<string, CredentialEntry>;
}

export interface PipelineResult {
  status: number;
  body: string;
  requestId: string;
  contentType: string;
}

/** Every action AWS has, per service: the ones privlink lacks answer UnsupportedOperation. */
const AWS_ACTIONS: Record<ApiService['name'], ReadonlySet<string>> = {
  ec2: AWS_EC2_ACTIONS,
  elbv2: AWS_ELBV2_ACTIONS,
  sts: AWS_STS_ACTIONS,
};

function pickService(params: Map<string, string>, scopeService: string | undefined): ApiService | undefined {
  const version = params.get('Version');
  if (version) return SERVICES.find((s) => s.version === version);
  return SERVICES.find((s) => s.signingName === scopeService);
}

export async function handleRequest(
  deps: PipelineDeps,
  req: RawRequest,
  requestId: string,
): Promise<PipelineResult> {
  let service: ApiService | undefined;
  try {
    const auth = parseAuth(headerString(req.headers['authorization']), req.query);
    // Strict mode authenticates before looking at the body, as AWS does: an unsigned or forged
    // request learns nothing about how its parameters would have been read. The envelope is
    // chosen from the credential scope (or a Version in plain sight) until the body is parsed.
    if (deps.credentials) {
      service = SERVICES.find((s) => s.signingName === auth.service) ?? peekService(req);
      await verifySignature(req, auth, deps.credentials);
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (req.method === 'POST' && contentType && !/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      throw apiError(
        'InvalidParameterValue',
        `Unsupported content type '${contentType.slice(0, 80)}'; use application/x-www-form-urlencoded`,
      );
    }
    const params = new Map<string, string>();
    for (const [k, v] of req.query) params.set(k, v);
    const bodyText = req.body.toString('utf8');
    if (bodyText.includes('\uFFFD') && !Buffer.from(bodyText, 'utf8').equals(req.body)) {
      throw apiError('MalformedQueryString', 'The request body is not valid UTF-8');
    }
    for (const [k, v] of parseForm(bodyText)) params.set(k, v);

    service = pickService(params, auth.service);
    if (!service) {
      const v = params.get('Version');
      throw v
        ? apiError('InvalidAction', `Version ${v.slice(0, 40)} is not supported by privlink`)
        : Errors.missingParameter('Version');
    }
    const action = params.get('Action');
    if (!action) throw apiError('MissingAction', 'The request must contain the parameter Action');
    const def = Object.prototype.hasOwnProperty.call(service.actions, action)
      ? service.actions[action]
      : undefined;
    if (!def) {
      if (AWS_ACTIONS[service.name].has(action)) {
        throw apiError('UnsupportedOperation', `privlink does not implement the ${action} operation.`);
      }
      throw apiError('InvalidAction', `The action ${action.slice(0, 80)} is not valid for this web service.`);
    }
    const principal = principalFor(auth.accessKeyId, deps.credentials);
    const region =
      auth.region && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(auth.region) ? auth.region : deps.defaultRegion;
    const ctx: RequestContext = {
      requestId,
      accountId: principal.accountId,
      region,
      principal,
      action,
      control: deps.control,
      identity: callerIdentity(
        principal.accountId,
        credentialFor(deps.credentials, auth.accessKeyId),
        auth.accessKeyId,
      ),
    };
    const input = decodeInput(def.input, params, service.dialect);
    if (req.origin) await enforceEndpointPolicy(deps, req.origin, service, action, params, principal, region);
    const dryRun = service.dialect === 'ec2' && (input as { DryRun?: boolean }).DryRun === true;
    const out = deps.control.inTransaction(() => {
      const result = def.run(input, ctx);
      if (dryRun) throw Errors.dryRun();
      return result;
    });
    const body =
      service.dialect === 'ec2'
        ? encodeEc2Response(action, requestId, out)
        : encodeQueryResponse(action, service.xmlns, requestId, out);
    return { status: 200, body, requestId, contentType: 'text/xml;charset=UTF-8' };
  } catch (e) {
    let err: ApiError;
    if (isApiError(e)) {
      err = e;
    } else {
      deps.logger.error('internal error', {
        requestId,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      err = apiError('InternalError', 'An internal error has occurred');
    }
    const body =
      !service || service.dialect === 'ec2'
        ? encodeEc2Error(err.code, err.message, requestId)
        : encodeQueryError(service.xmlns, err.code, err.message, requestId, err.status);
    return { status: err.status, body, requestId, contentType: 'text/xml;charset=UTF-8' };
  }
}

/** The endpoint policy's verdict on this call; throws the service's access-denied error. */
async function enforceEndpointPolicy(
  deps: PipelineDeps,
  origin: EndpointOrigin,
  service: ApiService,
  action: string,
  params: ReadonlyMap<string, string>,
  principal: Principal,
  region: string,
): Promise<void> {
  const iamService = service.signingName as QueryService;
  const req = queryApiAction(iamService, action, params, principal.accountId, region);
  const verdict = await authorizeEndpointRequest(deps.control, origin, principal, req.action, req.resources);
  if (verdict.allowed) return;
  throw service.dialect === 'ec2'
    ? apiError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${verdict.message}`,
      )
    : apiError('AccessDenied', verdict.message);
}

/** The service a request names in its query string or body, without fully parsing either. */
function peekService(req: RawRequest): ApiService | undefined {
  const version =
    req.query.get('Version') ?? /(?:^|&)Version=([\w-]{1,20})(?:&|$)/.exec(req.body.toString('latin1'))?.[1];
  return SERVICES.find((s) => s.version === version);
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
