// `glasshouse record`: capture what containers do into a .glasshouse recording until a duration, a command or Ctrl-C ends it.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs, parseDuration } from '../args';
import { DockerUnavailableError, UserInputError, deserializeError, describeError } from '../../common/ipc/errors';
import type { ContainerSummary } from '../../common/model/container';
import type { CatalogDelta } from '../../common/ipc/contract';
import { Engine, GLASSHOUSE_VERSION } from '../../node/engine';
import { inspectContainer, listProcesses } from '../../node/docker/containers';
import { RecordingStore } from '../../node/store/index';
import { Recorder, type RecorderSummary } from '../../node/recorder';
import { SyntheticSource } from '../../node/capture/synthetic';
import type { CaptureSource } from '../../node/capture/source';
import { diffVia, type ContainerInfoProvider, type DiffCapableDocker } from '../../node/capture/containerInfo';
import { ProcessPollerSource, POLLER_BLIND_KINDS } from '../scan/processPoller';

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
    const dash = argv.indexOf('--');
    const own = dash >= 0 ? argv.slice(0, dash) : argv;
    const command = dash >= 0 ? argv.slice(dash + 1) : [];
    const { values } = parseCommandArgs('record', own, {
      container: { type: 'string', multiple: true },
      compose: { type: 'string', multiple: true },
      duration: { type: 'string' },
      out: { type: 'string' },
      title: { type: 'string' },
      synthetic: { type: 'string' },
    });
    if (!values.out) throw new UserInputError('No output file was given.', 'Add --out FILE.glasshouse.');
    if (dash >= 0 && !command.length) throw new UserInputError('Nothing follows --.', 'Put the command to run after --, or leave -- out.');
    const durationMs = values.duration ? parseDuration(values.duration) : undefined;
    const out = resolve(io.cwd, values.out);
    const ui = statusLine(io);

    let source: CaptureSource;
    let info: ContainerInfoProvider | undefined;
    let engine: Engine | undefined;
    let detach = () => {};
    const names = [...(values.container ?? []), ...(values.compose ?? [])];

    if (values.synthetic) {
      const n = Number(values.synthetic);
      if (!Number.isInteger(n) || n < 0) throw new UserInputError(`"${values.synthetic}" is not a number of events.`, 'Use e.g. --synthetic 100000.');
      source = new SyntheticSource({ events: n, seed: 1, startTs: Date.now() });
    } else {
      engine = new Engine({ endpointEnv: { env: io.env } });
      await engine.start();
      if (engine.connection.status.connection !== 'connected') {
        engine.stop();
        const e = engine.connection.status.error;
        throw e ? deserializeError(e) : new DockerUnavailableError('Docker is not reachable.', 'Is Docker running? Set DOCKER_HOST to use another engine.');
      }
      const docker = engine.connection.docker;
      info = {
        inspect: (id) => inspectContainer(docker, id).catch(() => undefined),
        diff: (id) => diffVia(docker as unknown as DiffCapableDocker, id),
      };
      // Until the live sensor (electron/node/sensor) lands, process starts come from `docker top` polling.
      const poller = new ProcessPollerSource((id) => listProcesses(docker, id));
      source = poller;
      const watched = new Set<string>();
      const wanted = (c: ContainerSummary) => {
        if (!names.length) return true;
        return !!(values.compose?.some((p) => c.composeProject === p)
          || values.container?.some((n) => c.name === n.replace(/^\//, '') || c.id.startsWith(n)));
      };
      const consider = (c: ContainerSummary) => {
        if (c.state !== 'running' || watched.has(c.id) || !wanted(c)) return;
        watched.add(c.id);
        poller.add(c.id);
        ui.line(`glasshouse: recording ${c.name} (${c.image})\n`);
      };
      const onDelta = (deltas: CatalogDelta[]) => {
        for (const d of deltas) {
          if (d.type === 'upsert') consider(d.container);
          else if (d.type === 'reset') d.snapshot.containers.forEach(consider);
        }
      };
      engine.catalog.on('delta', onDelta);
      engine.catalog.snapshot().containers.forEach(consider);
      // The catalog fills asynchronously: only complain if nothing matched after it had a moment.
      const warn = setTimeout(() => {
        if (names.length && !watched.size) ui.line(`glasshouse record: no running container matches ${names.join(', ')} yet; waiting for one to start.\n`);
      }, 1500);
      warn.unref();
      detach = () => engine?.catalog.off('delta', onDelta);
    }

    const store = RecordingStore.create(out, { title: values.title ?? (command.length ? command.join(' ') : undefined), source: source.description });
    store.setMeta('created_by_command', `glasshouse ${GLASSHOUSE_VERSION} record ${argv.join(' ')}`.slice(0, 2000));
    if (source instanceof ProcessPollerSource) {
      // Say in the file what this capture could not see, so no timeline looks complete when it is not.
      store.recordSensorStats({ ts: Date.now(), eventsByKind: {}, ringDrops: 0, queueDrops: 0, corruptFrames: 0, cpuUserMs: 0, cpuSysMs: 0,
        rssKb: 0, unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [] });
    }
    const recorder = new Recorder({ source, store, info });
    const startedAt = Date.now();
    await recorder.start();

    const progress = setInterval(() => {
      const secs = Math.round((Date.now() - startedAt) / 1000);
      ui.show(`recording ${secs}s · ${recorder.world.containers.size} container(s) · ${recorder.world.counters.events} events · ${fileSize(out)}`);
    }, 250);

    let childStatus: number | undefined;
    const stops: Array<Promise<string>> = [io.interrupted.then(() => 'interrupted'), recorder.done.then(() => 'ended')];
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
    if (source instanceof ProcessPollerSource && why !== 'ended') await source.flush();
    let summary: RecorderSummary;
    try {
      summary = await recorder.stop();
    } finally {
      clearInterval(progress);
      ui.done();
      detach();
      engine?.stop();
    }

    const secs = (summary.durationMs / 1000).toFixed(1);
    if (summary.error) {
      io.stderr.write(`glasshouse record: ${describeError(summary.error)}\n`);
    }
    io.stderr.write(`glasshouse record: ${summary.events} events from ${recorder.world.containers.size} container(s) in ${secs}s written to ${out} (${fileSize(out)})`
      + `${summary.sourceDropped + summary.sensorDrops ? `; ${summary.sourceDropped + summary.sensorDrops} events lost` : ''}${why === 'interrupted' ? '; stopped by Ctrl-C' : ''}.\n`);
    if (summary.error) return 1;
    return childStatus ?? 0;
  },
};
