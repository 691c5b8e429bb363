/**
 * What a request asks to do, in IAM's terms: the `service:Action` and the resource ARNs an
 * endpoint policy is evaluated against. Pure functions; the API pipeline (ec2, elbv2, sts) and
 * the AWS-service proxies (S3, DynamoDB) call them.
 *
 * Fidelity ledger
 * - Covered, query APIs (EC2, ELBv2, STS): the IAM action is the API action with the service's
 *   IAM prefix (`ec2:`, `elasticloadbalancing:`, `sts:`). Resources are the ARNs of the
 *   resources the request names: EC2 IDs found in any parameter (vpc-, subnet-, sg-, rtb-, eni-,
 *   i-, vpce-, vpce-svc-, igw-, nat-, acl-), ELBv2 ARNs in any parameter, STS AssumeRole's
 *   RoleArn; `*` when it names none. The evaluator drops ARNs whose type the action does not
 *   authorize and evaluates wildcard-only actions (Describe*) on `*`, per the Service
 *   Authorization Reference.
 * - Covered, S3 (Service Authorization Reference, "Actions defined by Amazon S3", and the S3 API
 *   Reference's "Permissions" of each operation): action from method + bucket/key presence +
 *   subresource query (HEAD object → s3:GetObject, HEAD bucket → s3:ListBucket, UploadPart and
 *   multipart create/complete → s3:PutObject, DeleteObjects → s3:DeleteObject per key, versionId
 *   → the …Version actions); resources `arn:aws:s3:::bucket` and `arn:aws:s3:::bucket/key`;
 *   virtual-hosted (`bucket.s3.region.amazonaws.com`, `bucket.vpce-….s3.region.vpce.amazonaws.com`)
 *   and path style; ListBuckets on `*`.
 * - Covered, DynamoDB: action from `X-Amz-Target: DynamoDB_20120810.<Op>`; resources the table
 *   ARNs named by TableName (or a table ARN given as the name), IndexName
 *   (`table/T/index/I`), BatchGet/BatchWrite RequestItems and Transact* items; `*` for
 *   ListTables and the other account-level operations.
 * - Gaps: resources an EC2 Create* call would create (`vpc/*`, …) are not added, so a policy
 *   scoped to those ARNs does not apply to the create; CopyObject's source (`s3:GetObject` on
 *   the source) is not checked; S3 access points and Outposts ARNs are not recognised.
 */

export interface RequestAction {
  /** `service:Action` as IAM spells it. */
  action: string;
  /** Resource ARNs, or `['*']`. */
  resources: string[];
}

/** A request that cannot be read; the proxy answers it with the service's own error. */
export class RequestMappingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestMappingError';
  }
}

// ---------------------------------------------------------------- query APIs (EC2, ELBv2, STS)

export type QueryService = 'ec2' | 'elasticloadbalancing' | 'sts';

const EC2_ID_TYPES: readonly [RegExp, string][] = [
  [/^vpce-svc-[0-9a-f]{8,17}$/, 'vpc-endpoint-service'],
  [/^vpce-[0-9a-f]{8,17}$/, 'vpc-endpoint'],
  [/^vpc-[0-9a-f]{8,17}$/, 'vpc'],
  [/^subnet-[0-9a-f]{8,17}$/, 'subnet'],
  [/^sg-[0-9a-f]{8,17}$/, 'security-group'],
  [/^rtb-[0-9a-f]{8,17}$/, 'route-table'],
  [/^eni-[0-9a-f]{8,17}$/, 'network-interface'],
  [/^i-[0-9a-f]{8,17}$/, 'instance'],
  [/^igw-[0-9a-f]{8,17}$/, 'internet-gateway'],
  [/^nat-[0-9a-f]{8,17}$/, 'natgateway'],
  [/^acl-[0-9a-f]{8,17}$/, 'network-acl'],
];

function unique(xs: string[]): string[] {
  const out = [...new Set(xs)];
  return out.length ? out : ['*'];
}

/** The IAM action and resources of an EC2/ELBv2/STS Query API call. */
export function queryApiAction(
  service: QueryService,
  action: string,
  params: ReadonlyMap<string, string>,
  accountId: string,
  region: string,
): RequestAction {
  const iamAction = `${service}:${action}`;
  const found: string[] = [];
  if (service === 'ec2') {
    for (const v of params.values()) {
      const hit = EC2_ID_TYPES.find(([re]) => re.test(v));
      if (hit) found.push(`arn:aws:ec2:${region}:${accountId}:${hit[1]}/${v}`);
    }
  } else if (service === 'elasticloadbalancing') {
    for (const v of params.values()) {
      if (
        /^arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:(loadbalancer|targetgroup|listener|listener-rule)\//.test(
          v,
        )
      )
        found.push(v);
    }
  } else if (action === 'AssumeRole') {
    const role = params.get('RoleArn');
    if (role && /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(role)) found.push(role);
  }
  return { action: iamAction, resources: unique(found) };
}

// ---------------------------------------------------------------- S3

export interface S3RequestLike {
  method: string;
  /** The request path, still percent-encoded, without the query string. */
  path: string;
  query: URLSearchParams;
  /** The Host header. */
  host?: string;
  /** Header names in lower case. */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** Needed only for DeleteObjects (POST ?delete), whose keys are in the XML body. */
  body?: string;
}

export interface S3RequestAction extends RequestAction {
  bucket?: string;
  key?: string;
}

/** The bucket a virtual-hosted S3 host name carries, if it is one. */
export function bucketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  // The endpoint's own name (`bucket.vpce-….s3.…` or `vpce-….s3.…`) carries no bucket.
  if (/^(bucket\.)?vpce-/.test(name)) return undefined;
  const vpce = /^(.+?)\.(?:bucket\.)?vpce-[0-9a-z-]+\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com$/.exec(name);
  if (vpce) return vpce[1];
  const regional = /^(.+)\.s3(?:[.-](?:dualstack\.)?[a-z]{2}(?:-[a-z]+)+-\d+)?\.amazonaws\.com$/.exec(name);
  return regional?.[1];
}

type Sub = readonly [subresource: string, action: string];

const BUCKET_GET: readonly Sub[] = [
  ['versions', 'ListBucketVersions'],
  ['uploads', 'ListBucketMultipartUploads'],
  ['location', 'GetBucketLocation'],
  ['policy', 'GetBucketPolicy'],
  ['policyStatus', 'GetBucketPolicyStatus'],
  ['acl', 'GetBucketAcl'],
  ['tagging', 'GetBucketTagging'],
  ['versioning', 'GetBucketVersioning'],
  ['cors', 'GetBucketCORS'],
  ['lifecycle', 'GetLifecycleConfiguration'],
  ['encryption', 'GetEncryptionConfiguration'],
  ['notification', 'GetBucketNotification'],
  ['website', 'GetBucketWebsite'],
  ['logging', 'GetBucketLogging'],
  ['replication', 'GetReplicationConfiguration'],
  ['requestPayment', 'GetBucketRequestPayment'],
  ['object-lock', 'GetBucketObjectLockConfiguration'],
  ['ownershipControls', 'GetBucketOwnershipControls'],
  ['publicAccessBlock', 'GetBucketPublicAccessBlock'],
  ['accelerate', 'GetAccelerateConfiguration'],
];
const BUCKET_PUT: readonly Sub[] = [
  ['policy', 'PutBucketPolicy'],
  ['acl', 'PutBucketAcl'],
  ['tagging', 'PutBucketTagging'],
  ['versioning', 'PutBucketVersioning'],
  ['cors', 'PutBucketCORS'],
  ['lifecycle', 'PutLifecycleConfiguration'],
  ['encryption', 'PutEncryptionConfiguration'],
  ['notification', 'PutBucketNotification'],
  ['website', 'PutBucketWebsite'],
  ['logging', 'PutBucketLogging'],
  ['replication', 'PutReplicationConfiguration'],
  ['requestPayment', 'PutBucketRequestPayment'],
  ['object-lock', 'PutBucketObjectLockConfiguration'],
  ['ownershipControls', 'PutBucketOwnershipControls'],
  ['publicAccessBlock', 'PutBucketPublicAccessBlock'],
  ['accelerate', 'PutAccelerateConfiguration'],
];
// S3's own mapping: deleting a configuration needs the Put… permission, except the policy.
const BUCKET_DELETE: readonly Sub[] = [
  ['policy', 'DeleteBucketPolicy'],
  ['tagging', 'PutBucketTagging'],
  ['cors', 'PutBucketCORS'],
  ['lifecycle', 'PutLifecycleConfiguration'],
  ['encryption', 'PutEncryptionConfiguration'],
  ['website', 'DeleteBucketWebsite'],
  ['replication', 'PutReplicationConfiguration'],
  ['ownershipControls', 'PutBucketOwnershipControls'],
  ['publicAccessBlock', 'PutBucketPublicAccessBlock'],
];

function sub(query: URLSearchParams, table: readonly Sub[]): string | undefined {
  return table.find(([s]) => query.has(s))?.[1];
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new RequestMappingError('InvalidURI', "Couldn't parse the specified URI.");
  }
}

function deleteObjectsKeys(body: string | undefined): string[] {
  const keys: string[] = [];
  for (const m of (body ?? '').matchAll(/<Key>([\s\S]*?)<\/Key>/g)) {
    keys.push(
      (m[1] ?? '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&'),
    );
  }
  return keys;
}

/** The IAM action and resources of one S3 REST request. */
export function s3RequestAction(req: S3RequestLike): S3RequestAction {
  const method = req.method.toUpperCase();
  const q = req.query;
  const hostBucket = bucketFromHost(req.host);
  const rawPath = req.path.replace(/^\/+/, '');
  let bucket: string | undefined;
  let key: string | undefined;
  if (hostBucket !== undefined) {
    bucket = hostBucket;
    key = rawPath ? decodePath(rawPath) : undefined;
  } else if (rawPath) {
    const slash = rawPath.indexOf('/');
    bucket = decodePath(slash < 0 ? rawPath : rawPath.slice(0, slash));
    const rest = slash < 0 ? '' : rawPath.slice(slash + 1);
    key = rest ? decodePath(rest) : undefined;
  }
  const s3 = (a: string, resources: string[]): S3RequestAction => ({
    action: `s3:${a}`,
    resources,
    ...(bucket !== undefined ? { bucket } : {}),
    ...(key !== undefined ? { key } : {}),
  });
  if (bucket === undefined) {
    if (method === 'GET' || method === 'HEAD') return s3('ListAllMyBuckets', ['*']);
    throw new RequestMappingError(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
    );
  }
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (key === undefined) {
    const r = [bucketArn];
    switch (method) {
      case 'GET':
        return s3(sub(q, BUCKET_GET) ?? 'ListBucket', r);
      case 'HEAD':
        return s3('ListBucket', r);
      case 'PUT':
        return s3(sub(q, BUCKET_PUT) ?? 'CreateBucket', r);
      case 'DELETE':
        return s3(sub(q, BUCKET_DELETE) ?? 'DeleteBucket', r);
      case 'POST':
        if (q.has('delete')) {
          const keys = deleteObjectsKeys(req.body);
          return s3('DeleteObject', keys.length ? keys.map((k) => `${bucketArn}/${k}`) : [`${bucketArn}/*`]);
        }
        // Browser-form POST uploads: the key is in the form, the permission is PutObject.
        return s3('PutObject', [`${bucketArn}/*`]);
      default:
        throw new RequestMappingError(
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
        );
    }
  }
  const r = [`${bucketArn}/${key}`];
  const versioned = q.has('versionId');
  switch (method) {
    case 'GET':
      if (q.has('acl')) return s3(versioned ? 'GetObjectVersionAcl' : 'GetObjectAcl', r);
      if (q.has('tagging')) return s3(versioned ? 'GetObjectVersionTagging' : 'GetObjectTagging', r);
      if (q.has('uploadId')) return s3('ListMultipartUploadParts', r);
      if (q.has('attributes')) return s3(versioned ? 'GetObjectVersionAttributes' : 'GetObjectAttributes', r);
      if (q.has('retention')) return s3('GetObjectRetention', r);
      if (q.has('legal-hold')) return s3('GetObjectLegalHold', r);
      if (q.has('torrent')) return s3(versioned ? 'GetObjectVersionTorrent' : 'GetObjectTorrent', r);
      return s3(versioned ? 'GetObjectVersion' : 'GetObject', r);
    case 'HEAD':
      return s3(versioned ? 'GetObjectVersion' : 'GetObject', r);
    case 'PUT':
      if (q.has('acl')) return s3(versioned ? 'PutObjectVersionAcl' : 'PutObjectAcl', r);
      if (q.has('tagging')) return s3(versioned ? 'PutObjectVersionTagging' : 'PutObjectTagging', r);
      if (q.has('retention')) return s3('PutObjectRetention', r);
      if (q.has('legal-hold')) return s3('PutObjectLegalHold', r);
      return s3('PutObject', r);
    case 'POST':
      if (q.has('restore')) return s3('RestoreObject', r);
      if (q.has('select')) return s3('GetObject', r);
      return s3('PutObject', r);
    case 'DELETE':
      if (q.has('uploadId')) return s3('AbortMultipartUpload', r);
      if (q.has('tagging')) return s3(versioned ? 'DeleteObjectVersionTagging' : 'DeleteObjectTagging', r);
      return s3(versioned ? 'DeleteObjectVersion' : 'DeleteObject', r);
    default:
      throw new RequestMappingError(
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
  }
}

// ---------------------------------------------------------------- DynamoDB

const DDB_TARGET = /^DynamoDB_20120810\.([A-Za-z]{1,64})$/;

type J = Record<string, unknown>;

function obj(v: unknown): J | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined;
}

/** The IAM action and resources of one DynamoDB JSON request. */
export function dynamodbRequestAction(
  target: string | undefined,
  body: string,
  accountId: string,
  region: string,
): RequestAction {
  const m = target ? DDB_TARGET.exec(target) : null;
  if (!m?.[1]) {
    throw new RequestMappingError('UnknownOperationException', '');
  }
  const op = m[1];
  let input: J;
  try {
    input = obj(JSON.parse(body || '{}')) ?? {};
  } catch {
    throw new RequestMappingError(
      'SerializationException',
      'Start of structure or map found where not expected.',
    );
  }
  const table = (name: unknown): string | undefined => {
    if (typeof name !== 'string' || !name) return undefined;
    if (/^arn:aws[a-z-]*:dynamodb:/.test(name)) return name;
    return `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
  };
  const found: string[] = [];
  const base = table(input.TableName);
  if (base) {
    found.push(
      typeof input.IndexName === 'string' && input.IndexName ? `${base}/index/${input.IndexName}` : base,
    );
  }
  for (const name of Object.keys(obj(input.RequestItems) ?? {})) {
    const t = table(name);
    if (t) found.push(t);
  }
  if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems) {
      for (const inner of Object.values(obj(item) ?? {})) {
        const t = table(obj(inner)?.TableName);
        if (t) found.push(t);
      }
    }
  }
  return { action: `dynamodb:${op}`, resources: unique(found) };
}
