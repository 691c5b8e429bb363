/**
 * `privlink ca`: prints privlink's CA certificate (PEM) from the data dir, creating the CA there
 * if no server has yet. Instances trust it already; on the host, hand it to a client
 * (`AWS_CA_BUNDLE`, `curl --cacert`) to speak HTTPS to the names privlink serves.
 */
import { parseArgs } from 'node:util';
import { caCertificatePem } from '../emulator.js';

export const CA_HELP = `Usage: privlink ca [--data-dir DIR]

Prints privlink's CA certificate (PEM). The CA lives in DIR/ca (default ./.privlink/ca) and is
created on first use; every certificate privlink serves AWS service names with is issued by it.
`;

export async function ca(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(CA_HELP);
    return 0;
  }
  process.stdout.write(await caCertificatePem(values['data-dir'] ? { dataDir: values['data-dir'] } : {}));
  return 0;
}
