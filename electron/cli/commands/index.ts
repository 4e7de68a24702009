// Registry of CLI commands. Each command lives in its own file and is added here with one line.
import type { CliCommand } from '../command';
import { serveCommand } from './serve';
import { statusCommand } from './status';
import { rulesCommand } from './rules';
import { scanCommand } from './scan';
import { ACTION_COMMANDS } from './actions';
import { recordCommand } from './record';
import { reportCommand } from './report';
import { ticketsCommand } from './tickets';
import { helperCommand } from './helper';

export const COMMANDS: CliCommand[] = [
  serveCommand,
  statusCommand,
  rulesCommand,
  scanCommand,
  ...ACTION_COMMANDS,
  recordCommand,
  reportCommand,
  ticketsCommand,
  helperCommand,
];
