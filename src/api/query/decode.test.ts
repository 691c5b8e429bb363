import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARAMETERS, decodeInput, parseForm } from './decode.js';
import { filterShape, s, tagSpecificationShape } from './shapes.js';
import { ApiError } from '../../control/errors.js';

const shape = s.struct({
  DryRun: s.bool(),
  VpcId: s.str({ required: true }),
  SubnetId: s.list(s.str()),
  Filter: s.list(filterShape),
  MaxResults: s.int({ min: 5, max: 1000 }),
  TagSpecification: s.list(tagSpecificationShape),
  DnsOptions: s.struct({
    DnsRecordIpType: s.str({ enum: ['ipv4', 'ipv6', 'dualstack', 'service-defined'] }),
  }),
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
  return 'no error';
}

test('EC2 lists are 1-based, sorted numerically, need not be contiguous', () => {
  const params = parseForm(
    'VpcId=vpc-1&SubnetId.10=c&SubnetId.2=b&SubnetId.1=a&Filter.1.Name=vpc-id&Filter.1.Value.2=y&Filter.1.Value.1=x',
  );
  const v = decodeInput(shape, params, 'ec2');
  assert.deepEqual(v.SubnetId, ['a', 'b', 'c']);
  assert.deepEqual(v.Filter, [{ Name: 'vpc-id', Value: ['x', 'y'] }]);
  assert.deepEqual(v.TagSpecification, []);
});

test('nested structures and tag specifications decode', () => {
  const params = parseForm(
    'VpcId=v&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=x&DnsOptions.DnsRecordIpType=ipv4&DryRun=true&MaxResults=5',
  );
  const v = decodeInput(shape, params, 'ec2');
  assert.deepEqual(v.TagSpecification, [
    { ResourceType: 'vpc-endpoint', Tag: [{ Key: 'Name', Value: 'x' }] },
  ]);
  assert.equal(v.DnsOptions?.DnsRecordIpType, 'ipv4');
  assert.equal(v.DryRun, true);
  assert.equal(v.MaxResults, 5);
});

test('validation: missing, unknown, wrong types, enums, ranges', () => {
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm(''), 'ec2')),
    'MissingParameter',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&Bogus=1'), 'ec2')),
    'UnknownParameter',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&DryRun=yes'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&MaxResults=abc'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&MaxResults=1'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&SubnetId=a'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&SubnetId.0=a'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&DnsOptions.DnsRecordIpType=x'), 'ec2')),
    'InvalidParameterValue',
  );
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm('VpcId=v&DnsOptions.Bogus=x'), 'ec2')),
    'UnknownParameter',
  );
  assert.equal(
    codeOf(() => parseForm('a=%zz')),
    'MalformedQueryString',
  );
});

test('query dialect: .member.N lists, empty list as Name=, ValidationError wording', () => {
  const q = s.struct({ Names: s.list(s.str()), Name: s.str({ required: true }) });
  const v = decodeInput(q, parseForm('Name=n&Names.member.2=b&Names.member.1=a'), 'query');
  assert.deepEqual(v.Names, ['a', 'b']);
  assert.deepEqual(decodeInput(q, parseForm('Name=n&Names='), 'query').Names, []);
  assert.equal(
    codeOf(() => decodeInput(q, parseForm('Names='), 'query')),
    'ValidationError',
  );
});

test('linear decoding: list limits are checked before the members are read, parameters are capped', () => {
  const many = (n: number, unit: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => unit(i + 1)).join('&');
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm(`VpcId=v&${many(201, (i) => `Filter.${i}.Name=a`)}`), 'ec2')),
    'FilterLimitExceeded',
  );
  assert.equal(
    codeOf(() =>
      decodeInput(
        shape,
        parseForm(`VpcId=v&Filter.1.Name=a&${many(201, (i) => `Filter.1.Value.${i}=x`)}`),
        'ec2',
      ),
    ),
    'FilterLimitExceeded',
  );
  assert.equal(
    codeOf(() => parseForm(many(MAX_PARAMETERS + 1, (i) => `SubnetId.${i}=s`))),
    'RequestEntityTooLarge',
  );
  const t0 = performance.now();
  const v = decodeInput(
    shape,
    parseForm(`VpcId=v&${many(MAX_PARAMETERS - 1, (i) => `SubnetId.${i}=s${i}`)}`),
    'ec2',
  );
  assert.equal(v.SubnetId.length, MAX_PARAMETERS - 1);
  assert.equal(v.SubnetId[MAX_PARAMETERS - 2], `s${MAX_PARAMETERS - 1}`);
  assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  // A name deeper than any the shape can consume is unknown, however deep.
  assert.equal(
    codeOf(() => decodeInput(shape, parseForm(`VpcId=v&Filter.1.${'Value.1.'.repeat(20_000)}x=1`), 'ec2')),
    'UnknownParameter',
  );
});
