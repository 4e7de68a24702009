// Small wrapper over node:util parseArgs that turns parse failures into usage sentences.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserInputError } from '../common/ipc/errors';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string, argv: string[], options: T, allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UserInputError(`${(err as Error).message.replace(/\.$/, '')}.`, `Run \`glasshouse ${command} --help\` for the options.`);
  }
}

/** "30s", "5m", "1h", "250ms" or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UserInputError(`"${text}" is not a duration.`, 'Write it like 30s, 5m or 1h.');
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 0 || n > 65535) throw new UserInputError(`"${text}" is not a TCP port.`, 'Use a number from 1 to 65535 (0 picks a free one).');
  return n;
}

/** `glasshouse X [options] -- COMMAND ARGS…`: our options before `--`, the command to run after it. */
export function splitAtDoubleDash(argv: string[]): { own: string[]; command: string[]; hasDash: boolean } {
  const dash = argv.indexOf('--');
  return dash >= 0 ? { own: argv.slice(0, dash), command: argv.slice(dash + 1), hasDash: true } : { own: argv, command: [], hasDash: false };
}
