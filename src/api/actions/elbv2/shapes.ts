/**
 * ELBv2 (2015-12-01) input shapes shared by several actions, named as the AWS model names its
 * wire members (lists arrive as `Name.member.N`, decoded by the query walker). Every member the
 * model defines is listed, so a real SDK request is never refused with UnknownParameter; members
 * privlink does not support are accepted here and refused by the services with a clear error.
 * Required scalars are built outside `s.struct({…})`: inside it the contextual member type widens
 * `required: true` to `boolean` and the decoded value would type as optional.
 */
import { s } from '../../query/shapes.js';

export const requiredStr = s.str({ required: true });

export const PROTOCOLS = [
  'HTTP',
  'HTTPS',
  'TCP',
  'TLS',
  'UDP',
  'TCP_UDP',
  'GENEVE',
  'QUIC',
  'TCP_QUIC',
] as const;

export const elbTagShape = s.struct({ Key: requiredStr, Value: s.str() });

export const attributeShape = s.struct({ Key: s.str({ maxLength: 256 }), Value: s.str({ maxLength: 1024 }) });

export const targetDescriptionShape = s.struct({
  Id: requiredStr,
  Port: s.int({ min: 1, max: 65535 }),
  AvailabilityZone: s.str(),
  QuicServerId: s.str({ maxLength: 256 }),
});

export const matcherShape = s.struct({ HttpCode: s.str(), GrpcCode: s.str() });

export const pageMembers = {
  Marker: s.str(),
  PageSize: s.int({ min: 1, max: 400 }),
};

const authCommon = {
  SessionCookieName: s.str(),
  Scope: s.str(),
  SessionTimeout: s.int(),
  OnUnauthenticatedRequest: s.str({ enum: ['deny', 'allow', 'authenticate'] }),
};

const actionType = s.str({
  required: true,
  enum: [
    'forward',
    'authenticate-oidc',
    'authenticate-cognito',
    'redirect',
    'fixed-response',
    'jwt-validation',
  ],
});

export const actionShape = s.struct({
  Type: actionType,
  TargetGroupArn: s.str(),
  Order: s.int({ min: 1, max: 50000 }),
  ForwardConfig: s.struct({
    TargetGroups: s.list(s.struct({ TargetGroupArn: s.str(), Weight: s.int({ min: 0, max: 999 }) })),
    TargetGroupStickinessConfig: s.struct({ Enabled: s.bool(), DurationSeconds: s.int() }),
  }),
  RedirectConfig: s.struct({
    StatusCode: s.str(),
    Protocol: s.str(),
    Port: s.str(),
    Host: s.str(),
    Path: s.str(),
    Query: s.str(),
  }),
  FixedResponseConfig: s.struct({ StatusCode: s.str(), MessageBody: s.str(), ContentType: s.str() }),
  AuthenticateCognitoConfig: s.struct({
    UserPoolArn: s.str(),
    UserPoolClientId: s.str(),
    UserPoolDomain: s.str(),
    ...authCommon,
  }),
  AuthenticateOidcConfig: s.struct({
    Issuer: s.str(),
    AuthorizationEndpoint: s.str(),
    TokenEndpoint: s.str(),
    UserInfoEndpoint: s.str(),
    ClientId: s.str(),
    ClientSecret: s.str(),
    UseExistingClientSecret: s.bool(),
    ...authCommon,
  }),
  JwtValidationConfig: s.struct({
    JwksEndpoint: s.str(),
    Issuer: s.str(),
    AdditionalClaims: s.list(s.struct({ Format: s.str(), Name: s.str(), Values: s.list(s.str()) })),
  }),
});

export const certificateShape = s.struct({ CertificateArn: s.str(), IsDefault: s.bool() });

export const mutualAuthenticationShape = s.struct({
  Mode: s.str(),
  TrustStoreArn: s.str(),
  IgnoreClientCertificateExpiry: s.bool(),
  TrustStoreAssociationStatus: s.str(),
  AdvertiseTrustStoreCaNames: s.str(),
});
