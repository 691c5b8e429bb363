/** `privlink status`: mode, store, resource counts and endpoints of a running privlink. */
import { admin, parseCommon } from './server-client.js';

export const STATUS_HELP = `Usage: privlink status [--endpoint-url URL] [--json]

Shows the data-plane mode (netns or loopback), where the store lives, how many resources of each
kind exist, and every VPC endpoint with its state. Talks to a running 'privlink serve'
(default ${'http://127.0.0.1:4599'}, or $PRIVLINK_ENDPOINT).
`;

interface StatusDoc {
  url: string;
  store: string;
  components: Record<string, Record<string, unknown>>;
  counts: Record<string, number>;
  endpoints: {
    id: string;
    accountId: string;
    type: string;
    serviceName: string;
    state: string;
    vpcId: string;
  }[];
}

export async function status(argv: string[]): Promise<number> {
  const args = parseCommon(argv);
  if (args.help) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const doc = await admin<StatusDoc>(args.endpoint, '/_privlink/status');
  if (args.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  const dp = doc.components['dataplane'];
  const out: string[] = [];
  out.push(`privlink at ${doc.url}`);
  out.push(`  store:     ${doc.store}`);
  out.push(
    `  dataplane: ${dp ? `${String(dp['mode'])}${dp['reason'] ? ` (${String(dp['reason'])})` : ''}` : 'off'}`,
  );
  if (dp?.['datapath'] !== undefined) {
    out.push(`  datapath:  ${String(dp['datapath'])} (${String(dp['datapathReason'] ?? '')})`);
  }
  const instances = (dp?.['reconcilers'] as Record<string, Record<string, unknown>> | undefined)?.[
    'instances'
  ];
  const sandbox = instances?.['sandbox'];
  if (sandbox !== undefined) {
    out.push(
      `  sandbox:   ${typeof sandbox === 'string' ? sandbox : `${String((sandbox as Record<string, unknown>)['runtime'])}, cgroups ${String((sandbox as Record<string, unknown>)['cgroups'])}`}`,
    );
  }
  const failing = dp?.['errors'] as Record<string, string> | undefined;
  for (const [step, msg] of Object.entries(failing ?? {})) out.push(`  FAILING:   ${step}: ${msg}`);
  const dns = doc.components['dns'];
  if (dns) out.push(`  dns:       ${JSON.stringify(dns)}`);
  out.push(
    '  resources: ' +
      Object.entries(doc.counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k}=${n}`)
        .join(' '),
  );
  out.push(`  endpoints: ${doc.endpoints.length}`);
  for (const e of doc.endpoints) {
    out.push(
      `    ${e.id}  ${e.state.padEnd(17)} ${e.type.padEnd(19)} account ${e.accountId}  ${e.vpcId}  ${e.serviceName}`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
