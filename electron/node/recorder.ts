// The capture pipeline: source → state → store, with live subscribers fed batched, coalesced view-model deltas.
import type { EventFamily, RuntimeEvent } from '../common/model/event';
import { EVENT_FAMILY } from '../common/model/event';
import { GlasshouseError } from '../common/ipc/errors';
import { WorldState, mergeDeltas, type WorldDelta } from '../common/state/index';
import type { CaptureEnd, CaptureSource, CaptureStats } from './capture/source';
import type { ContainerInfoProvider } from './capture/containerInfo';
import { seedContainer } from './capture/procfs';
import type { ProcessSeed } from '../common/state/processTable';
import { SEEDS_META, diffMetaKey } from './replay';
import type { RecordingStore, WriteStats } from './store/index';

export interface RecorderOptions {
  source: CaptureSource;
  /** Where to record; without one the recorder only feeds state and subscribers. */
  store?: RecordingStore;
  world?: WorldState;
  /** Docker metadata and `docker diff`; without it containers keep their short ids. */
  info?: ContainerInfoProvider;
  /** Seed processes that predate the capture from /proc (live capture on a Linux host). */
  seedFromProc?: boolean;
  /** Keep only events of containers this accepts (when the source cannot filter). */
  acceptContainer?: (containerId: string | undefined) => boolean;
  /** Subscriber frame interval (ms): at most 1000 / tickMs frames a second. */
  tickMs?: number;
  /** Sees every batch right after the state tables applied it (rules run here), and the store before it closes. */
  observer?: RecorderObserver;
}

/**
 * Sees the capture as it runs. An observer that throws never stops capture or costs the recording its close: each
 * exception is counted in the summary (`observerErrors`) with the last message.
 */
export interface RecorderObserver {
  onBatch?(batch: readonly RuntimeEvent[], world: WorldState): void;
  /** Sees each event right after the state tables applied it (preferred: state as of that event). */
  onEvent?(event: RuntimeEvent): void;
  /**
   * Writes what it raised since its last call (findings) into the recording: called every tick (~50 ms) and once
   * more before the close, so a recording that stops early (disk full, crash) keeps what was seen until then.
   */
  flushTo?(store: RecordingStore): void;
  /** Last writes into the recording before it is closed (after the final flushTo). */
  beforeClose?(store: RecordingStore): void;
}

/** Exceptions of one kind of callback: how many, and the last one's message. */
export interface CallbackErrors {
  count: number;
  last?: string;
}

/** What a recorder lost or could not do, so far (live status) or in the end (summary). */
export interface RecorderHealth {
  /** Events and rows not in the recording: discarded after a write failure, or rejected by the schema one by one. */
  unsaved: number;
  /** `unsaved` by reason (a row's SQLite error, or why the recording stopped). */
  unsavedReasons: Record<string, number>;
  /** Exceptions thrown by the observer (rules, findings), caught and counted. */
  observerErrors: CallbackErrors;
  /** Exceptions (or rejections) of live subscribers, caught and counted. */
  subscriberErrors: CallbackErrors;
}

export interface SubscriptionFilter {
  containerIds?: string[];
  families?: EventFamily[];
  /** Raw events per frame at most (a capped tail); 0 for none. */
  tail?: number;
}

export interface DeltaFrame {
  /** Frame number for this subscriber. */
  frame: number;
  ts: number;
  delta: WorldDelta;
  /** The latest raw events matching the filter, oldest first, at most `tail`. */
  tail: RuntimeEvent[];
  /** View-model updates folded into later ones because this subscriber was behind (cumulative). */
  coalesced: number;
  /** Raw events not shown in a tail (cumulative). */
  dropped: number;
  capture: CaptureStats;
  store?: WriteStats;
}

export type FrameListener = (frame: DeltaFrame) => void | Promise<void>;

export interface Subscription {
  close(): void;
  stats(): { frames: number; coalesced: number; dropped: number };
}

export interface RecorderSummary extends RecorderHealth {
  events: number;
  duplicates: number;
  /** Events the source dropped (slow consumer) or the sensor lost (ring/queue drops). */
  sourceDropped: number;
  sensorDrops: number;
  durationMs: number;
  end: CaptureEnd;
  /** Why recording stopped early (disk full, sensor failure), as a user-facing error. */
  error?: GlasshouseError;
}

const TAIL_RING = 1024;

function noteError(into: CallbackErrors, err: unknown): void {
  into.count++;
  into.last = (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

class Subscriber {
  pending: WorldDelta | undefined;
  busy = false;
  frames = 0;
  coalesced = 0;
  dropped = 0;
  closed = false;
  constructor(readonly listener: FrameListener, readonly filter: SubscriptionFilter) {}

  accepts(containerId: string | undefined, family: EventFamily): boolean {
    const f = this.filter;
    if (f.containerIds && (containerId === undefined || !f.containerIds.includes(containerId))) return false;
    if (f.families && !f.families.includes(family)) return false;
    return true;
  }
}

function filterDelta(d: WorldDelta, ids: string[] | undefined): WorldDelta {
  if (!ids) return d;
  const has = (id: string | undefined) => id !== undefined && ids.includes(id);
  return {
    processes: d.processes.filter((p) => has(p.containerId)),
    files: d.files.filter((f) => has(f.containerId)),
    flows: d.flows.filter((f) => has(f.containerId)),
    listening: d.listening.filter((l) => has(l.containerId)),
    containers: d.containers.filter((c) => has(c.id)),
    resources: d.resources.filter((r) => has(r.containerId)),
    counters: d.counters,
  };
}

function isEmpty(d: WorldDelta): boolean {
  return !d.processes.length && !d.files.length && !d.flows.length && !d.listening.length && !d.containers.length && !d.resources.length;
}

export class Recorder {
  readonly world: WorldState;
  readonly done: Promise<RecorderSummary>;
  private readonly subscribers = new Set<Subscriber>();
  private readonly tail: RuntimeEvent[] = new Array(TAIL_RING);
  private tailCount = 0;
  private lastTailDelivered = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the final tick ran: later subscribers get the state handed over directly (no tick is left). */
  private finished = false;
  private started = 0;
  private error: GlasshouseError | undefined;
  private stopping: Promise<void> | undefined;
  private readonly metadataPending = new Set<Promise<unknown>>();
  private readonly stopStats: Array<() => void> = [];
  private readonly learned = new Set<string>();
  private resolveDone!: (s: RecorderSummary) => void;
  private lastSensorTs = 0;
  /** Seeded (pre-existing) processes, kept in the recording so a replay starts from the same tree. */
  private readonly appliedSeeds: ProcessSeed[] = [];
  private readonly observerErrors: CallbackErrors = { count: 0 };
  /** Containers whose final `docker diff` could not be folded in (and so is not in the recording), by reason. */
  private readonly diffFailures: Record<string, number> = {};
  private readonly subscriberErrors: CallbackErrors = { count: 0 };
  /** The observer's per-event hook, guarded: one throwing event never aborts the batch the state tables are applying. */
  private readonly onEvent: ((e: RuntimeEvent) => void) | undefined;

  constructor(private readonly opts: RecorderOptions) {
    this.world = opts.world ?? new WorldState();
    this.done = new Promise((r) => (this.resolveDone = r));
    const observe = opts.observer?.onEvent;
    this.onEvent = observe && ((e) => {
      try {
        observe(e);
      } catch (err) {
        noteError(this.observerErrors, err);
      }
    });
    opts.store?.onFailure((err) => {
      this.error = err;
      void this.stop();
    });
  }

  /** Starts the source and the pump; resolves once capture is running. */
  async start(): Promise<void> {
    this.started = performance.now();
    await this.opts.source.start();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 50);
    void this.pump();
  }

  /** Stops capture, folds in the final `docker diff`, writes everything and closes the recording. */
  async stop(): Promise<RecorderSummary> {
    this.stopping ??= this.opts.source.stop();
    await this.stopping;
    return this.done;
  }

  subscribe(listener: FrameListener, filter: SubscriptionFilter = {}): Subscription {
    const s = new Subscriber(listener, filter);
    // A new subscriber starts from the full current state, then receives deltas.
    s.pending = filterDelta(this.snapshot(), filter.containerIds);
    this.subscribers.add(s);
    if (this.finished) {
      // A replay that already ran to its end has no tick left to deliver the snapshot: hand it over now.
      setImmediate(() => {
        if (s.closed || !s.pending) return;
        const delta = s.pending;
        s.pending = undefined;
        this.deliver(s, delta, [], this.opts.source.stats());
      });
    }
    return {
      close: () => {
        s.closed = true;
        this.subscribers.delete(s);
      },
      stats: () => ({ frames: s.frames, coalesced: s.coalesced, dropped: s.dropped }),
    };
  }

  /** The whole current state as one delta (for a subscriber that just arrived). */
  snapshot(): WorldDelta {
    const w = this.world;
    return {
      processes: [...w.processes.all()], files: w.files.list(), flows: w.flows.flows(), listening: w.flows.listening(),
      containers: w.containers.list(), resources: [], counters: { ...w.counters, byKind: { ...w.counters.byKind } },
    };
  }

  private async pump(): Promise<void> {
    const { source, store, acceptContainer } = this.opts;
    let end: CaptureEnd = { reason: 'exhausted' };
    try {
      for await (let batch of source.batches()) {
        if (acceptContainer) batch = batch.filter((e) => acceptContainer(e.containerId));
        const seeds = (source as { takeSeeds?: () => import('../common/state/processTable').ProcessSeed[] }).takeSeeds?.();
        if (seeds?.length) {
          this.world.seedProcesses(seeds);
          this.appliedSeeds.push(...seeds);
        }
        if (batch.length === 0) continue;
        this.world.applyBatch(batch, this.onEvent);
        this.observe((o) => o.onBatch?.(batch, this.world));
        store?.appendEvents(batch);
        // Only the last TAIL_RING events of a batch can survive in the ring.
        for (let i = Math.max(0, batch.length - TAIL_RING); i < batch.length; i++) this.tail[(this.tailCount + i) % TAIL_RING] = batch[i];
        this.tailCount += batch.length;
        const fresh = this.world.takeNewContainers();
        if (fresh.length) this.learn(fresh);
      }
      end = await Promise.race([source.ended, Promise.resolve<CaptureEnd>({ reason: 'exhausted' })]);
    } catch (err) {
      end = { reason: 'error', error: err as Error };
      this.error ??= err instanceof GlasshouseError ? err : new GlasshouseError(`Capture failed: ${(err as Error).message}`);
    }
    await this.finish(end);
  }

  /**
   * Metadata and resource samples for containers the session follows: they are known (inspected) before their first
   * event, so the first event no longer counts as new, and a silent container would otherwise never be sampled.
   */
  learn(ids: string[]): void {
    const { info, seedFromProc } = this.opts;
    for (const id of ids) {
      if (this.learned.has(id)) continue;
      this.learned.add(id);
      if (seedFromProc) {
        const seeds = seedContainer(id);
        this.world.seedProcesses(seeds);
        this.appliedSeeds.push(...seeds);
      }
      if (!info) continue;
      const p = (async () => {
        const detail = await info.inspect(id).catch(() => undefined);
        if (detail) this.world.upsertContainer(detail);
        if (info.streamStats && !this.stopping) this.stopStats.push(info.streamStats(id, (s) => this.world.addResourceSample(s)));
      })();
      this.metadataPending.add(p);
      void p.finally(() => this.metadataPending.delete(p));
    }
  }

  private async finish(end: CaptureEnd): Promise<void> {
    const { store, info, source } = this.opts;
    for (const stop of this.stopStats.splice(0)) stop();
    await Promise.all([...this.metadataPending]);
    if (info && !this.error) {
      // docker diff at the end is the image-relative truth, including changes made before capture began.
      await Promise.all(this.world.containers.list().map(async (c) => {
        const diff = await info.diff(c.id).catch(() => undefined);
        if (!diff) return;
        try {
          this.world.mergeDiff(c.id, diff);
          // Kept in the recording so a replay merges the same image-relative truth (see electron/node/replay.ts):
          // as the entries merged (an array), whatever iterable the answer was.
          if (store && !store.failed) store.setMeta(diffMetaKey(c.id), JSON.stringify(Array.from(diff)));
        } catch (err) {
          // An answer of a shape the file table cannot fold costs that container's diff, never the recording's close.
          this.diffFailures[`docker diff of ${c.ref.name || c.id.slice(0, 12)}: ${(err as Error).message}`.slice(0, 200)] = 1;
        }
      }));
    }
    if (this.timer) clearInterval(this.timer);
    this.tick();
    this.finished = true;
    const stats = source.stats();
    if (store) {
      if (stats.sensor) store.recordSensorStats(stats.sensor);
      stats.gaps.forEach(([a, b], i) => store.recordGap(a, b, stats.gapReasons?.[i] || undefined));
      if (this.appliedSeeds.length) store.setMeta(SEEDS_META, JSON.stringify(this.appliedSeeds));
      // a failing observer never costs the recording its close (observe() counts it)
      this.observe((o) => o.beforeClose?.(store));
      // Last, so it counts what the observer's final writes cost; the writer adds what its closing batch skips (UNSAVED_META).
      const health = this.health();
      store.setMeta('capture', JSON.stringify({
        source: source.description, events: this.world.counters.events, duplicates: this.world.counters.duplicates,
        sourceDropped: stats.dropped, unsaved: health.unsaved, unsavedReasons: health.unsavedReasons,
        observerErrors: health.observerErrors, subscriberErrors: health.subscriberErrors, end: end.reason,
      }));
      store.close(this.error?.message ?? (end.reason === 'error' ? end.error?.message : undefined));
    }
    const sensor = stats.sensor;
    this.resolveDone({
      events: this.world.counters.events,
      duplicates: this.world.counters.duplicates,
      sourceDropped: stats.dropped,
      sensorDrops: sensor ? sensor.ringDrops + sensor.queueDrops : 0,
      ...this.health(),
      durationMs: performance.now() - this.started,
      end,
      error: this.error,
    });
  }

  /** What is lost or failed so far: unsaved rows and events by reason, observer and subscriber exceptions. */
  health(): RecorderHealth {
    const w = this.opts.store?.stats();
    const unsavedReasons: Record<string, number> = { ...(w?.unsavedReasons ?? {}), ...this.diffFailures };
    if (w?.discarded) {
      const why = `not written after the recording stopped${this.error?.code ? ` (${this.error.code})` : ''}`;
      unsavedReasons[why] = (unsavedReasons[why] ?? 0) + w.discarded;
    }
    return {
      unsaved: (w?.discarded ?? 0) + (w?.unsaved ?? 0) + Object.keys(this.diffFailures).length, unsavedReasons,
      observerErrors: { ...this.observerErrors }, subscriberErrors: { ...this.subscriberErrors },
    };
  }

  /** Runs an observer hook; an exception is counted, never passed on. */
  private observe(fn: (o: RecorderObserver) => void): void {
    const o = this.opts.observer;
    if (!o) return;
    try {
      fn(o);
    } catch (err) {
      noteError(this.observerErrors, err);
    }
  }

  /** Every ~50 ms: one delta to the store and to each subscriber that has caught up; the rest coalesce. */
  private tick(): void {
    const delta = this.world.takeDelta();
    const { store, source } = this.opts;
    const capture = source.stats();
    if (store) {
      // Per-container event counts change without marking the record dirty: refresh the few rows each tick.
      store.applyDelta(delta.containers.length === this.world.containers.size ? delta : { ...delta, containers: this.world.containers.list() });
      if (capture.sensor && capture.sensor.ts !== this.lastSensorTs) {
        this.lastSensorTs = capture.sensor.ts;
        store.recordSensorStats(capture.sensor);
      }
      // Findings go into the file as they are raised, not only at the end.
      if (!store.failed) this.observe((o) => o.flushTo?.(store));
    }
    const newTail = this.tailCount - this.lastTailDelivered;
    const tailStart = Math.max(this.lastTailDelivered, this.tailCount - TAIL_RING);
    this.lastTailDelivered = this.tailCount;
    for (const s of this.subscribers) {
      const mine = filterDelta(delta, s.filter.containerIds);
      if (s.pending) {
        const { merged, coalesced } = mergeDeltas(s.pending, mine);
        s.pending = merged;
        s.coalesced += coalesced;
      } else {
        s.pending = mine;
      }
      const cap = s.filter.tail ?? 0;
      const tail: RuntimeEvent[] = [];
      let matched = 0;
      for (let i = tailStart; i < this.tailCount; i++) {
        const e = this.tail[i % TAIL_RING];
        if (!s.accepts(e.containerId, EVENT_FAMILY[e.kind])) continue;
        matched++;
        tail.push(e);
        if (tail.length > cap) tail.shift();
      }
      s.dropped += Math.max(0, newTail - (this.tailCount - tailStart)) + (matched - tail.length);
      if (s.busy) {
        // The consumer has not finished the last frame: keep coalescing, never wait for it.
        continue;
      }
      if (isEmpty(s.pending) && tail.length === 0 && s.frames > 0) continue;
      this.deliver(s, s.pending, tail, capture);
      s.pending = undefined;
    }
  }

  private deliver(s: Subscriber, delta: WorldDelta, tail: RuntimeEvent[], capture: CaptureStats): void {
    const frame: DeltaFrame = {
      frame: ++s.frames, ts: Date.now(), delta, tail, coalesced: s.coalesced, dropped: s.dropped, capture,
      store: this.opts.store?.stats(),
    };
    let r: void | Promise<void>;
    try {
      r = s.listener(frame);
    } catch (err) {
      noteError(this.subscriberErrors, err); // a failing subscriber never stops capture
      return;
    }
    if (r && typeof (r as Promise<void>).then === 'function') {
      s.busy = true;
      (r as Promise<void>).then(() => { s.busy = false; }, (err) => { s.busy = false; noteError(this.subscriberErrors, err); });
    }
  }
}
