/** Every action the project lists is implemented, and unsupported ones answer InvalidAction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EC2_ACTION_TABLE } from '../../src/api/actions/ec2/index.js';
import {
  EC2_CORE_ACTIONS,
  EC2_ENDPOINT_ACTIONS,
  EC2_INSTANCE_ACTIONS,
  EC2_INSTANCE_DETAIL_ACTIONS,
  EC2_SERVICE_ACTIONS,
} from '../../src/api/actions/ec2/names.js';
import { ELBV2_ACTION_TABLE } from '../../src/api/actions/elbv2/index.js';
import { ELBV2_ACTIONS } from '../../src/api/actions/elbv2/names.js';

test('every listed EC2 action has a handler', () => {
  const listed = [
    ...EC2_CORE_ACTIONS,
    ...EC2_SERVICE_ACTIONS,
    ...EC2_ENDPOINT_ACTIONS,
    ...EC2_INSTANCE_ACTIONS,
    ...EC2_INSTANCE_DETAIL_ACTIONS,
  ];
  const missing = listed.filter((a) => !EC2_ACTION_TABLE[a]);
  assert.deepEqual(missing, []);
  assert.deepEqual(
    Object.keys(EC2_ACTION_TABLE).filter((a) => !(listed as readonly string[]).includes(a)),
    [],
  );
});

test('every listed ELBv2 action has a handler', () => {
  const missing = ELBV2_ACTIONS.filter((a) => !ELBV2_ACTION_TABLE[a]);
  assert.deepEqual(missing, []);
});
