// `glasshouse` command-line entry: dispatches to one command, turns errors into sentences and exit codes.
import { COMMANDS } from './commands';
import type { CliIo } from './command';
import { GlasshouseError, describeError } from '../common/ipc/errors';
import { defaultDataDir, GLASSHOUSE_VERSION } from '../node/engine';
import { securePrivateDir, usePrivateUmask } from '../node/privateFiles';

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Glasshouse — see what your containers actually do.',
    '',
    'Usage: glasshouse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `glasshouse <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${GLASSHOUSE_VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`glasshouse: unknown command "${name}". Run \`glasshouse --help\` to see the commands.\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    io.stderr.write(`glasshouse ${name}: ${describeError(err)}\n`);
    if (!(err instanceof GlasshouseError) && io.env.GLASSHOUSE_DEBUG) io.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return err instanceof GlasshouseError && err.name === 'UserInputError' ? EXIT_USAGE : EXIT_FAILURE;
  }
}

/** Process entry used by the bundled CLI. */
export function main(): void {
  // Recordings, snapshots and exports hold what containers did (argv, environments): this user alone may read them.
  usePrivateUmask();
  for (const p of securePrivateDir(defaultDataDir(process.env), { create: false })) process.stderr.write(`glasshouse: ${p}; recordings there may be readable by other users.\n`);
  let interruptedResolve!: () => void;
  const interrupted = new Promise<void>((r) => (interruptedResolve = r));
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130); // a second Ctrl-C means "now"
    interruptedResolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`| head`) is no error of ours: stop writing and leave quietly.
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); });
  }
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interrupted })
    .then(async (code) => {
      process.exitCode = code;
      // Output to a pipe is written asynchronously: exiting now would cut it off (a JSON report at 64 kB multiples).
      await Promise.all([drained(process.stdout), drained(process.stderr)]);
      // Commands close what they open; exit explicitly so a stray handle never hangs a CI job.
      setImmediate(() => process.exit(code));
    });
}

/** Resolves once everything written to `s` so far has been handed to the OS (a write's callback runs after the ones before it). */
export function drained(s: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((s as { destroyed?: boolean }).destroyed || (s as { writableEnded?: boolean }).writableEnded) return resolve();
    s.write('', () => resolve());
  });
}
