/** `privlink reset`: wipes all state (and the data plane it made) of a running privlink. */
import { admin, parseCommon } from './server-client.js';

export const RESET_HELP = `Usage: privlink reset [--endpoint-url URL]

Deletes every resource of every account in a running 'privlink serve' and removes the namespaces,
links and processes the data plane made for them. The server keeps running.
`;

export async function reset(argv: string[]): Promise<number> {
  const args = parseCommon(argv);
  if (args.help) {
    process.stdout.write(RESET_HELP);
    return 0;
  }
  const endpoint = args.endpoint;
  await admin(endpoint, '/_privlink/reset', 'POST');
  process.stdout.write(`privlink at ${endpoint}: all state wiped\n`);
  return 0;
}
