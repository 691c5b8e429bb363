/** src/api/aws-actions.ts is what scripts/gen-aws-actions.ts makes from the pinned SDK clients. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AWS_ACTIONS_PATH, renderAwsActions } from '../../scripts/gen-aws-actions.js';
import { EC2_ACTION_TABLE } from '../../src/api/actions/ec2/index.js';
import { ELBV2_ACTION_TABLE } from '../../src/api/actions/elbv2/index.js';
import { AWS_EC2_ACTIONS, AWS_ELBV2_ACTIONS } from '../../src/api/aws-actions.js';

test('the list of AWS action names matches the pinned SDK clients', () => {
  assert.equal(
    readFileSync(AWS_ACTIONS_PATH, 'utf8'),
    renderAwsActions(),
    'stale: run node --import tsx scripts/gen-aws-actions.ts',
  );
});

test('every action privlink implements is an action AWS has', () => {
  assert.deepEqual(
    Object.keys(EC2_ACTION_TABLE).filter((a) => !AWS_EC2_ACTIONS.has(a)),
    [],
  );
  assert.deepEqual(
    Object.keys(ELBV2_ACTION_TABLE).filter((a) => !AWS_ELBV2_ACTIONS.has(a)),
    [],
  );
});
