/**
 * Shared parts of the Terraform call-sequence replays: one privlink per test file, SDK clients
 * that record every call they make, and a phase check that the calls a replay made are exactly
 * the ones scripts/iac-calls.ts lists for that resource and phase (a waiter's repeated polls
 * count once).
 */
import assert from 'node:assert/strict';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Privlink } from '../../../src/emulator.js';
import { TERRAFORM, type TerraformResource } from '../../../scripts/iac-calls.js';
import { ec2Client, elbClient, stsClient, type ClientOptions } from '../../helpers/privlink.js';

type AnyClient = EC2Client | ElasticLoadBalancingV2Client | STSClient;

export interface Recorded {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  sts: STSClient;
  calls: string[];
}

/** The part of a client's middleware stack used here, common to the three clients. */
interface InitializeStack {
  add(
    mw: (
      next: (a: unknown) => Promise<unknown>,
      ctx: { commandName?: string },
    ) => (a: unknown) => Promise<unknown>,
    o: { step: 'initialize'; name: string },
  ): void;
}

function record(client: AnyClient, prefix: string, calls: string[]): void {
  (client.middlewareStack as unknown as InitializeStack).add(
    (next, context) => (args) => {
      calls.push(prefix + String(context.commandName ?? '').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordCall' },
  );
}

/** Clients of one account; accounts of one replay share `calls` so phases see every call in order. */
export function recordedClients(p: Privlink, o: ClientOptions = {}, calls: string[] = []): Recorded {
  const ec2 = ec2Client(p, o);
  const elb = elbClient(p, o);
  const sts = stsClient(p, o);
  record(ec2, '', calls);
  record(elb, 'elbv2:', calls);
  record(sts, 'sts:', calls);
  return { ec2, elb, sts, calls };
}

export function resource(name: string): TerraformResource {
  const r = TERRAFORM.find((x) => x.name === name);
  if (!r) throw new Error(`scripts/iac-calls.ts lists no ${name}`);
  return r;
}

function collapse(calls: readonly string[]): string[] {
  return calls.filter((c, n) => n === 0 || calls[n - 1] !== c);
}

export type Phase = 'create' | 'read' | 'update' | 'delete';

/** Runs one phase of a resource's replay and checks the calls made (into `log`) against the list. */
export async function phase<T>(log: string[], name: string, which: Phase, run: () => Promise<T>): Promise<T> {
  const from = log.length;
  const out = await run();
  const expected = resource(name)[which] ?? [];
  assert.deepEqual(
    collapse(log.slice(from)),
    expected,
    `${name} ${which}: calls differ from scripts/iac-calls.ts`,
  );
  return out;
}

/** Polls `read` until `done` holds, as the provider's waiters do (a fast poll: privlink settles in ms). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error('waiter timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
