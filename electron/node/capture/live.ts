// The live sensor as a capture source: a bounded queue between the helper's stream and the consumer.
import type { RuntimeEvent, SensorStats } from '../../common/model/event';
import { SensorError } from '../../common/ipc/errors';
import type { ProcessSeed } from '../../common/state/processTable';
import type { ProcessSeed as SensorSeed } from '../../common/model/event';
import { BaseSource, yieldToLoop, type CaptureSourceKind, type CaptureStats } from './source';

/** Events handed to the consumer between two turns of the event loop while it works off a backlog. */
const YIELD_EVERY_EVENTS = 8192;

/**
 * The part of electron/node/sensor's `Sensor` this source uses, typed structurally so that capture does not
 * depend on how the sensor is built or started.
 */
export interface SensorLike {
  on(event: 'events', listener: (events: RuntimeEvent[]) => void): unknown;
  on(event: 'stats', listener: (stats: SensorStats) => void): unknown;
  on(event: 'gap', listener: (gap: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'seed', listener: (seeds: SensorSeed[]) => void): unknown;
  /** A new container traced from its cgroup's creation (Sensor.admitNewContainers). */
  on(event: 'admitted', listener: (n: { containerId: string; ts: number }) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter.off takes any listener
  off?(event: string, listener: (...args: any[]) => void): unknown;
  start(): Promise<unknown> | unknown;
  stop(): Promise<unknown> | unknown;
  watchContainer?(id: string): Promise<unknown> | unknown;
}

export interface LiveSourceOptions {
  /** Watch only these containers (full ids); all containers when empty. */
  containers?: string[];
  /**
   * Holds events of containers admitted at their cgroup's creation until the engine knows who they are (see
   * ./admission.ts); released events come back through `inject`. Its overflow counts as dropped.
   */
  admission?: { filter(events: RuntimeEvent[]): RuntimeEvent[]; flush(): void; readonly stats: { overflow: number } };
  /** Events held for a slow consumer before new ones are dropped (and counted). */
  maxQueuedEvents?: number;
}

function asGap(g: unknown): [number, number] | undefined {
  if (Array.isArray(g) && g.length >= 2) return [Number(g[0]), Number(g[1])];
  if (g && typeof g === 'object') {
    const o = g as Record<string, unknown>;
    const start = Number(o.start ?? o.from ?? o[0]);
    const end = Number(o.end ?? o.to ?? o[1]);
    if (Number.isFinite(start) && Number.isFinite(end)) return [start, end];
  }
  return undefined;
}

export class LiveSource extends BaseSource {
  readonly kind: CaptureSourceKind = 'live';
  readonly description = 'live sensor';
  private queue: RuntimeEvent[][] = [];
  private queued = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private sensorStopped = false;
  private seeds: ProcessSeed[] = [];
  private readonly maxQueued: number;

  constructor(private readonly sensor: SensorLike, private readonly opts: LiveSourceOptions = {}) {
    super();
    this.maxQueued = opts.maxQueuedEvents ?? 1_000_000;
  }

  async start(): Promise<void> {
    // The sensor's emit path must never wait for us: it only appends to the queue or counts a drop.
    this.sensor.on('events', (events) => {
      if (this.sensorStopped || events.length === 0) return;
      this.inject(this.opts.admission ? this.opts.admission.filter(events) : events);
    });
    this.sensor.on('stats', (s) => {
      this.counters.sensor = s;
    });
    this.sensor.on('gap', (g) => {
      const gap = asGap(g);
      if (!gap) return;
      this.counters.gaps.push(gap);
      const reason = g && typeof g === 'object' && typeof (g as { reason?: unknown }).reason === 'string' ? (g as { reason: string }).reason : '';
      (this.counters.gapReasons ??= []).push(reason);
    });
    this.sensor.on('error', (err) => {
      this.failure = err instanceof Error ? err : new SensorError(String(err));
      this.signal();
    });
    this.sensor.on('seed', (seeds) => {
      // The sensor reports /proc start times as startTs; the process table keys processes by start.
      for (const x of seeds) {
        this.seeds.push({ tgid: x.tgid, ppid: x.ppid, exe: x.exe, argv: x.argv, cwd: x.cwd, uid: x.uid, comm: x.comm, start: x.startTs ?? x.ts, containerId: x.containerId });
      }
    });
    await this.sensor.start();
    for (const id of this.opts.containers ?? []) await this.sensor.watchContainer?.(id);
  }

  async *batches(): AsyncIterable<RuntimeEvent[]> {
    let sinceYield = 0;
    for (;;) {
      while (this.queue.length) {
        const batch = this.queue.shift()!;
        this.queued -= batch.length;
        this.count(batch);
        yield batch;
        // Working off a backlog is a chain of microtasks: let the event loop in now and then, so the helper's
        // stream keeps being read (its queue is small and would drop) and timers (store flushes, UI frames) run.
        sinceYield += batch.length;
        if (sinceYield >= YIELD_EVERY_EVENTS && this.queue.length) {
          sinceYield = 0;
          await yieldToLoop();
        }
      }
      sinceYield = 0;
      if (this.failure) {
        this.end({ reason: 'error', error: this.failure });
        return;
      }
      if (this.stopped) {
        this.end({ reason: 'stopped' });
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Queues events for the consumer (the sensor's, or ones the admission gate released), or counts them as dropped. */
  inject(events: RuntimeEvent[]): void {
    if (events.length === 0) return;
    if (this.queued + events.length > this.maxQueued) {
      this.counters.dropped += events.length;
      return;
    }
    this.queue.push(events);
    this.queued += events.length;
    this.signal();
  }

  override stats(): CaptureStats {
    const s = super.stats();
    if (this.opts.admission) s.dropped += this.opts.admission.stats.overflow;
    return s;
  }

  override async stop(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.sensor.stop();
      // Containers still undecided when capture ends keep their events (attributed by id), never dropped.
      this.opts.admission?.flush();
    } finally {
      // Events the sensor emitted while stopping are still delivered; then the iteration ends.
      this.sensorStopped = true;
      this.stopped = true;
      this.signal();
    }
  }

  /** Processes the sensor found already running (from /proc), for the process table. */
  takeSeeds(): ProcessSeed[] {
    const out = this.seeds;
    this.seeds = [];
    return out;
  }

  get queuedEvents(): number {
    return this.queued;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
