// `glasshouse record`: capture what containers do into a .glasshouse recording until a duration, a command or Ctrl-C ends it.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs, parseDuration, splitAtDoubleDash } from '../args';
import { DockerUnavailableError, UserInputError, deserializeError, describeError } from '../../common/ipc/errors';
import { answerRejectTallies } from '../../node/docker/answers';
import { Engine } from '../../node/engine';
import type { RecorderSummary } from '../../node/recorder';
import { SyntheticSource } from '../../node/capture/synthetic';

/** The catalog's first list arrives just after connecting: wait for it so "record every container" sees them all. */
async function waitForCatalog(engine: Engine): Promise<void> {
  if (engine.catalog.snapshot().containers.length) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    engine.catalog.once('delta', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

const USAGE = `Usage: glasshouse record [options] --out FILE.glasshouse [-- COMMAND [ARG...]]

Records what containers do (processes, files, network) into one recording file that
\`glasshouse report\` and the app can open.

Which containers:
  --container NAME      record this container, by name or id prefix (repeatable)
  --compose PROJECT     record every container of this compose project (repeatable)
                        (neither: every container, including those that start while recording)
How long:
  --duration 30s        stop after this long (ms, s, m, h)
  -- COMMAND            run COMMAND and stop when it exits (its exit status becomes ours)
                        (neither: until Ctrl-C)
Output:
  --out FILE            the recording to write; an existing file is never overwritten
  --title TEXT          a title stored in the recording
  --synthetic N         record N synthetic events instead of containers (for tests and benchmarks)

Exit status: 0 when the recording was written completely; 1 when it stopped early (disk full, sensor failure;
everything recorded until then is still in the file); COMMAND's status when one was run; 2 for bad usage.`;

/** A one-line status on a terminal, silent otherwise. */
function statusLine(io: CliIo) {
  const tty = !!io.stderr.isTTY;
  let shown = false;
  return {
    show(text: string) {
      if (!tty) return;
      io.stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    line(text: string) {
      if (shown) io.stderr.write('\r\x1b[2K');
      shown = false;
      io.stderr.write(text);
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

function fileSize(path: string): string {
  try {
    const bytes = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    return bytes > 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`;
  } catch {
    return '?';
  }
}

export const recordCommand: CliCommand = {
  name: 'record',
  summary: 'Record what containers do into a .glasshouse file',
  usage: USAGE,
  async run(argv, io) {
    const { own, command, hasDash } = splitAtDoubleDash(argv);
    const { values } = parseCommandArgs('record', own, {
      container: { type: 'string', multiple: true },
      compose: { type: 'string', multiple: true },
      duration: { type: 'string' },
      out: { type: 'string' },
      title: { type: 'string' },
      synthetic: { type: 'string' },
    });
    if (!values.out) throw new UserInputError('No output file was given.', 'Add --out FILE.glasshouse.');
    if (hasDash && !command.length) throw new UserInputError('Nothing follows --.', 'Put the command to run after --, or leave -- out.');
    const durationMs = values.duration ? parseDuration(values.duration) : undefined;
    const out = resolve(io.cwd, values.out);
    const ui = statusLine(io);

    // The same engine and capture session as the app: real sensor, state tables, rules, recording.
    const engine = new Engine({ endpointEnv: { env: io.env } });
    const session = engine.session;
    if (values.synthetic) {
      const n = Number(values.synthetic);
      if (!Number.isInteger(n) || n < 0) throw new UserInputError(`"${values.synthetic}" is not a number of events.`, 'Use e.g. --synthetic 100000.');
      await session.startSource(new SyntheticSource({ events: n, seed: 1, startTs: Date.now() }), { path: out, title: values.title });
    } else {
      await engine.start();
      if (engine.connection.status.connection !== 'connected') {
        engine.stop();
        const e = engine.connection.status.error;
        throw e ? deserializeError(e) : new DockerUnavailableError('Docker is not reachable.', 'Is Docker running? Set DOCKER_HOST to use another engine.');
      }
      await waitForCatalog(engine);
      const sel = { containers: values.container, compose: values.compose };
      try {
        await session.startLive(sel, { path: out, title: values.title ?? (command.length ? command.join(' ') : undefined) });
      } catch (err) {
        engine.stop();
        const pre = session.status.preflight;
        if (pre?.length) io.stderr.write(pre.map((l) => `glasshouse record: ${l}\n`).join(''));
        throw err;
      }
      const names = [...(values.container ?? []), ...(values.compose ?? [])];
      const announced = new Set<string>();
      const announce = () => {
        for (const c of session.world?.containers.list() ?? []) {
          if (announced.has(c.id) || !c.ref.image) continue;
          announced.add(c.id);
          ui.line(`glasshouse: recording ${c.ref.name} (${c.ref.image})\n`);
        }
      };
      engine.onEvent((name) => { if (name === 'session.status') announce(); });
      // The catalog fills asynchronously: only complain if nothing matched after it had a moment.
      const warn = setTimeout(() => {
        if (names.length && !session.status.containers?.length) ui.line(`glasshouse record: no running container matches ${names.join(', ')} yet; waiting for one to start.\n`);
      }, 1500);
      warn.unref();
    }
    const summaryPromise = session.summary!;
    const startedAt = Date.now();
    const progress = setInterval(() => {
      const secs = Math.round((Date.now() - startedAt) / 1000);
      const w = session.world;
      ui.show(`recording ${secs}s · ${w?.containers.size ?? 0} container(s) · ${w?.counters.events ?? 0} events · ${fileSize(out)}`);
    }, 250);

    let childStatus: number | undefined;
    const stops: Array<Promise<string>> = [io.interrupted.then(() => 'interrupted'), summaryPromise.then(() => 'ended')];
    let durationTimer: NodeJS.Timeout | undefined;
    if (durationMs !== undefined) stops.push(new Promise((r) => (durationTimer = setTimeout(() => r('duration'), durationMs))));
    if (command.length) {
      stops.push(new Promise((r) => {
        const child = spawn(command[0], command.slice(1), { cwd: io.cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (b: Buffer) => ui.line(b.toString()));
        child.stderr.on('data', (b: Buffer) => ui.line(b.toString()));
        child.on('error', (err) => {
          ui.line(`glasshouse record: could not run ${command[0]}: ${err.message}\n`);
          childStatus = 127;
          r('command');
        });
        child.on('exit', (code, signal) => {
          childStatus = code ?? (signal ? 128 : 1);
          r('command');
        });
      }));
    }
    const why = await Promise.race(stops);
    if (durationTimer) clearTimeout(durationTimer);
    let summary: RecorderSummary;
    try {
      await session.stop();
      summary = await summaryPromise;
    } finally {
      clearInterval(progress);
      ui.done();
      engine.stop();
    }
    const containers = session.world?.containers.size ?? 0;

    const secs = (summary.durationMs / 1000).toFixed(1);
    if (summary.error) {
      io.stderr.write(`glasshouse record: ${describeError(summary.error)}\n`);
    }
    io.stderr.write(`glasshouse record: ${summary.events} events from ${containers} container(s) in ${secs}s written to ${out} (${fileSize(out)})`
      + `${summary.sourceDropped + summary.sensorDrops ? `; ${summary.sourceDropped + summary.sensorDrops} events lost` : ''}`
      + `${summary.unsaved ? `; ${summary.unsaved} events or rows not saved (${Object.entries(summary.unsavedReasons).map(([r, n]) => `${n} × ${r}`).join('; ')})` : ''}`
      + `${summary.observerErrors.count ? `; ${summary.observerErrors.count} rule errors caught (last: ${summary.observerErrors.last})` : ''}`
      + `${why === 'interrupted' ? '; stopped by Ctrl-C' : ''}.\n`);
    for (const r of answerRejectTallies()) io.stderr.write(`glasshouse record: skipped ${r.count} ${r.call} answer(s) of an unexpected shape. Last: ${r.last}\n`);
    if (summary.error) return 1;
    return childStatus ?? 0;
  },
};
