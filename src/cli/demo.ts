/** `privlink demo`: see src/demo/demo.ts. */
import { parseArgs } from 'node:util';
import { runDemo } from '../demo/demo.js';

export const DEMO_HELP = `Usage: privlink demo [--keep] [--port PORT]

Plays the whole AWS PrivateLink story on a fresh embedded privlink, through the real AWS SDK:
a provider publishes "xyz.com" behind a Network Load Balancer (PROXY v2, acceptance required,
verified private DNS name), a consumer with the same VPC CIDR connects through an interface
endpoint, is accepted, fetches http://xyz.com/ from its instance, and is cut off when rejected.
Each step prints its timing and PASS/FAIL; the exit status is 0 only if every step passed.
Needs root for the network-namespace data plane (else it runs in loopback mode and says so).

Options:
  --keep         leave everything running and print aws CLI commands to explore it
  --port PORT    API port (default 4599; 0 = any free port)
  --loopback     use the loopback data plane even as root (no namespaces, no isolation)
  -h, --help     this help
`;

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      keep: { type: 'boolean' },
      port: { type: 'string' },
      loopback: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const port = values.port === undefined ? 4599 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got '${values.port ?? ''}'`);
  return runDemo({ keep: values.keep ?? false, port, loopback: values.loopback ?? false });
}
