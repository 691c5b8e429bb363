/**
 * Debian's `ansible` (amazon.aws 5.5, community.aws 5.5) runs real playbooks against privlink
 * through `endpoint_url`, as users of infrastructure code do. A failed task fails the test.
 * Without ansible-playbook the file is skipped with the reason, except under CI=true, where
 * `.ci/run` installs it and a missing one is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrivlink } from '../helpers/privlink.js';

const PLAYBOOKS = join(dirname(fileURLToPath(import.meta.url)), 'playbooks');
const ANSIBLE = '/usr/bin/ansible-playbook';
const missing = !existsSync(ANSIBLE);
if (missing && process.env['CI'] === 'true') {
  test('ansible-playbook is installed under CI=true', () => {
    assert.fail(`${ANSIBLE} is missing: scripts/install-deps.sh installs the Debian package ansible`);
  });
} else if (missing) {
  console.log(`# skipping Ansible playbooks: ${ANSIBLE} is missing (Debian package ansible)`);
}

function runPlaybook(file: string, endpoint: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      ANSIBLE,
      ['-i', 'localhost,', '-c', 'local', '-e', `endpoint=${endpoint}`, join(PLAYBOOKS, file)],
      {
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/tmp',
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_LOCALHOST_WARNING: 'false',
          ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

for (const file of ['network.yml', 'load-balancer.yml']) {
  test(`ansible-playbook ${file} runs without a failed task`, { skip: missing }, async (t) => {
    const p = await startPrivlink(t);
    const { code, output } = await runPlaybook(file, p.url);
    const recap = /localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(output);
    assert.equal(code, 0, output.slice(-6000));
    assert.ok(recap, `no play recap in the output:\n${output.slice(-3000)}`);
    assert.equal(recap[4], '0', output.slice(-6000));
    assert.ok(Number(recap[1]) >= 10, `only ${recap[1]} tasks ran`);
  });
}
