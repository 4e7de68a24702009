// Composition root: one engine per process, wiring Docker → catalog (→ capture → state → rules → store) → API.
import { EventEmitter } from 'node:events';
import type Dockerode from 'dockerode';
import type { CatalogDelta, EngineEvents, EngineHandlers, EventName, SessionStatus } from '../common/ipc/contract';
import { DockerConnection } from './docker/connection';
import { ContainerCatalog } from './docker/catalog';
import { inspectContainer, listProcesses, previewFile, tailLogs } from './docker/containers';
import type { EndpointEnv } from './docker/endpoint';
import { dockerInfoProvider } from './docker/info';
import { fileJournal, isolateContainer, isolationOf, restartClean, simpleAction, unisolateContainer, type ActionJournal } from './docker/actions';
import { snapshotContainer, type RecordingSliceProvider } from './docker/snapshot';
import { TerminalManager } from './docker/exec';
import { LogFollowers } from './docker/logs';
import { CaptureSession, type SensorFactory } from './session';
import { securePrivateDir } from './privateFiles';
import { Sensor, sensorModeFromEnv } from './sensor/index';
import { PermissionDeniedError, SensorError, UserInputError } from '../common/ipc/errors';
import { cachedRuleEngine, writeExpectation } from './rules/files';
import type { RuleSource } from '../common/rules';
import { RecentRecordings } from './store/recent';
import { postureOf } from '../common/detect/detector';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import { realpathSync, statSync } from 'node:fs';
import { createExportHandlers } from './export/app';
import { KeychainSecretStore, type SecretStore } from './export/secrets';

import { defaultHelperBinary, GLASSHOUSE_VERSION } from './version';
export { GLASSHOUSE_VERSION };

export interface EngineOptions {
  endpointEnv?: EndpointEnv;
  /** Where recordings, recent lists and user rule files live. */
  dataDir?: string;
  /** How to start the runtime sensor; default: the eBPF helper (see helperSensor). */
  sensor?: SensorFactory;
  /** The static helper binary (packaged apps pass their resources path). */
  helperPath?: string;
  /** Rule files loaded after the built-in pack and the user's rules folder (`glasshouse scan --rules FILE`). */
  extraRules?: RuleSource[];
  /**
   * Where tracker tokens typed into the app are kept: Electron main passes its safeStorage store; without one the
   * OS keychain (secret-tool) is used when present. Tokens in the environment are always read first.
   */
  secrets?: { store?: SecretStore; note?: string };
}

/** The OS keychain when this machine has one; otherwise none, with the reason. */
function defaultSecretStore(): { store?: SecretStore; note?: string } {
  try {
    return { store: KeychainSecretStore.open(process.env) };
  } catch (e) {
    return { note: (e as Error).message };
  }
}

/**
 * The eBPF helper as the session's sensor. Container mode by default: it is the one mode that also reaches
 * containers inside Docker Desktop's VM; GLASSHOUSE_SENSOR=local runs it as a local root process on Linux, and
 * GLASSHOUSE_SENSOR=socket:PATH connects to `sudo glasshouse helper run --socket PATH` (see sensorModeFromEnv).
 * When the helper cannot start, the preflight explains why: a SensorError whose sentences say what is blocked and what to do.
 */
export function helperSensor(docker: () => Dockerode, helperPath?: string, env: NodeJS.ProcessEnv = process.env): SensorFactory {
  return async () => {
    const opts = { ...sensorModeFromEnv(env), docker: docker(), ...(helperPath ? { helperPath } : {}) };
    // Start the helper straight away (~1.5 s) and run the preflight (a throwaway helper container, ~4.5 s, most of
    // it the kernel detaching its hooks at exit) only to explain a failure: it checked nothing the start does not.
    const sensor = new Sensor(opts);
    try {
      await sensor.start();
      return sensor;
    } catch (err) {
      await Promise.resolve(sensor.stop()).catch(() => undefined);
      const report = await Sensor.preflight(opts);
      const sentences = report.ok ? [(err as Error).message] : report.sentences.length ? report.sentences : ['The sensor cannot run on this machine.'];
      const [first, ...rest] = sentences;
      throw Object.assign(new SensorError(first, rest.join(' ') || undefined), { preflight: sentences });
    }
  };
}

/** The helper binary: found one way, in ./version. */
export { defaultHelperBinary };

/**
 * The path a page asked to open, if it is one the engine itself knows: inside the recordings folder (symlinks
 * resolved, so a link cannot lead out) or exactly a recent-list entry. Anything else is refused with a sentence: a
 * page that could name any path would learn which files exist and could make the engine parse any file.
 */
export function allowedRecordingPath(path: string, recordingsDir: string, recentPaths: readonly string[]): string {
  if (recentPaths.includes(path)) return path;
  let real: string | undefined, root: string | undefined;
  try { real = realpathSync(path); } catch { real = undefined; }
  try { root = realpathSync(recordingsDir); } catch { root = undefined; }
  if (real && root && (real === root || real.startsWith(`${root}${sep}`)) && statSync(real).isFile()) return real;
  throw new PermissionDeniedError(`Glasshouse opens recordings from its recordings folder (${recordingsDir}) or its recent list, not ${path}.`,
    'Copy the file into that folder and pick it from the list, open it with the desktop app\'s Open dialog, or render it with `glasshouse report FILE`.');
}

/** ~/.config/glasshouse (or $XDG_CONFIG_HOME/glasshouse): recordings, recent list, the user's rule files. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLASSHOUSE_DATA_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'glasshouse');
}

export type EngineEventListener = <E extends EventName>(event: E, payload: EngineEvents[E]) => void;

export class Engine {
  readonly connection: DockerConnection;
  readonly catalog: ContainerCatalog;
  readonly handlers: EngineHandlers;
  readonly session: CaptureSession;
  readonly dataDir: string;
  private readonly bus = new EventEmitter();
  readonly terminals: TerminalManager;
  readonly logFollowers: LogFollowers;
  /** Set by whoever owns the active recording: response actions are journaled there and snapshots take its slice. */
  readonly response: { journal?: ActionJournal; recordingSlice?: RecordingSliceProvider } = {};
  private readonly recent: RecentRecordings;

  constructor(readonly options: EngineOptions = {}) {
    this.bus.setMaxListeners(0);
    this.connection = new DockerConnection({ endpointEnv: options.endpointEnv, version: GLASSHOUSE_VERSION });
    this.catalog = new ContainerCatalog(this.connection);
    this.connection.on('status', (s) => this.publish('engine.status', s));
    this.catalog.on('delta', (d) => this.publish('catalog.delta', d));

    const docker = () => this.connection.docker;
    this.dataDir = options.dataDir ?? defaultDataDir();
    for (const p of securePrivateDir(this.dataDir)) process.stderr.write(`glasshouse: ${p}; recordings there may be readable by other users.\n`);
    const recent = (this.recent = new RecentRecordings(this.dataDir));
    const rules = cachedRuleEngine(this.dataDir, process.env, options.extraRules);
    this.session = new CaptureSession({
      info: () => dockerInfoProvider(docker()),
      containers: () => this.catalog.snapshot().containers,
      onContainers: (listener) => {
        const onDelta = (deltas: CatalogDelta[]) => {
          for (const d of deltas) {
            if (d.type === 'upsert') listener(d.container);
            else if (d.type === 'reset') d.snapshot.containers.forEach(listener);
          }
        };
        this.catalog.on('delta', onDelta);
        return () => this.catalog.off('delta', onDelta);
      },
      sensor: options.sensor ?? helperSensor(docker, options.helperPath ?? defaultHelperBinary()),
      rules,
      dataDir: this.dataDir,
      publishStatus: (s) => {
        this.publish('session.status', s);
        if ((s.state === 'stopped' || s.state === 'error') && s.source === 'live' && s.recordingPath) {
          recent.add({ path: s.recordingPath, title: 'Live capture', events: s.events, containers: s.containers });
        }
      },
    });
    this.terminals = new TerminalManager(docker, {
      output: (o) => this.publish('terminal.output', o),
      exit: (e) => this.publish('terminal.exit', e),
    });
    this.logFollowers = new LogFollowers(docker, (l) => this.publish('logs.lines', l));
    // Actions taken while recording are kept in the recording; snapshots carry the container's slice of it.
    this.response.journal = (e) => this.session.journalAction(e);
    this.response.recordingSlice = (id, dest) => this.session.sliceTo(id, dest);
    const actionLog = fileJournal(this.dataDir);
    const actionCtx = () => ({
      docker: docker(), dataDir: this.dataDir,
      journal: (async (e) => { await actionLog(e); await this.response.journal?.(e); }) as ActionJournal,
    });
    const secrets = options.secrets ?? defaultSecretStore();
    const exportHandlers = createExportHandlers({
      session: this.session, dataDir: this.dataDir, toolVersion: GLASSHOUSE_VERSION, env: process.env,
      store: secrets.store, storeNote: secrets.note, publish: (p) => this.publish('tickets.progress', p),
    });
    this.handlers = {
      ...exportHandlers,
      'engine.status': async () => this.connection.status,
      'catalog.snapshot': async () => this.catalog.snapshot(),
      'container.inspect': async ({ id }) => inspectContainer(docker(), id),
      'container.processes': async ({ id }) => listProcesses(docker(), id),
      'container.logs': async ({ id, tail }) => tailLogs(docker(), id, tail),
      'container.posture': async ({ id }) => postureOf(rules(), await inspectContainer(docker(), id)),
      'file.preview': async ({ id, path }) => previewFile(docker(), id, path),
      'session.status': async () => this.session.status,
      'capture.start': async ({ containers, record }) => this.session.startLive({ containers }, record ?? true),
      'capture.stop': async () => this.session.stop(),
      'recording.open': async (params) => {
        if (!('path' in params)) {
          throw new UserInputError('This window has no Open dialog.', 'Copy the recording into Glasshouse\'s recordings folder and pick it from the list, or open it in the desktop app.');
        }
        return this.openRecordingFile(allowedRecordingPath(params.path, join(this.dataDir, 'recordings'), recent.list().map((r) => r.path)));
      },
      'recording.recent': async () => recent.list().map((r) => {
        let bytes: number | undefined;
        try {
          bytes = statSync(r.path).size;
        } catch {
          bytes = undefined; // moved or deleted since: shown as missing
        }
        return { ...r, bytes };
      }),
      'live.subscribe': async (params) => ({ subId: this.session.subscribe(params, (frame) => this.publish('live.frame', frame)) }),
      'live.unsubscribe': async ({ subId }) => {
        this.session.unsubscribe(subId);
        return {};
      },
      'events.query': async (q) => this.session.queryEvents(q),
      'findings.list': async ({ containerId }) => this.session.findings(containerId),
      'finding.setStatus': async ({ fingerprint, status, scope }) => {
        const finding = this.session.setFindingStatus(fingerprint, status);
        // "Expected" with a scope is remembered as a Falco exception in a rules file the user owns and can edit.
        if (status === 'expected' && scope) writeExpectation(this.dataDir, finding, scope);
        return finding;
      },
      'terminal.open': async ({ id, shell, cols, rows }) => this.terminals.open(id, { shell, cols, rows }),
      'terminal.input': async ({ terminalId, data }) => { this.terminals.input(terminalId, data); return {}; },
      'terminal.resize': async ({ terminalId, cols, rows }) => { await this.terminals.resize(terminalId, cols, rows); return {}; },
      'terminal.close': async ({ terminalId }) => { this.terminals.close(terminalId); return {}; },
      'terminal.list': async () => this.terminals.list(),
      'terminal.attach': async ({ terminalId }) => this.terminals.attach(terminalId),
      'logs.follow': async ({ id, since }) => this.logFollowers.follow(id, since),
      'logs.unfollow': async ({ followId }) => { this.logFollowers.unfollow(followId); return {}; },
      'container.action': async ({ id, action, removeOld }) => {
        if (action === 'isolate') return isolateContainer(actionCtx(), id);
        if (action === 'unisolate') return unisolateContainer(actionCtx(), id);
        if (action === 'restart-clean') return restartClean(actionCtx(), id, { removeOld });
        return simpleAction(actionCtx(), id, action);
      },
      'container.isolation': async ({ id }) => (await isolationOf(actionCtx(), id)) ?? null,
      'container.snapshot': async ({ id, actionId }) => {
        const ctx = actionCtx();
        const progressId = actionId ?? `snap-${Date.now().toString(36)}`;
        const dir = join(this.dataDir, 'snapshots', `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        try {
          return await snapshotContainer(ctx.docker, id, {
            outDir: dir, journal: ctx.journal, recordingSlice: this.response.recordingSlice,
            onProgress: (p) => this.publish('action.progress', { actionId: progressId, containerId: id, action: 'snapshot', ...p, done: p.fraction >= 1 }),
          });
        } catch (err) {
          this.publish('action.progress', { actionId: progressId, containerId: id, action: 'snapshot', step: 'failed', fraction: 1, message: (err as Error).message, done: true, error: (err as Error).message });
          throw err;
        }
      },
    };
  }

  /**
   * Opens a recording the user chose (a path from the desktop app's own Open dialog, never from a page) and puts it
   * on the recent list, from where the page may open it again.
   */
  async openRecordingFile(path: string): Promise<SessionStatus> {
    const status = await this.session.openRecording(path);
    this.recent.add({ path, title: 'Opened recording' });
    return status;
  }

  /** Connects to Docker; resolves after the first attempt, whether or not it succeeded (it retries by itself). */
  start(): Promise<void> {
    return this.connection.start();
  }

  stop(): void {
    this.terminals.closeAll();
    this.logFollowers.closeAll();
    void this.session.stop();
    this.catalog.close();
    this.connection.stop();
  }

  /** Subscribes to every engine event; returns the unsubscribe function. */
  onEvent(listener: EngineEventListener): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }

  publish<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    this.bus.emit('event', event, payload);
  }
}
