/**
 * `privlink image list|add|remove`: the machine images of a running privlink, through its admin
 * endpoint (guarded as status and reset are). `add NAME DIR` registers a directory (a root
 * filesystem, e.g. made with debootstrap) as a public Amazon-owned AMI that RunInstances can
 * launch; it answers the new AMI ID.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { admin, endpointFrom } from './server-client.js';

export const IMAGE_HELP = `Usage: privlink image list [--json]
       privlink image add NAME DIR [--description TEXT]
       privlink image remove AMI_ID
Options: --endpoint-url URL

Registers a directory as a machine image (AMI) of a running 'privlink serve', lists the images
(the built-in host image ami-0123456789abcdef0 first) or deregisters one. Instances launched from
an image see DIR read-only as the lower layer of their root filesystem. Only an administrator
may register images (a server with --credentials wants an admin key).
`;

interface ImageDoc {
  id: string;
  name: string;
  description: string;
  path?: string;
}

export async function image(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'endpoint-url': { type: 'string' },
      description: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    process.stdout.write(IMAGE_HELP);
    return values.help ? 0 : 1;
  }
  const endpoint = endpointFrom(values['endpoint-url']);
  if (sub === 'list' && rest.length === 0) {
    const list = await admin<ImageDoc[]>(endpoint, '/_privlink/images');
    if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else for (const i of list) process.stdout.write(`${i.id}\t${i.name}\t${i.path ?? '(host root)'}\n`);
    return 0;
  }
  if (sub === 'add' && rest.length === 2) {
    const [name = '', dir = ''] = rest;
    const q = new URLSearchParams({ name, dir: resolve(dir) });
    if (values.description !== undefined) q.set('description', values.description);
    const doc = await admin<ImageDoc>(endpoint, `/_privlink/images?${q.toString()}`, 'POST');
    process.stdout.write(values.json ? JSON.stringify(doc) + '\n' : `${doc.id}\n`);
    return 0;
  }
  if (sub === 'remove' && rest.length === 1) {
    const q = new URLSearchParams({ id: rest[0] ?? '' });
    await admin(endpoint, `/_privlink/images/deregister?${q.toString()}`, 'POST');
    process.stdout.write(`${rest[0] ?? ''} deregistered\n`);
    return 0;
  }
  process.stderr.write(IMAGE_HELP);
  return 1;
}
