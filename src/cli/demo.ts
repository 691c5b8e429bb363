/** `privlink demo`: see src/demo/demo.ts. */
import { parseArgs } from 'node:util';
import { runDemo } from '../demo/demo.js';
import { runAwsServicesDemo } from '../demo/aws-services-demo.js';

export const DEMO_HELP = `Usage: privlink demo [--keep] [--port PORT]
       privlink demo --aws-services [--port PORT]

Plays the whole AWS PrivateLink story on a fresh embedded privlink, through the real AWS SDK:
a provider publishes "xyz.com" behind a Network Load Balancer (PROXY v2, acceptance required,
verified private DNS name), a consumer with the same VPC CIDR connects through an interface
endpoint, is accepted, fetches http://xyz.com/ from its instance, and is cut off when rejected.
Each step prints its timing and PASS/FAIL; the exit status is 0 only if every step passed.
Needs root for the network-namespace data plane (else it runs in loopback mode and says so).

With --aws-services, a second story: an instance's aws CLI lists VPCs through an ec2 interface
endpoint with private DNS, a Deny in the endpoint policy turns the call into
UnauthorizedOperation, and an object written with aws s3 cp through an S3 gateway endpoint is
read back (an s3rver backend is started for it). Needs root and the aws CLI.

Options:
  --keep         leave everything running and print aws CLI commands to explore it
  --port PORT    API port (default 4599; 0 = any free port)
  --loopback     use the loopback data plane even as root (no namespaces, no isolation)
  --aws-services play the AWS-services story instead (ec2 and S3 through VPC endpoints)
  -h, --help     this help
`;

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      keep: { type: 'boolean' },
      port: { type: 'string' },
      loopback: { type: 'boolean' },
      'aws-services': { type: 'boolean' },
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
  if (values['aws-services']) return runAwsServicesDemo({ port });
  return runDemo({ keep: values.keep ?? false, port, loopback: values.loopback ?? false });
}
