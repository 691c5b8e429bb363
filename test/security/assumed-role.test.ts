/**
 * GetCallerIdentity for a role key answers as AWS does for an assumed-role session (real
 * @aws-sdk/client-sts against the real server): UserId `AROA…:SESSION`, Arn
 * `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`; the session name comes from the
 * credentials entry's roleSessionName, else the access key ID. Users and roots keep theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { resolveOptions, type CredentialEntry } from '../../src/config/options.js';
import { startPrivlink, stsClient } from '../helpers/privlink.js';

const ACCOUNT = '222222222222';
const CREDS: Record<string, CredentialEntry> = {
  AKIAROLEWITHSESSION1: {
    secretAccessKey: 's1',
    accountId: ACCOUNT,
    roleName: 'app',
    roleSessionName: 'deploy-bot',
  },
  AKIAROLENOSESSION001: { secretAccessKey: 's2', accountId: ACCOUNT, roleName: 'app' },
  AKIAUSERALICE000001: { secretAccessKey: 's3', accountId: ACCOUNT, userName: 'alice' },
  AKIAROOT00000000001: { secretAccessKey: 's4', accountId: ACCOUNT },
};

test('GetCallerIdentity: a role key is an assumed-role session, as on AWS', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const who = (akid: string) =>
    stsClient(p, { accessKeyId: akid, secretAccessKey: CREDS[akid]?.secretAccessKey ?? '' }).send(
      new GetCallerIdentityCommand({}),
    );
  const named = await who('AKIAROLEWITHSESSION1');
  assert.equal(named.Account, ACCOUNT);
  assert.equal(named.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/app/deploy-bot`);
  assert.match(named.UserId ?? '', /^AROA[A-Z2-7]{17}:deploy-bot$/);

  const unnamed = await who('AKIAROLENOSESSION001');
  assert.equal(unnamed.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/app/AKIAROLENOSESSION001`);
  // The role's unique ID is the same whichever key signs as it; only the session differs.
  assert.equal(unnamed.UserId?.split(':')[0], named.UserId?.split(':')[0]);
  assert.equal(unnamed.UserId?.split(':')[1], 'AKIAROLENOSESSION001');

  const user = await who('AKIAUSERALICE000001');
  assert.equal(user.Arn, `arn:aws:iam::${ACCOUNT}:user/alice`);
  assert.match(user.UserId ?? '', /^AIDA[A-Z2-7]{17}$/);

  const root = await who('AKIAROOT00000000001');
  assert.equal(root.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  assert.equal(root.UserId, ACCOUNT);
});

test('credentials file: roleSessionName is validated at start-up', () => {
  assert.throws(
    () =>
      resolveOptions({
        credentials: {
          K: { secretAccessKey: 'x', accountId: ACCOUNT, roleName: 'r', roleSessionName: 'a b' },
        },
      }),
    /roleSessionName/,
  );
  assert.throws(
    () =>
      resolveOptions({
        credentials: { K: { secretAccessKey: 'x', accountId: ACCOUNT, roleSessionName: 'ok-name' } },
      }),
    /needs roleName/,
  );
});
