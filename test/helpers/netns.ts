/**
 * Whether the namespace tests can run here, and what to do when they cannot: on a developer
 * machine without root they are skipped with the reason; under CI=true (what `.ci/run` sets) a
 * skip would turn a broken runner green, so the file gets a failing test instead and the rest is
 * skipped.
 */
import { test, type TestContext } from 'node:test';
import { probeNetns } from '../../src/dataplane/netns/run.js';

export const strictCi = () => process.env['CI'] === 'true';

/**
 * The `skip` option for the namespace tests of one file: false when namespaces work, else the
 * reason (and, under CI=true, one failing test named after `what`).
 */
export async function netnsSkip(what: string): Promise<string | false> {
  const probe = await probeNetns();
  if (probe.ok) return false;
  const reason = `no network namespaces here: ${probe.reason}`;
  if (strictCi()) {
    test(`${what}: network namespaces are required under CI=true`, () => {
      throw new Error(`${what} cannot run: ${reason}`);
    });
  } else {
    console.log(`# skipping ${what}: ${probe.reason}`);
  }
  return reason;
}

/** For a test that checks inside its body: skips, or fails under CI=true. */
export async function requireNetns(t: TestContext, what: string): Promise<boolean> {
  const probe = await probeNetns();
  if (probe.ok) return true;
  if (strictCi()) throw new Error(`${what} cannot run under CI=true: ${probe.reason}`);
  t.skip(`${what} needs network namespaces here: ${probe.reason}`);
  return false;
}
