// Incident-response commands: pause, unpause, stop, kill, isolate [--undo], snapshot --out DIR, restart-clean.
import { resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs } from '../args';
import { DockerConnection } from '../../node/docker/connection';
import { defaultDataDir, GLASSHOUSE_VERSION } from '../../node/engine';
import { fileJournal, isolateContainer, restartClean, simpleAction, unisolateContainer, type ActionContext, type SimpleAction } from '../../node/docker/actions';
import { readManifest, snapshotContainer, verifyBundle } from '../../node/docker/snapshot';
import { DockerUnavailableError, UserInputError } from '../../common/ipc/errors';

async function withDocker<T>(io: CliIo, fn: (ctx: ActionContext) => Promise<T>): Promise<T> {
  const conn = new DockerConnection({ version: GLASSHOUSE_VERSION, endpointEnv: { env: io.env } });
  await conn.start();
  conn.stop();
  if (conn.status.connection !== 'connected') {
    const e = conn.status.error;
    throw new DockerUnavailableError(e?.message ?? 'Docker is not reachable.', e?.hint, e?.code);
  }
  const dataDir = defaultDataDir(io.env);
  return fn({ docker: conn.docker as Dockerode, dataDir, journal: fileJournal(dataDir) });
}

function oneName(command: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UserInputError(positionals.length ? `glasshouse ${command} takes one container, not ${positionals.length}.` : `Which container? Give its name or id.`,
      `Run \`glasshouse ${command} --help\` for the usage.`);
  }
  return positionals[0];
}

function simpleCommand(action: SimpleAction, summary: string, detail: string): CliCommand {
  return {
    name: action,
    summary,
    usage: `Usage: glasshouse ${action} NAME\n\n${detail}\nThe action is journaled in ${'<data dir>'}/actions.jsonl.`,
    async run(argv, io) {
      const { positionals } = parseCommandArgs(action, argv, {}, true);
      const name = oneName(action, positionals);
      const r = await withDocker(io, (ctx) => simpleAction(ctx, name, action));
      io.stdout.write(`${r.message}\n`);
      return 0;
    },
  };
}

export const pauseCommand = simpleCommand('pause', 'Freeze every process of a container (reversible with unpause)',
  'Freezes the container\'s processes (cgroup freezer) so they can be examined; nothing is lost.');
export const unpauseCommand = simpleCommand('unpause', 'Resume a paused container', 'Resumes a container paused by `glasshouse pause` or docker pause.');
export const stopCommand = simpleCommand('stop', 'Stop a container (SIGTERM, then SIGKILL after 10 s)', 'Stops the container gracefully; its filesystem is kept.');
export const killCommand = simpleCommand('kill', 'Kill a container at once (SIGKILL)', 'Kills the container\'s main process immediately; its filesystem is kept for a snapshot.');

export const isolateCommand: CliCommand = {
  name: 'isolate',
  summary: 'Cut a container off every network, remembering them (--undo reconnects)',
  usage: `Usage: glasshouse isolate NAME
       glasshouse isolate --undo NAME

Disconnects the container from every network it is on and remembers each (aliases, addresses) in the
Glasshouse data dir, so it keeps running and can be watched while it can reach nothing.
  --undo   reconnect it to the remembered networks, with the same aliases and addresses where Docker allows.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('isolate', argv, { undo: { type: 'boolean' } }, true);
    const name = oneName('isolate', positionals);
    const r = await withDocker(io, (ctx) => (values.undo ? unisolateContainer(ctx, name) : isolateContainer(ctx, name)));
    io.stdout.write(`${r.message}\n`);
    if (!values.undo) io.stdout.write(`Undo with: glasshouse isolate --undo ${r.name}\n`);
    return 0;
  },
};

function progressBar(io: CliIo) {
  const tty = !!io.stdout.isTTY;
  let lastStep = '';
  return {
    update(fraction: number, step: string, message: string) {
      if (tty) {
        const width = 30;
        const full = Math.round(fraction * width);
        io.stdout.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${message.slice(0, 60).padEnd(60)}`);
      } else if (step !== lastStep) {
        // Not a terminal (CI, a pipe): one line per step instead of redrawing.
        io.stdout.write(`${String(Math.round(fraction * 100)).padStart(3)}% ${message}\n`);
      }
      lastStep = step;
    },
    end() { if (tty) io.stdout.write('\n'); },
  };
}

export const snapshotCommand: CliCommand = {
  name: 'snapshot',
  summary: 'Write a snapshot bundle of a container (image, filesystem, inspect, manifest) to a folder',
  usage: `Usage: glasshouse snapshot NAME --out DIR [--no-pause] [--no-image]
       glasshouse snapshot --verify DIR

Writes one folder: inspect.json, image.tar (the \`docker commit\` of the container, as docker save),
filesystem.tar (docker export), the recording slice when a recording is active, and manifest.json listing
every file as {path, sha256, bytes}. DIR must be new or empty. The committed image stays in the engine too.
  --out DIR     the bundle folder (required)
  --no-pause    do not pause the container during commit (the image may be inconsistent)
  --no-image    skip image.tar (the committed image is still in the engine)
  --verify DIR  check a bundle against its manifest.json (every file's sha256 and size); exit 1 when it does not match
A bundle is verified against its manifest right after it is written.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('snapshot', argv, {
      out: { type: 'string' }, 'no-pause': { type: 'boolean' }, 'no-image': { type: 'boolean' }, verify: { type: 'string' },
    }, true);
    if (values.verify !== undefined) {
      if (positionals.length || values.out) throw new UserInputError('--verify takes only the bundle folder.', 'Run `glasshouse snapshot --verify DIR`.');
      const dir = resolve(io.cwd, values.verify);
      const manifest = await readManifest(dir);
      const problems = await verifyBundle(dir, manifest);
      if (problems.length) {
        io.stderr.write(`glasshouse snapshot: the bundle in ${dir} does not match its manifest:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
        return 1;
      }
      io.stdout.write(`Bundle ${dir} verified: ${manifest.files.length} files match manifest.json (snapshot of "${manifest.container.name}", ${manifest.createdAt}).\n`);
      return 0;
    }
    const name = oneName('snapshot', positionals);
    if (!values.out) throw new UserInputError('Where should the bundle go? Give a folder with --out DIR.', 'Run `glasshouse snapshot --help` for the usage.');
    const bar = progressBar(io);
    try {
      const r = await withDocker(io, (ctx) => snapshotContainer(ctx.docker, name, {
        outDir: resolve(io.cwd, values.out!), pause: !values['no-pause'], saveImage: !values['no-image'], journal: ctx.journal,
        onProgress: (p) => bar.update(p.fraction, p.step, p.message),
      }));
      bar.end();
      io.stdout.write(`${r.message}\n`);
      for (const m of r.manifest.missing ?? []) io.stdout.write(`Not included: ${m.part} — ${m.why}\n`);
      return 0;
    } catch (err) {
      bar.end();
      throw err;
    }
  },
};

export const restartCleanCommand: CliCommand = {
  name: 'restart-clean',
  summary: 'Replace a container with a fresh one from its original image and configuration',
  usage: `Usage: glasshouse restart-clean NAME [--remove-old]

Stops the container, renames it NAME-replaced-TIME (kept for analysis), and creates and starts a new NAME
from the same image and configuration (networks it was on before any isolation). If any step fails, the
original is put back as it was.
  --remove-old   remove the old container instead of keeping it stopped`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('restart-clean', argv, { 'remove-old': { type: 'boolean' } }, true);
    const name = oneName('restart-clean', positionals);
    const r = await withDocker(io, (ctx) => restartClean(ctx, name, { removeOld: !!values['remove-old'] }));
    io.stdout.write(`${r.message}\n`);
    return 0;
  },
};

export const ACTION_COMMANDS: CliCommand[] = [
  pauseCommand, unpauseCommand, stopCommand, killCommand, isolateCommand, snapshotCommand, restartCleanCommand,
];
