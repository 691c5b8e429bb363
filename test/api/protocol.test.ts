import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CONSUMER, PROVIDER, signedRaw, startPrivlink, stsClient } from '../helpers/privlink.js';

test('STS GetCallerIdentity derives the account from a 12-digit access key', async (t) => {
  const p = await startPrivlink(t);
  const out = await stsClient(p, { account: CONSUMER }).send(new GetCallerIdentityCommand({}));
  assert.equal(out.Account, CONSUMER);
  assert.equal(out.Arn, `arn:aws:iam::${CONSUMER}:root`);
  const other = await stsClient(p, { accessKeyId: 'AKIAEXAMPLE' }).send(new GetCallerIdentityCommand({}));
  assert.equal(other.Account, '000000000000');
});

test('unknown actions, missing Action and garbage bodies get 4xx AWS errors', async (t) => {
  const p = await startPrivlink(t);
  const unknown = await signedRaw(p, 'Action=NoSuchThing&Version=2016-11-15');
  assert.equal(unknown.status, 400);
  assert.match(unknown.body, /<Code>InvalidAction<\/Code>/);
  assert.match(unknown.body, /<RequestID>[0-9a-f-]+<\/RequestID>/);
  const noAction = await signedRaw(p, 'Version=2016-11-15');
  assert.equal(noAction.status, 400);
  assert.match(noAction.body, /<Code>MissingAction<\/Code>/);
  const garbage = await signedRaw(p, '%%%zz=%E0%A4%A');
  assert.equal(garbage.status, 400);
  const proto = await signedRaw(p, 'Action=__proto__&Version=2016-11-15');
  assert.equal(proto.status, 400);
  assert.match(proto.body, /InvalidAction/);
  const json = await signedRaw(p, '{"Action":"DescribeVpcs"}', { contentType: 'application/json' });
  assert.equal(json.status, 400);
  const big = await signedRaw(p, 'Action=DescribeVpcs&Version=2016-11-15&X=' + 'a'.repeat(2 * 1024 * 1024));
  assert.equal(big.status, 413);
  const health = await fetch(p.url + '/_privlink/health');
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  void PROVIDER;
});
