// Registry of CLI commands. Each command lives in its own file and is added here with one line.
import type { CliCommand } from '../command';
import { serveCommand } from './serve';
import { statusCommand } from './status';
import { rulesCommand } from './rules';

export const COMMANDS: CliCommand[] = [
  serveCommand,
  statusCommand,
  rulesCommand,
];
