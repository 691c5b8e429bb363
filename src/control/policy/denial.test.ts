import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamodbAccessDenied, endpointDenialMessage, s3AccessDenied } from './denial.js';

// IAM User Guide, "Troubleshoot access denied error messages": "because no VPC endpoint policy
// allows the <action> action" (implicit) / "with an explicit deny in a VPC endpoint policy".
test('the access-denied sentence, implicit and explicit, with and without a resource', () => {
  const user = 'arn:aws:iam::123456789012:user/MaryMajor';
  assert.equal(
    endpointDenialMessage({
      principalArn: user,
      action: 'ec2:DescribeVpcs',
      resource: '*',
      reason: 'implicit',
    }),
    'User: arn:aws:iam::123456789012:user/MaryMajor is not authorized to perform: ec2:DescribeVpcs because no VPC endpoint policy allows the ec2:DescribeVpcs action',
  );
  assert.equal(
    endpointDenialMessage({
      principalArn: user,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/k',
      reason: 'explicit',
      quoteResource: true,
    }),
    'User: arn:aws:iam::123456789012:user/MaryMajor is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a VPC endpoint policy',
  );
});

test('S3 AccessDenied XML and DynamoDB AccessDeniedException JSON', () => {
  const s3 = s3AccessDenied('a <b> & "c"', 'REQ1');
  assert.equal(s3.status, 403);
  assert.equal(
    s3.body,
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>a &lt;b&gt; &amp; &quot;c&quot;</Message><RequestId>REQ1</RequestId><HostId>REQ1</HostId></Error>',
  );
  const ddb = dynamodbAccessDenied('no');
  assert.equal(ddb.status, 400);
  assert.equal(ddb.contentType, 'application/x-amz-json-1.0');
  assert.deepEqual(JSON.parse(ddb.body), {
    __type: 'com.amazon.coral.service#AccessDeniedException',
    message: 'no',
  });
});
