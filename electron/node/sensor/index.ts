// The sensor: runs the eBPF helper (container or local root process), decodes its frames, attributes events
// to containers, restarts it when it dies (recording the gap), and turns every failure into a sentence.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { SensorError } from '../../common/ipc/errors';
import type { EventKind, ProcessSeed, RuntimeEvent, SensorGap, SensorStats } from '../../common/model/event';
import { EVENT_KINDS } from '../../common/model/event';
import { encodeAdmit, encodeHost, encodeKinds, encodePrefixes, encodeWatch } from '../../common/schema/control';
import { FrameDecoder, type CgroupNotice, type DecodedRecord, type HelperHello, type HelperLog, type HelperStats, type WatchedReply } from '../../common/schema/decoder';
import { containerIdentity, engineFacts } from '../docker/helper-container';
import { ContainerHelperRun, ensureHelperImage, helperCapabilities, LocalHelperRun, LocalSocketHelperRun, SocketClientHelperRun, type HelperRun } from './transport';
import { preflight, type PreflightReport } from './preflight';
import { defaultHelperBinary, GLASSHOUSE_VERSION } from '../version';

export type { PreflightReport } from './preflight';
/** The helper is built with Glasshouse's own version (make VERSION=…). */
export const HELPER_VERSION = GLASSHOUSE_VERSION;

export interface SensorOptions {
  mode: 'container' | 'local';
  /** The engine's Docker client: required in container mode, used in both modes to resolve container ids. */
  docker?: Dockerode;
  /** The static helper binary; default $GLASSHOUSE_HELPER or ./native/build/glasshouse-helper. */
  helperPath?: string;
  /** Kernel ring-buffer size (rounded up to a power of two); default 8 MiB. */
  ringBytes?: number;
  /** Also trace host processes (off by default: only watched containers). */
  host?: boolean;
  /**
   * Container mode channel: Docker's attach stream (default; works everywhere) or `socket`: a Unix socket in a
   * bind-mounted private directory, which bypasses dockerd's copy (its ceiling was ~110-160 k events/s here).
   * Used only on Linux when Glasshouse runs as root; otherwise the attach stream is used.
   */
  containerTransport?: 'attach' | 'socket';
  /** Local mode channel: the helper's stdio (default) or a private Unix socket. */
  localTransport?: 'stdio' | 'socket';
  /**
   * Local mode without spawning: connect to a helper already running as root on this Unix socket
   * (`sudo glasshouse helper run --socket PATH`); Glasshouse itself then needs no privileges.
   */
  socketPath?: string;
  /** Restarts allowed within one minute before the sensor gives up (default 5). */
  maxRestarts?: number;
}

/**
 * GLASSHOUSE_SENSOR → sensor mode: unset or `container` (the helper container, frames through Docker's attach
 * stream), `container:socket` (the helper container, frames through a bind-mounted socket: Linux, engine as
 * root), `local` (spawn the helper as a root child process), `socket:PATH` (connect to `glasshouse helper run
 * --socket PATH`, started as root).
 */
export function sensorModeFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<SensorOptions, 'mode' | 'socketPath' | 'containerTransport'> {
  const v = env.GLASSHOUSE_SENSOR ?? '';
  if (v === 'container:socket') return { mode: 'container', containerTransport: 'socket' };
  if (v.startsWith('socket:')) {
    const socketPath = v.slice('socket:'.length);
    if (!socketPath.startsWith('/')) {
      throw new SensorError(`GLASSHOUSE_SENSOR=${v} needs an absolute socket path.`, 'Use GLASSHOUSE_SENSOR=socket:/run/glasshouse/helper.sock (the path given to `glasshouse helper run --socket`).');
    }
    return { mode: 'local', socketPath };
  }
  return { mode: v === 'local' ? 'local' : 'container' };
}

/** $GLASSHOUSE_HELPER, else this installation's native/build/glasshouse-helper (one rule: node/version.ts). */
export function defaultHelperPath(): string {
  return defaultHelperBinary();
}

const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * Where engines put a container's cgroup (cgroup v2 paths from the root), each followed by the 64-hex id:
 * Docker's cgroupfs driver (/docker/<id>) and systemd driver (/system.slice/docker-<id>.scope), Podman's
 * systemd (/machine.slice/libpod-<id>.scope) and cgroupfs (/libpod_parent/libpod-<id>) managers. A container
 * run with its own --cgroup-parent is watched from the engine's start event instead.
 */
export const CONTAINER_CGROUP_PREFIXES = ['/docker/', '/system.slice/docker-', '/machine.slice/libpod-', '/libpod_parent/libpod-'] as const;

interface PendingWatch {
  resolve(r: WatchedReply): void;
  timer: NodeJS.Timeout;
}

/**
 * Events: 'events' (RuntimeEvent[]), 'seed' (ProcessSeed[]), 'stats' (SensorStats, cumulative for this
 * sensor across helper restarts), 'gap' (SensorGap), 'log' (HelperLog), 'admitted' (CgroupNotice: a new
 * container the kernel traces from its cgroup's creation), 'error' (SensorError with a user-facing sentence;
 * only emitted when someone listens).
 */
export class Sensor extends EventEmitter {
  static async preflight(opts: SensorOptions): Promise<PreflightReport> {
    if (opts.mode === 'local' && opts.socketPath) {
      // the root helper checked itself when `glasshouse helper run` started it; here: is it listening?
      const report: PreflightReport = { ok: false, mode: 'local', capabilities: [], unsupportedKinds: [], sentences: [] };
      try {
        const run = await SocketClientHelperRun.connect(opts.socketPath, 1000);
        await run.stop();
        report.ok = true;
      } catch (e) {
        report.sentences.push(`No sensor helper is listening on ${opts.socketPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): start it as root with \`sudo glasshouse helper run --socket ${opts.socketPath}\`, or unset GLASSHOUSE_SENSOR to use the helper container.`);
      }
      return report;
    }
    return preflight(opts, opts.helperPath ?? defaultHelperPath(), HELPER_VERSION);
  }

  private run: HelperRun | undefined;
  private readonly decoder = new FrameDecoder();
  private readonly watches = new Map<string, number>(); // full id → pid
  private kinds: EventKind[] = [...EVENT_KINDS];
  private prefixes: string[] = [];
  private admitPrefixes: string[] = [];
  private running = false;
  private stopping = false;
  private restarts: number[] = [];
  private helloWaiter: ((h: HelperHello) => void) | undefined;
  private readonly pendingWatch = new Map<string, PendingWatch[]>();
  private gapFrom: number | undefined;
  private gapReason = '';
  private readonly gaps: SensorGap[] = [];
  private prior = { eventsByKind: {} as Partial<Record<EventKind, number>>, ringDrops: 0, queueDrops: 0, cpuUserMs: 0, cpuSysMs: 0 };
  private current: HelperStats | undefined;
  /** Events decoded from the current run, per kind: a killed helper's last counters may predate them. */
  private runDecoded: Partial<Record<EventKind, number>> = {};
  private lastHello: HelperHello | undefined;
  readonly logs: HelperLog[] = [];
  private deferredErrors: SensorError[] = [];
  private readonly otherScratch: DecodedRecord[] = [];

  constructor(private readonly opts: SensorOptions) {
    super();
  }

  /** The running helper (tests kill it to prove restarts). */
  get helper(): HelperRun | undefined {
    return this.run;
  }

  get hello(): HelperHello | undefined {
    return this.lastHello;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    await this.launch();
    this.running = true;
    for (const e of this.deferredErrors.splice(0)) this.fail(e);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    const run = this.run;
    this.run = undefined;
    if (run) await run.stop();
    for (const list of this.pendingWatch.values()) for (const p of list) clearTimeout(p.timer);
    this.pendingWatch.clear();
  }

  /**
   * Watches a container (id, short id or name). Before start() it only records the wish and never rejects
   * (callers may not await it); a failure then surfaces as an 'error' event when the sensor starts.
   */
  async watchContainer(idOrName: string): Promise<void> {
    if (!this.run) {
      try {
        const { id, pid } = await this.identity(idOrName);
        this.watches.set(id, pid);
      } catch (e) {
        this.deferredErrors.push(e as SensorError);
      }
      return; // applied when the helper starts
    }
    const { id, pid } = await this.identity(idOrName);
    this.watches.set(id, pid);
    const reply = await this.request(id, encodeWatch(id, pid));
    if (reply.status !== 0) {
      this.watches.delete(id);
      throw new SensorError(
        `The sensor could not find the cgroup of container ${id.slice(0, 12)}, so it is not watched (nothing is traced in its place).`,
        'Is the container running? The helper needs the host cgroup hierarchy (/sys/fs/cgroup) and the host PID namespace.',
      );
    }
  }

  async unwatchContainer(idOrName: string): Promise<void> {
    const id = FULL_ID.test(idOrName) ? idOrName : [...this.watches.keys()].find((k) => k.startsWith(idOrName)) ?? idOrName;
    const pid = this.watches.get(id) ?? 0;
    this.watches.delete(id);
    if (this.run) await this.request(id, encodeWatch(id, pid, true));
  }

  enableKinds(kinds: EventKind[]): void {
    this.kinds = [...kinds];
    this.send(encodeKinds(this.kinds));
  }

  setSensitivePrefixes(p: string[]): void {
    const bytes = encodePrefixes(p); // throws a sentence on bad input, before changing anything
    this.prefixes = [...p];
    this.send(bytes);
  }

  /**
   * Traces every new container from its cgroup's creation (runc init, the entrypoint's first exec), before the
   * engine hears of it: the kernel admits cgroups created as <prefix><64-hex id> and the sensor emits 'admitted'.
   * Whoever admits must decide each one: watchContainer() to keep it, unwatchContainer() to let it go.
   */
  admitNewContainers(prefixes: readonly string[] = CONTAINER_CGROUP_PREFIXES): void {
    const bytes = encodeAdmit(prefixes);
    this.admitPrefixes = [...prefixes];
    this.send(bytes);
  }

  /** Cumulative counters for this sensor (all helper runs), with the decoder's corrupt-frame count. */
  get stats(): SensorStats {
    const c = this.current;
    const eventsByKind: Partial<Record<EventKind, number>> = { ...this.prior.eventsByKind };
    for (const [k, n] of Object.entries(c?.eventsByKind ?? {})) eventsByKind[k as EventKind] = (eventsByKind[k as EventKind] ?? 0) + (n ?? 0);
    return {
      ts: c?.ts ?? Date.now(),
      eventsByKind,
      ringDrops: this.prior.ringDrops + (c?.ringDrops ?? 0),
      queueDrops: this.prior.queueDrops + (c?.queueDrops ?? 0), // helper queue drops also show as seq gaps (decoderStats.lostFrames)
      corruptFrames: this.decoder.corruptFrames,
      cpuUserMs: this.prior.cpuUserMs + (c?.cpuUserMs ?? 0),
      cpuSysMs: this.prior.cpuSysMs + (c?.cpuSysMs ?? 0),
      rssKb: c?.rssKb ?? 0,
      unsupportedKinds: c?.unsupportedKinds ?? this.lastHello?.unsupportedKinds ?? [],
      gaps: this.gaps.map((g) => [g.from, g.to] as [number, number]),
    };
  }

  /** What the decoder saw on the stream: corrupt frames skipped, frames missing by sequence number. */
  get decoderStats(): { corruptFrames: number; lostFrames: number; unknownFrames: number } {
    return { corruptFrames: this.decoder.corruptFrames, lostFrames: this.decoder.lostFrames, unknownFrames: this.decoder.unknownFrames };
  }

  /** Raw counters of the current helper run. */
  get helperStats(): HelperStats | undefined {
    return this.current;
  }

  // ---- internals ----

  private async identity(idOrName: string): Promise<{ id: string; pid: number }> {
    if (this.opts.docker) {
      try {
        const r = await containerIdentity(this.opts.docker, idOrName);
        return { id: r.id, pid: r.pid };
      } catch (e) {
        throw new SensorError(`Container ${idOrName} was not found by the Docker engine, so it cannot be watched.`, (e as Error).message);
      }
    }
    if (!FULL_ID.test(idOrName)) throw new SensorError(`Container id "${idOrName}" must be the full 64-hex id when the sensor has no Docker client.`);
    return { id: idOrName, pid: 0 };
  }

  private args(): string[] {
    const a: string[] = [];
    if (this.opts.ringBytes) a.push('--ring-bytes', String(this.opts.ringBytes));
    if (this.opts.host) a.push('--host');
    return a;
  }

  private helperPath(): string {
    const p = this.opts.helperPath ?? defaultHelperPath();
    if (!existsSync(p)) {
      throw new SensorError(`The sensor helper binary was not found at ${p}.`, 'Build it with `make -C native` (needs clang, llvm, libbpf-dev, bpftool, libelf-dev, zlib1g-dev) or set GLASSHOUSE_HELPER.');
    }
    return p;
  }

  private async launch(): Promise<void> {
    let run: HelperRun;
    if (this.opts.mode === 'local' && this.opts.socketPath) {
      const sock = this.opts.socketPath;
      try {
        run = await SocketClientHelperRun.connect(sock);
      } catch (e) {
        throw new SensorError(`No sensor helper is listening on ${sock} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
          `Start it as root with \`sudo glasshouse helper run --socket ${sock}\`, or unset GLASSHOUSE_SENSOR to use the helper container.`);
      }
      this.attach(run);
      await this.configure(run);
      return;
    }
    const path = this.helperPath();
    if (this.opts.mode === 'container') {
      const docker = this.opts.docker;
      if (!docker) throw new SensorError('Container mode needs the engine\'s Docker client (SensorOptions.docker).');
      const facts = await engineFacts(docker);
      if (facts.rootless) {
        throw new SensorError('This Docker engine runs rootless, so it cannot give the helper the kernel privileges eBPF needs.', 'Use a rootful engine, or run the sensor in local mode as root.');
      }
      if (facts.enhancedIsolation) {
        throw new SensorError('Docker Desktop Enhanced Container Isolation forbids the helper container (no eBPF, no host PID namespace).', 'Turn off Enhanced Container Isolation in Docker Desktop settings, or ask your administrator to allow it for this machine.');
      }
      const image = await ensureHelperImage(docker, path, HELPER_VERSION);
      try {
        const viaSocket = this.opts.containerTransport === 'socket' && process.platform === 'linux' && process.getuid?.() === 0;
        run = await ContainerHelperRun.start(docker, image.tag, this.args(), helperCapabilities(facts.knowsBpfCap), viaSocket);
      } catch (e) {
        throw new SensorError(`The Docker engine refused to start the helper container: ${(e as Error).message}`, 'Run `glasshouse preflight` for details.');
      }
    } else {
      if (typeof process.getuid === 'function' && process.getuid() !== 0) {
        throw new SensorError('Local mode runs the helper as a root process, but Glasshouse is not running as root.', 'Run it with sudo, or use container mode.');
      }
      if (this.opts.localTransport === 'socket') {
        try {
          run = await LocalSocketHelperRun.start(path, this.args());
        } catch (e) {
          throw new SensorError(`The sensor helper did not open its socket: ${(e as Error).message}`);
        }
      } else {
        run = new LocalHelperRun(path, this.args());
      }
    }
    this.attach(run);
    await this.configure(run);
  }

  /** After HELLO: (re-)applies what the engine asked for, on the first start and after every restart. */
  private async configure(run: HelperRun): Promise<void> {
    const hello = await this.waitHello(run, 30_000);
    this.lastHello = hello;
    // re-apply what the engine asked for (first start or restart)
    this.send(encodeKinds(this.kinds));
    if (this.prefixes.length) this.send(encodePrefixes(this.prefixes));
    if (this.admitPrefixes.length) this.send(encodeAdmit(this.admitPrefixes));
    if (this.opts.host) this.send(encodeHost(true));
    const failures: string[] = [];
    await Promise.all([...this.watches].map(async ([id, pid]) => {
      const r = await this.request(id, encodeWatch(id, pid)).catch(() => undefined);
      if (!r || r.status !== 0) failures.push(id);
    }));
    for (const id of failures) {
      this.watches.delete(id);
      this.fail(new SensorError(`The sensor could not find the cgroup of container ${id.slice(0, 12)}, so it is not watched.`));
    }
  }

  private attach(run: HelperRun): void {
    this.run = run;
    this.decoder.resetStream();
    this.runDecoded = {};
    run.stdout.on('data', (chunk: Buffer) => this.onData(chunk, run));
    run.once('exit', (code: number | undefined) => void this.onExit(run, code));
  }

  private waitHello(run: HelperRun, ms: number): Promise<HelperHello> {
    return new Promise((resolveHello, reject) => {
      const onExit = (code: number | undefined) => {
        clearTimeout(timer);
        this.helloWaiter = undefined;
        reject(this.explainExit(run, code));
      };
      const timer = setTimeout(() => {
        run.off('exit', onExit);
        this.helloWaiter = undefined;
        void run.kill();
        reject(new SensorError(`The sensor helper did not start within ${ms / 1000} s.`, run.stderrTail().trim() || undefined));
      }, ms);
      run.once('exit', onExit);
      this.helloWaiter = (h) => {
        clearTimeout(timer);
        run.off('exit', onExit);
        this.helloWaiter = undefined;
        resolveHello(h);
      };
    });
  }

  private explainExit(run: HelperRun, code: number | undefined): SensorError {
    const why = this.logs.filter((l) => l.level === 'error').map((l) => l.message).pop() ?? run.stderrTail().trim().split('\n').pop() ?? '';
    return new SensorError(`The sensor helper (${run.label}) exited${code !== undefined ? ` with code ${code}` : ''} before it was ready${why ? `: ${why}` : '.'}`, 'Run the preflight for a full report.');
  }

  private onData(chunk: Buffer, run: HelperRun): void {
    const events: RuntimeEvent[] = [];
    const other = this.otherScratch;
    other.length = 0;
    this.decoder.pushInto(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), events, other);
    let seeds: ProcessSeed[] | undefined;
    let admitted: CgroupNotice[] | undefined;
    const counts = this.runDecoded;
    for (let i = 0; i < events.length; i++) {
      const k = events[i].kind;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const r of other) {
      switch (r.type) {
        case 'event': // not produced when an events array is given
          break;
        case 'bye':
          run.markEnded();
          break;
        case 'seed':
          (seeds ??= []).push(r.seed);
          break;
        case 'stats':
          this.current = r.stats;
          this.emit('stats', this.stats);
          break;
        case 'hello':
          this.onHello(r.hello);
          break;
        case 'watched': {
          const list = this.pendingWatch.get(r.watched.containerId);
          const p = list?.shift();
          if (p) {
            clearTimeout(p.timer);
            p.resolve(r.watched);
          }
          break;
        }
        case 'cgroup':
          if (r.cgroup.event === 'admitted' && r.cgroup.containerId) (admitted ??= []).push(r.cgroup);
          break;
        case 'log':
          this.logs.push(r.log);
          if (this.logs.length > 200) this.logs.shift();
          this.emit('log', r.log);
          break;
      }
    }
    if (seeds) this.emit('seed', seeds);
    // before the events of this chunk: whoever holds a new container's events must know it was admitted first
    if (admitted) for (const a of admitted) this.emit('admitted', a);
    if (events.length) this.emit('events', events);
  }

  private onHello(h: HelperHello): void {
    if (this.gapFrom !== undefined) {
      const gap: SensorGap = { from: this.gapFrom, to: Date.now(), reason: this.gapReason };
      this.gapFrom = undefined;
      this.gaps.push(gap);
      this.emit('gap', gap);
    }
    this.helloWaiter?.(h);
  }

  private async onExit(run: HelperRun, code: number | undefined): Promise<void> {
    if (this.run !== run || this.stopping) return;
    // bank the dead run's counters so the totals never go backwards
    const c = this.current;
    for (const k of EVENT_KINDS) {
      const n = Math.max(c?.eventsByKind[k] ?? 0, this.runDecoded[k] ?? 0);
      if (n) this.prior.eventsByKind[k] = (this.prior.eventsByKind[k] ?? 0) + n;
    }
    if (c) {
      this.prior.ringDrops += c.ringDrops;
      this.prior.queueDrops += c.queueDrops;
      this.prior.cpuUserMs += c.cpuUserMs;
      this.prior.cpuSysMs += c.cpuSysMs;
    }
    this.current = undefined;
    this.run = undefined;
    this.gapFrom ??= Date.now();
    this.gapReason = `sensor helper exited${code !== undefined ? ` with code ${code}` : ''}; restarted`;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    const max = this.opts.maxRestarts ?? 5;
    while (!this.stopping && this.restarts.length < max) {
      this.restarts.push(Date.now());
      await new Promise((r) => setTimeout(r, 200 * 2 ** (this.restarts.length - 1)));
      if (this.stopping) return;
      try {
        await this.launch();
        return;
      } catch (e) {
        this.gapReason = `sensor helper exited and restarting failed: ${(e as Error).message}`;
      }
    }
    if (!this.stopping) {
      this.running = false;
      this.fail(new SensorError(`The sensor helper stopped and could not be restarted (${max} attempts in a minute); events after ${new Date(this.gapFrom).toISOString()} are missing.`, run.stderrTail().trim() || undefined));
    }
  }

  private request(id: string, frame: Uint8Array): Promise<WatchedReply> {
    return new Promise((resolveReply, reject) => {
      const list = this.pendingWatch.get(id) ?? [];
      const p: PendingWatch = {
        resolve: resolveReply,
        timer: setTimeout(() => {
          const l = this.pendingWatch.get(id);
          if (l) l.splice(l.indexOf(p), 1);
          reject(new SensorError(`The sensor helper did not answer a watch request for container ${id.slice(0, 12)} within 10 s.`));
        }, 10_000),
      };
      list.push(p);
      this.pendingWatch.set(id, list);
      this.send(frame);
    });
  }

  private send(frame: Uint8Array): void {
    this.run?.stdin.write(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  private fail(err: SensorError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
