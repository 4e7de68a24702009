// The engine's capture session: live (sensor → state → rules → recording) or replay of a recording, with live subscribers.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LiveFrame, LossCounters, SessionStatus, SubscriptionParams, UnwatchedContainer } from '../common/ipc/contract';
import { GlasshouseError, NotFoundError, SensorError, UserInputError, serializeError } from '../common/ipc/errors';
import type { ContainerDetail, ContainerSummary } from '../common/model/container';
import type { EventFamily, RuntimeEvent } from '../common/model/event';
import type { Finding, FindingStatus } from '../common/model/finding';
import { Detector } from '../common/detect/detector';
import type { RuleEngine } from '../common/rules/engine';
import { WorldState } from '../common/state/worldState';
import type { ContainerInfoProvider } from './capture/containerInfo';
import { AdmissionGate } from './capture/admission';
import { LiveSource, type SensorLike } from './capture/live';
import { RecordingSource } from './capture/recording';
import type { CaptureSource, CaptureStats } from './capture/source';
import { Recorder, type RecorderHealth, type RecorderSummary } from './recorder';
import { RecordingStore, storeCreateError, type RecordedLoss } from './store/index';
import { prepareReplay } from './replay';
import { HELPER_LABEL } from './docker/helper-container';

/** Makes (and starts watching through) the sensor; throws SensorError with preflight sentences when it cannot run. */
export type SensorFactory = () => Promise<SensorLike & {
  watchContainer(id: string): unknown; unwatchContainer?(id: string): unknown; setSensitivePrefixes?(p: string[]): unknown;
  /** Trace new containers from their cgroup's creation; the sensor then emits 'admitted' for each. */
  admitNewContainers?(): unknown;
}>;

export interface SessionDeps {
  info: () => ContainerInfoProvider;
  /** Running containers right now, and a way to hear of new ones (the catalog). */
  containers: () => ContainerSummary[];
  onContainers: (listener: (c: ContainerSummary) => void) => () => void;
  sensor?: SensorFactory;
  rules: () => RuleEngine;
  dataDir: string;
  publishStatus: (s: SessionStatus) => void;
}

export interface RecordTo {
  path: string;
  title?: string;
}

export interface Selection {
  /** Container ids or names; empty/undefined with no compose = every container. */
  containers?: string[];
  compose?: string[];
  /** With no names: only containers started at or after this time (ms), e.g. what a scanned command starts. */
  startedSince?: number;
}

/** True when the selection names containers or projects, or limits them by start time (not "every container"). */
function restricts(sel: Selection): boolean {
  return !!(sel.containers?.length || sel.compose?.length || sel.startedSince !== undefined);
}

const ZERO_LOSS: LossCounters = { ringDrops: 0, queueDrops: 0, corruptFrames: 0, sourceDropped: 0, unsupportedKinds: [], gaps: [] };

export function lossOf(stats: CaptureStats, health?: RecorderHealth): LossCounters {
  const s = stats.sensor;
  const loss: LossCounters = {
    ringDrops: s?.ringDrops ?? 0, queueDrops: s?.queueDrops ?? 0, corruptFrames: s?.corruptFrames ?? 0,
    sourceDropped: stats.dropped, unsupportedKinds: s?.unsupportedKinds ?? [], gaps: stats.gaps,
  };
  if (health) {
    loss.unsaved = health.unsaved;
    loss.unsavedReasons = health.unsavedReasons;
    loss.observerErrors = health.observerErrors.count;
    loss.subscriberErrors = health.subscriberErrors.count;
    const last = health.observerErrors.last ?? health.subscriberErrors.last;
    if (last) loss.lastPipelineError = last;
  }
  return loss;
}

/** A replay's loss: what the recording could not save when it was made, and the errors caught then and now. */
function withRecordedLoss(loss: LossCounters, recorded: RecordedLoss | undefined): LossCounters {
  if (!recorded) return loss;
  return {
    ...loss, unsaved: recorded.unsaved, unsavedReasons: recorded.unsavedReasons,
    observerErrors: recorded.observerErrors + (loss.observerErrors ?? 0), subscriberErrors: recorded.subscriberErrors + (loss.subscriberErrors ?? 0),
  };
}

/** A watch that failed, as the status lists it: the sensor's sentence (a SensorError's message and hint) or the error's words. */
function unwatchedOf(c: { id: string; name?: string }, err: unknown): UnwatchedContainer {
  const e = err instanceof GlasshouseError ? err : undefined;
  const reason = e?.message ?? `The sensor could not watch it: ${(err as Error)?.message ?? String(err)}`;
  return { id: c.id, name: c.name || c.id.slice(0, 12), reason, ...(e?.hint ? { hint: e.hint } : {}) };
}

/** The sensor's own container (HELPER_LABEL) is never watched: it would trace itself. */
export function matchesSelection(c: ContainerSummary, sel: Selection): boolean {
  if (c.labels?.[HELPER_LABEL]) return false;
  const names = sel.containers ?? [];
  const compose = sel.compose ?? [];
  if (!names.length && !compose.length) return sel.startedSince === undefined || (c.startedAt ?? c.createdAt) >= sel.startedSince - 1000;
  return compose.includes(c.composeProject ?? '\0')
    || names.some((n) => c.id === n || c.name === n.replace(/^\//, '') || (n.length >= 12 && c.id.startsWith(n)));
}

interface LiveSub { id: string; rev: number; close: () => void }

export class CaptureSession {
  private recorder: Recorder | undefined;
  private source: CaptureSource | undefined;
  private detector: Detector | undefined;
  private current: SessionStatus = { state: 'idle', events: 0, loss: ZERO_LOSS };
  private readonly subs = new Map<string, LiveSub>();
  private readonly watched = new Set<string>();
  /** Containers the capture meant to watch but could not, by id (dropped from here once a later watch works). */
  private readonly unwatched = new Map<string, UnwatchedContainer>();
  private stopFollowing: (() => void) | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private store: RecordingStore | undefined;
  private actions = 0;
  /** What the recording being replayed lost when it was made: its loss banner shows it too. */
  private recordedLoss: RecordedLoss | undefined;
  /** The running capture's way to keep a container (set by follow()). */
  private adopt: ((c: ContainerSummary) => void) | undefined;

  constructor(private readonly deps: SessionDeps) {}

  get status(): SessionStatus {
    return this.current;
  }

  get world(): WorldState | undefined {
    return this.recorder?.world;
  }

  private setStatus(patch: Partial<SessionStatus>): SessionStatus {
    this.current = { ...this.current, ...patch };
    this.deps.publishStatus(this.current);
    return this.current;
  }

  private busy(): boolean {
    return this.current.state === 'starting' || this.current.state === 'capturing' || this.current.state === 'replaying' || this.current.state === 'stopping';
  }

  /** Live capture of the selected containers (all when none), following containers that start later. */
  async startLive(sel: Selection, record: boolean | RecordTo = true): Promise<SessionStatus> {
    if (this.busy()) throw new UserInputError('A capture is already running.', 'Stop it first.');
    if (!this.deps.sensor) {
      throw new SensorError('The runtime sensor is not available in this build.', 'Build it with `npm run build:native` on Linux with clang and bpftool.');
    }
    this.reset();
    this.setStatus({ state: 'starting', source: 'live', startedAt: Date.now(), containers: restricts(sel) ? [] : undefined, unwatched: undefined, error: undefined, preflight: undefined });
    let sensor;
    try {
      sensor = await this.deps.sensor();
    } catch (err) {
      const e = err instanceof GlasshouseError ? err : new SensorError(`The sensor could not start: ${(err as Error).message}`);
      this.setStatus({ state: 'error', error: serializeError(e), preflight: (err as { preflight?: string[] }).preflight });
      throw e;
    }
    try {
      return await this.runLive(sel, record, sensor);
    } catch (err) {
      // No stuck session: the sensor stops, the half-made recording is gone (launch), and the next Capture can start.
      await this.recorder?.stop().catch(() => undefined);
      await Promise.resolve(sensor.stop()).catch(() => undefined);
      this.stopFollowing?.();
      this.stopFollowing = undefined;
      if (this.statusTimer) clearInterval(this.statusTimer);
      this.reset();
      const e = err instanceof GlasshouseError ? err : new SensorError(`The capture could not start: ${(err as Error).message}`);
      this.setStatus({ state: 'idle', error: serializeError(e), recordingPath: undefined, startedAt: undefined });
      throw e;
    }
  }

  private async runLive(sel: Selection, record: boolean | RecordTo, sensor: Awaited<ReturnType<SensorFactory>>): Promise<SessionStatus> {
    const world = new WorldState();
    const info = this.deps.info();
    // New containers are traced from their cgroup's creation; their events wait here until we know who they are.
    const admission = new AdmissionGate({
      decide: async (id, admittedAt) => {
        const c = (await info.inspect(id).catch(() => undefined)) ?? this.deps.containers().find((x) => x.id === id);
        if (!c) throw new Error(`container ${id.slice(0, 12)} is not known yet`);
        // its cgroup was created during this capture: it started now, whatever its creation time says
        const keep = matchesSelection({ ...c, startedAt: Math.max(c.startedAt ?? 0, admittedAt) }, sel);
        if (keep) this.adopt?.(c);
        return keep;
      },
      release: (events) => source.inject(events),
      rejected: (id) => void Promise.resolve(sensor.unwatchContainer?.(id)).catch(() => undefined),
      keepUnidentified: !(sel.containers?.length || sel.compose?.length),
    });
    const source = new LiveSource(sensor, { admission });
    sensor.on('admitted', (n) => admission.admit(n.containerId, n.ts));
    sensor.admitNewContainers?.();
    const path = this.openStore(record, 'live sensor');
    const detector = this.assemble(source, world, info);
    // Reads are traced only below the prefixes the rules care about (shadow, keys, tokens): the pack's list.
    sensor.setSensitivePrefixes?.(detector.rules.list('sensitive_read_prefixes') ?? []);
    await this.launch(path);
    this.follow(sel, world, detector, info, (id) => sensor.watchContainer(id), admission);
    this.statusTimer = setInterval(() => this.setStatus({ events: world.counters.events, loss: lossOf(source.stats(), this.recorder?.health()) }), 1000);
    this.statusTimer.unref?.();
    return this.setStatus({ state: 'capturing', recordingPath: path });
  }

  /** Source → state tables → rules (→ the recording, when a store is open): the one pipeline every capture runs. */
  private assemble(source: CaptureSource, world: WorldState, info?: ContainerInfoProvider): Detector {
    const detector = new Detector(this.deps.rules(), world);
    this.detector = detector;
    this.source = source;
    // Findings go into the recording as they are raised (each tick: those changed since the last write).
    let saved = 0;
    this.recorder = new Recorder({
      source, store: this.store, world, info,
      observer: {
        onEvent: detector.observeOne,
        flushTo: (store) => {
          const changed = detector.changedSince(saved);
          saved = changed.rev;
          if (changed.findings.length) store.saveFindings(changed.findings);
        },
      },
    });
    return detector;
  }

  /** Starts the assembled pipeline; if it cannot start, removes the half-made recording at `createdPath`. */
  private async launch(createdPath: string | undefined): Promise<void> {
    const recorder = this.recorder!;
    try {
      await recorder.start();
    } catch (err) {
      this.store?.close(`capture could not start: ${(err as Error).message}`);
      if (createdPath) for (const f of [createdPath, `${createdPath}-wal`, `${createdPath}-shm`]) rmSync(f, { force: true });
      this.recorder = undefined;
      this.setStatus({ state: 'error', error: serializeError(err) });
      throw err;
    }
    void recorder.done.then((summary) => this.finished(summary));
  }

  /** Watches what is running now and what starts later; each container gets its identity and posture at once. */
  private follow(sel: Selection, world: WorldState, detector: Detector, info: ContainerInfoProvider, watchContainer: (id: string) => unknown, admission?: AdmissionGate): void {
    // A container the capture keeps: identity and posture first, then its held events (if it was admitted), then the
    // sensor's watch (for an admitted one that only confirms it: it has been traced since its cgroup was made).
    const adopt = (c: ContainerSummary) => {
      if (this.watched.has(c.id)) return;
      this.watched.add(c.id);
      // admitted at its cgroup's creation: already traced, so a watch that fails because it has exited is no failure
      const admitted = admission?.verdict(c.id) !== undefined;
      const detail = 'facts' in c ? (c as ContainerDetail) : undefined;
      world.upsertContainer(detail ?? { id: c.id, name: c.name, image: c.image, composeProject: c.composeProject, composeService: c.composeService });
      if (detail) detector.addPosture(detail);
      this.recorder?.learn([c.id]);
      admission?.accept(c.id);
      void (async () => {
        try {
          await Promise.resolve(watchContainer(c.id));
        } catch (e) {
          if (!admitted) {
            // Not watched: say so with the sensor's sentence, and let a later start of it try again.
            this.watched.delete(c.id);
            this.unwatched.set(c.id, unwatchedOf(c, e));
            this.publishWatches();
            return;
          }
        }
        if (this.unwatched.delete(c.id) || this.current.containers) this.publishWatches();
      })();
    };
    this.adopt = adopt;
    const watch = (c: ContainerSummary) => {
      if (c.state !== 'running' || this.watched.has(c.id) || !matchesSelection(c, sel)) return;
      void (async () => {
        // Full identity (image digest included) before the first event, so findings and their fingerprints never
        // depend on whether Docker answered before the container did something. Posture comes from the same inspect.
        adopt((await info.inspect(c.id)) ?? c);
      })().catch((e) => {
        this.unwatched.set(c.id, unwatchedOf(c, e instanceof GlasshouseError ? e
          : new GlasshouseError(`Docker could not inspect container ${c.name || c.id.slice(0, 12)} (${(e as Error)?.message ?? String(e)}), so it is not watched.`)));
        this.publishWatches();
      });
    };
    this.deps.containers().forEach(watch);
    const stopContainers = this.deps.onContainers(watch);
    // CIS 5.23 needs each exec's configuration, which only Docker's exec events and exec inspect carry.
    const stopExecs = info.watchExecs?.((e) => {
      const detail = this.watched.has(e.containerId) ? world.containers.get(e.containerId)?.detail : undefined;
      if (detail) detector.addExec(detail, e);
    });
    this.stopFollowing = () => { stopContainers(); stopExecs?.(); };
  }

  /** The watched and unwatched containers into the status (watched ids only when the selection restricts them). */
  private publishWatches(): void {
    this.setStatus({
      ...(this.current.containers ? { containers: [...this.watched] } : {}),
      unwatched: this.unwatched.size ? [...this.unwatched.values()] : undefined,
    });
  }

  /**
   * Any other capture source through the same state, rules and store: synthetic load for tests and benchmarks, or
   * (with `follow`) a source that watches containers one by one, such as `docker top` polling when the sensor cannot run.
   */
  async startSource(source: CaptureSource & { watchContainer?(id: string): unknown }, record: boolean | RecordTo = true, follow?: Selection): Promise<SessionStatus> {
    if (this.busy()) throw new UserInputError('A capture is already running.', 'Stop it first.');
    this.reset();
    let path: string | undefined;
    try {
      path = this.openStore(record, source.description);
    } catch (err) {
      this.setStatus({ state: 'idle', error: serializeError(err) });
      throw err;
    }
    const world = new WorldState();
    const info = follow ? this.deps.info() : undefined;
    const detector = this.assemble(source, world, info);
    this.setStatus({ state: 'capturing', source: 'live', startedAt: Date.now(), recordingPath: path, error: undefined, containers: follow && restricts(follow) ? [] : undefined, unwatched: undefined });
    await this.launch(path);
    if (follow && info) this.follow(follow, world, detector, info, (id) => source.watchContainer?.(id));
    return this.current;
  }

  /** Creates the recording file (never over an existing one); returns its path, or undefined when not recording. */
  private openStore(record: boolean | RecordTo, source: string): string | undefined {
    if (!record) return undefined;
    let path: string;
    if (record === true) {
      const dir = join(this.deps.dataDir, 'recordings');
      path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.glasshouse`);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw storeCreateError(path, err);
      }
    } else {
      path = record.path;
    }
    this.store = RecordingStore.create(path, { title: (record !== true && record.title) || 'Glasshouse capture', source });
    return path;
  }

  /** How the last capture ended (events, drops, error); undefined before any. */
  get summary(): Promise<RecorderSummary> | undefined {
    return this.recorder?.done;
  }

  /** Replays a recording at full speed into fresh state and rules; views show it like a live capture. */
  async openRecording(path: string): Promise<SessionStatus> {
    if (this.busy()) throw new UserInputError('A capture is running.', 'Stop it before opening a recording.');
    this.reset();
    const source = new RecordingSource(path, { pace: 'full' });
    let replay;
    try {
      // The containers, seeds and diffs as recorded: identity (and so fingerprints) and state as in the live session.
      replay = prepareReplay(path);
    } catch (err) {
      this.setStatus({ state: 'error', source: 'recording', recordingPath: path, error: serializeError(err) });
      throw err;
    }
    const detector = this.assemble(source, replay.world, replay.info);
    this.recordedLoss = replay.recordedLoss;
    for (const c of replay.world.containers.list()) if (c.detail) detector.addPosture(c.detail);
    this.setStatus({ state: 'replaying', source: 'recording', recordingPath: path, startedAt: Date.now(), endedAt: undefined, error: undefined, containers: undefined, unwatched: undefined });
    // A bad file fails here with a FileFormatError naming it; the file is only read, never removed.
    await this.launch(undefined);
    return this.current;
  }

  async stop(): Promise<SessionStatus> {
    if (!this.recorder || !this.busy()) return this.current;
    this.setStatus({ state: 'stopping' });
    const summary = await this.recorder.stop();
    return this.finished(summary);
  }

  private finished(summary: RecorderSummary): SessionStatus {
    if (this.current.state === 'stopped' || this.current.state === 'error') return this.current;
    this.stopFollowing?.();
    this.stopFollowing = undefined;
    if (this.statusTimer) clearInterval(this.statusTimer);
    const loss = this.source ? withRecordedLoss(lossOf(this.source.stats(), summary), this.recordedLoss) : this.current.loss;
    return this.setStatus({
      state: summary.error ? 'error' : 'stopped', endedAt: Date.now(), events: summary.events, loss,
      ...(summary.error ? { error: serializeError(summary.error) } : {}),
    });
  }

  private reset(): void {
    for (const s of this.subs.values()) s.close();
    this.subs.clear();
    this.watched.clear();
    this.unwatched.clear();
    this.recordedLoss = undefined;
    this.adopt = undefined;
    this.recorder = undefined;
    this.detector = undefined;
    this.store = undefined;
  }

  /** A live view subscription; frames go to `send` at most ~20 times a second. */
  subscribe(params: SubscriptionParams, send: (frame: LiveFrame) => void): string {
    const recorder = this.recorder;
    if (!recorder) throw new NotFoundError('Nothing is being captured or replayed.', 'Start a capture or open a recording first.');
    const id = randomBytes(8).toString('hex');
    const sub: LiveSub = { id, rev: 0, close: () => undefined };
    const handle = recorder.subscribe((f) => {
      const changed = this.detector?.changedSince(sub.rev, params.containerIds) ?? { findings: [], rev: sub.rev };
      sub.rev = changed.rev;
      send({ subId: id, frame: f.frame, ts: f.ts, delta: f.delta, tail: f.tail, findings: changed.findings, coalesced: f.coalesced, dropped: f.dropped, loss: lossOf(f.capture) });
    }, { containerIds: params.containerIds, families: params.families as EventFamily[] | undefined, tail: params.tail ?? 200 });
    sub.close = () => handle.close();
    this.subs.set(id, sub);
    return id;
  }

  unsubscribe(subId: string): void {
    this.subs.get(subId)?.close();
    this.subs.delete(subId);
  }

  findings(containerId?: string): Finding[] {
    return this.detector?.list(containerId) ?? [];
  }

  setFindingStatus(fingerprint: string, status: FindingStatus): Finding {
    const f = this.detector?.setStatus(fingerprint, status);
    if (!f) throw new NotFoundError(`There is no finding ${fingerprint.slice(0, 12)} in this session.`, 'It may belong to an earlier capture; reopen that recording.');
    return f;
  }

  /** Response actions taken during a live recording are kept in it (as `action:` meta entries, in order). */
  journalAction(entry: { ts: number; action: string; containerId: string }): void {
    const store = this.store;
    if (!store || this.current.state !== 'capturing' || store.failed) return;
    this.actions++;
    store.setMeta(`action:${String(this.actions).padStart(6, '0')}`, JSON.stringify(entry));
  }

  /** Writes the events of one container from the current recording into a new recording file (snapshot bundles). */
  async sliceTo(containerId: string, destPath: string): Promise<{ written: true } | { written: false; why: string }> {
    const path = this.current.recordingPath;
    if (!path || this.current.source !== 'live') return { written: false, why: 'no recording was running' };
    this.store?.flush();
    const src = RecordingStore.open(path, { readonly: true });
    try {
      const known = src.containers().find((c) => c.id === containerId);
      if (!known) return { written: false, why: 'the running recording has no events of this container' };
      const out = RecordingStore.create(destPath, { title: `Slice of ${path} for ${known.ref.name}`, source: `slice of ${path}` });
      try {
        out.applyDelta({ processes: [], files: [], flows: [], listening: [], resources: [], containers: [{ ...known, firstSeen: known.firstSeen ?? 0, lastSeen: known.lastSeen ?? 0 }],
          counters: { events: 0, byKind: {} as never, duplicates: 0, hostEvents: 0 } });
        // Page by row id: exact, whatever the timestamps.
        for (let after = 0; ;) {
          const page = src.eventsAfter(after, 5000);
          if (!page.length) break;
          const mine = page.filter((e) => e.containerId === containerId).map(({ id: _id, ...e }) => e as RuntimeEvent);
          if (mine.length) out.appendEvents(mine);
          out.flush();
          after = page[page.length - 1].id;
        }
        out.saveFindings(this.findings(containerId));
      } finally {
        out.close();
      }
      return { written: true };
    } finally {
      src.close();
    }
  }

  /** Events of the current recording in a time window (for the timeline). */
  queryEvents(q: { from: number; to: number; containerId?: string; kinds?: string[]; limit: number; newest?: boolean }) {
    const path = this.current.recordingPath;
    if (!path) return [];
    const query = { from: q.from, to: q.to, containerId: q.containerId, kinds: q.kinds as never, limit: q.limit, newest: q.newest };
    // While recording, ask the live store: a read hands pending events to its writer and waits for them first.
    if (this.store && this.current.state === 'capturing' && !this.store.failed) {
      return this.store.eventsInWindow(query);
    }
    const store = RecordingStore.open(path, { readonly: true });
    try {
      return store.eventsInWindow(query);
    } finally {
      store.close();
    }
  }

}
