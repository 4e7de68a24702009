// How a scan watches containers: the engine's live capture session (eBPF sensor), or `docker top` polling
// when the sensor cannot run here. Both end in the same outcome: findings plus the state they came from.
import { copyFileSync } from 'node:fs';
import type { ContainerRef, ContainerSummary } from '../../common/model/container';
import type { Finding } from '../../common/model/finding';
import type { FileChange, Flow, ProcessNode } from '../../common/model/process';
import type { CatalogDelta } from '../../common/ipc/contract';
import type { RuleEngine } from '../../common/rules';
import { evaluatePolicy, type Policy } from '../../common/policy';
import type { WorldState } from '../../common/state';
import type { Engine } from '../../node/engine';
import { inspectContainer, listProcesses } from '../../node/docker/containers';
import { RecordingStore } from '../../node/store';
import type { SensorLoss } from '../../node/export';
import { ScanSession } from './session';
import { ProcessPollerSource, POLLER_BLIND_KINDS } from './processPoller';

export interface Selection { containers?: string[]; compose?: string[] }

export interface ScanOutcome {
  findings: Finding[];
  containers: ContainerRef[];
  processes: ProcessNode[];
  flows: Flow[];
  fileChanges: FileChange[];
  loss: SensorLoss;
  events: number;
}

export interface ScanObserver {
  readonly description: string;
  start(): Promise<void>;
  progress(): { containers: number; events: number; findings: number };
  /** Stops watching; with `recordTo`, the run is saved there as a recording. */
  stop(recordTo?: string): Promise<void>;
  outcome(policy?: Policy): ScanOutcome;
}

export function selects(c: ContainerSummary, sel: Selection, since: number): boolean {
  const names = sel.containers ?? [];
  const compose = sel.compose ?? [];
  if (!names.length && !compose.length) return (c.startedAt ?? c.createdAt) >= since - 1000; // what this run starts
  return compose.includes(c.composeProject ?? '\0')
    || names.some((n) => c.id === n || c.name === n.replace(/^\//, '') || (n.length >= 12 && c.id.startsWith(n)));
}

function refOf(r: { id: string; ref: ContainerRef; detail?: { facts: { imageDigest?: string } } }): ContainerRef {
  return { ...r.ref, id: r.id, imageDigest: r.ref.imageDigest ?? r.detail?.facts.imageDigest };
}

function policyFindings(policy: Policy | undefined, containers: ContainerRef[], processes: ProcessNode[], flows: Flow[], fileChanges: FileChange[]): Finding[] {
  if (!policy) return [];
  return evaluatePolicy(policy, { containers, processes, flows, fileChanges });
}

/** The real thing: sensor → state → rules (+ posture) through the engine's CaptureSession. */
export class LiveObserver implements ScanObserver {
  readonly description = 'the eBPF sensor';
  private since = Date.now();

  constructor(private readonly engine: Engine, private readonly sel: Selection, private readonly record: boolean) {}

  async start(): Promise<void> {
    this.since = Date.now();
    // Throws a SensorError with the preflight sentences when the sensor cannot run here.
    await this.engine.session.startLive({ containers: this.sel.containers, compose: this.sel.compose }, this.record);
  }

  progress() {
    const w = this.engine.session.world;
    return { containers: w?.containers.size ?? 0, events: this.engine.session.status.events, findings: this.engine.session.findings().length };
  }

  async stop(recordTo?: string): Promise<void> {
    const st = await this.engine.session.stop();
    if (recordTo && st.recordingPath) copyFileSync(st.recordingPath, recordTo);
  }

  private keep(id: string): boolean {
    const c = this.engine.catalog.get(id);
    return !c || selects(c, this.sel, this.since) || !!(this.sel.containers?.length || this.sel.compose?.length);
  }

  outcome(policy?: Policy): ScanOutcome {
    const world = this.engine.session.world as WorldState;
    const containers = world.containers.list().filter((r) => this.keep(r.id)).map(refOf);
    const ids = new Set(containers.map((c) => c.id));
    const processes = [...world.processes.all()].filter((p) => p.containerId && ids.has(p.containerId));
    const flows = world.flows.flows().filter((f) => ids.has(f.containerId));
    const fileChanges = world.files.list().filter((f) => ids.has(f.containerId));
    const st = this.engine.session.status;
    return {
      findings: [...this.engine.session.findings().filter((f) => ids.has(f.container.id)), ...policyFindings(policy, containers, processes, flows, fileChanges)],
      containers, processes, flows, fileChanges, events: st.events,
      loss: { ringDrops: st.loss.ringDrops, queueDrops: st.loss.queueDrops + st.loss.sourceDropped, corruptFrames: st.loss.corruptFrames, unsupportedKinds: [...st.loss.unsupportedKinds], gaps: st.loss.gaps.map((g) => [g[0], g[1]]) },
    };
  }
}

/** Fallback: `docker top` polling into the same state tables and rules; sees only processes that outlive a poll. */
export class PollObserver implements ScanObserver {
  readonly description = 'docker top polling (process starts only)';
  private readonly session: ScanSession;
  private readonly source: ProcessPollerSource;
  private readonly pending = new Set<Promise<void>>();
  private consumer: Promise<void> | undefined;
  private store: RecordingStore | undefined;
  private since = Date.now();
  private onDelta = (deltas: CatalogDelta[]) => {
    for (const d of deltas) {
      if (d.type === 'upsert') this.consider(d.container);
      else if (d.type === 'reset') d.snapshot.containers.forEach((c) => this.consider(c));
    }
  };

  constructor(private readonly engine: Engine, private readonly sel: Selection, rules: RuleEngine,
    private readonly recordPath: string | undefined, private readonly onWatch: (d: ContainerRef) => void, onFinding: (f: Finding) => void) {
    this.session = new ScanSession(rules, onFinding);
    this.source = new ProcessPollerSource((id) => listProcesses(engine.connection.docker, id));
  }

  private consider(c: ContainerSummary): void {
    if (c.state !== 'running' || this.session.isWatched(c.id) || !selects(c, this.sel, this.since)) return;
    const p = inspectContainer(this.engine.connection.docker, c.id).then((d) => {
      if (this.session.isWatched(d.id)) return;
      this.session.watch(d);
      this.source.add(d.id);
      this.onWatch(d);
    }).catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async start(): Promise<void> {
    this.since = Date.now();
    // Created first: an existing file is refused before the command runs, not after a long test run.
    if (this.recordPath) this.store = RecordingStore.create(this.recordPath, { title: 'glasshouse scan', source: `glasshouse scan (${this.description})` });
    this.engine.catalog.on('delta', this.onDelta);
    this.engine.catalog.snapshot().containers.forEach((c) => this.consider(c));
    await this.source.start();
    this.consumer = (async () => {
      for await (const b of this.source.batches()) {
        this.session.consume(b);
        this.store?.appendEvents(b.filter((e) => this.session.isWatched(e.containerId)));
      }
    })();
  }

  progress() {
    return { containers: this.session.world.containers.size, events: this.session.events, findings: this.session.findingCount };
  }

  async stop(): Promise<void> {
    try {
      await Promise.all(this.pending);
      await this.source.flush();
    } finally {
      this.engine.catalog.off('delta', this.onDelta);
      await this.source.stop();
      await this.consumer;
    }
  }

  outcome(policy?: Policy): ScanOutcome {
    const r = this.session.finish(policy);
    const isW = (id?: string) => this.session.isWatched(id);
    const out: ScanOutcome = {
      findings: r.findings,
      containers: r.containers,
      processes: [...r.world.processes.all()].filter((p) => isW(p.containerId)),
      flows: r.world.flows.flows().filter((f) => isW(f.containerId)),
      fileChanges: r.world.files.list().filter((f) => isW(f.containerId)),
      events: this.session.events,
      loss: { ringDrops: 0, queueDrops: 0, corruptFrames: 0, unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [], observedBy: 'docker top polling (the eBPF sensor was not used)' },
    };
    if (this.store) {
      this.store.applyDelta(r.world.takeDelta());
      this.store.saveFindings(r.findings);
      this.store.recordSensorStats({ ts: Date.now(), eventsByKind: {}, ringDrops: 0, queueDrops: 0, corruptFrames: 0, cpuUserMs: 0, cpuSysMs: 0, rssKb: 0, unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [] });
      this.store.close();
      this.store = undefined;
    }
    return out;
  }

  /** Closes a half-written recording when the scan fails. */
  abort(): void { this.store?.close('scan failed'); }
}
