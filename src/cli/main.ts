/** privlink command-line entry: `privlink <command> [options]`. */
import { serve } from './serve.js';
import { status } from './status.js';
import { reset } from './reset.js';
import { demo } from './demo.js';

const HELP = `Usage: privlink <command> [options]

Commands:
  serve     run the API, data plane and DNS (see: privlink serve --help)
  demo      play the whole PrivateLink story end to end (privlink demo --help)
  exec      run a command inside an instance: privlink exec INSTANCE_ID -- CMD ARGS...
  status    show mode, store, resource counts and endpoints of a running privlink
  reset     wipe all state of a running privlink
  ca        print privlink's CA certificate (PEM) for HTTPS to the AWS service names
  image     list, register (add NAME DIR) or remove machine images (privlink image --help)

Run 'privlink <command> --help' for a command's options.
`;

// The AWS SDK warns on Node 20 about its releases after January 2027; privlink pins its SDK
// version, so the warning only clutters the demo's output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

type CommandFn = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<CommandFn>> = {
  serve: async () => serve,
  status: async () => status,
  reset: async () => reset,
  exec: async () => (await import('./exec.js')).exec,
  demo: async () => demo,
  ca: async () => (await import('./ca.js')).ca,
  image: async () => (await import('./image.js')).image,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd ? 0 : 1;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`privlink: unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  const fn = await load();
  return fn(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`privlink: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
