/**
 * Issue 11, item 8: the provider's DescribeVpcEndpointConnections must not let filters read what
 * the response hides. The consumer's endpoint tags are the consumer's; `tag:<key>`, `tag-key` and
 * `tag-value` filters in the provider's call must not match them, or a wildcard walk
 * (`h*`, `hu*`, …) recovers a secret value one character at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTagsCommand, DescribeVpcEndpointConnectionsCommand } from '@aws-sdk/client-ec2';
import { CONSUMER, PROVIDER, ec2Client, startPrivlink } from '../helpers/privlink.js';
import { buildWorld } from '../robustness/world.js';

test("provider filters on connections do not see the consumer's endpoint tags", async (t) => {
  const p = await startPrivlink(t);
  const world = await buildWorld(p);
  const cons = ec2Client(p, { account: CONSUMER });
  const prov = ec2Client(p, { account: PROVIDER });
  await cons.send(
    new CreateTagsCommand({
      Resources: [world.endpointId],
      Tags: [{ Key: 'db-password', Value: 'hunter2' }],
    }),
  );
  const ids = async (Filters: { Name: string; Values: string[] }[]) =>
    (await prov.send(new DescribeVpcEndpointConnectionsCommand({ Filters }))).VpcEndpointConnections?.map(
      (c) => c.VpcEndpointId,
    ) ?? [];

  // The connection itself is visible to the provider.
  assert.ok((await ids([{ Name: 'service-id', Values: [world.serviceId] }])).includes(world.endpointId));
  for (const probe of [
    [{ Name: 'tag:db-password', Values: ['h*'] }],
    [{ Name: 'tag:db-password', Values: ['hunter2'] }],
    [{ Name: 'tag-key', Values: ['db-password'] }],
    [{ Name: 'tag-value', Values: ['hunter2'] }],
    [{ Name: 'tag:Name', Values: ['*'] }],
  ]) {
    assert.deepEqual(await ids(probe), [], `probe ${JSON.stringify(probe)} matched a consumer tag`);
  }
});
