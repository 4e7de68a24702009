// The engine's picture of the world: applies RuntimeEvents to every state table and yields view-model deltas.
import { EVENT_KINDS, KIND_CODE, type EventKind, type RuntimeEvent } from '../model/event';
import type { ContainerDetail, ContainerRef } from '../model/container';
import type { FileChange, Flow, ListeningSocket, ProcessNode, ResourceSample } from '../model/process';
import { ProcessTable, type ProcessSeed } from './processTable';
import { FileTable, type DockerDiffEntry } from './fileTable';
import { FlowAggregator } from './flowAggregator';
import { ContainerTable, type ContainerRecord } from './containerTable';
import { ResourceTable } from './resourceTable';

export interface WorldCounters {
  /** Events applied (duplicates excluded). */
  events: number;
  byKind: Record<EventKind, number>;
  /** Events dropped because the same event was already applied. */
  duplicates: number;
  /** Events from processes outside any container. */
  hostEvents: number;
}

/** What changed since the previous delta; entries are the current view models (latest state wins). */
export interface WorldDelta {
  processes: ProcessNode[];
  files: FileChange[];
  flows: Flow[];
  listening: ListeningSocket[];
  containers: ContainerRecord[];
  resources: ResourceSample[];
  counters: WorldCounters;
}

const DEDUPE_WINDOW = 1 << 16;

function zeroByKind(): Record<EventKind, number> {
  return Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
}

export class WorldState {
  readonly processes = new ProcessTable();
  readonly files = new FileTable();
  readonly containers = new ContainerTable();
  readonly flows = new FlowAggregator((ip) => this.containers.byAddress(ip)?.ref.name);
  readonly resources = new ResourceTable();
  readonly counters: WorldCounters = { events: 0, byKind: zeroByKind(), duplicates: 0, hostEvents: 0 };

  /** Containers seen for the first time since the last takeNewContainers() (metadata to fetch). */
  private newContainers: string[] = [];

  // Recently applied events by seq (a direct-mapped cache, no Map churn), to drop exact duplicates
  // (a replayed batch, a re-sent frame) in O(1). A slot is overwritten by a later seq; that only means
  // duplicates older than the window go undetected.
  private readonly ringSeq = new Float64Array(DEDUPE_WINDOW).fill(-1);
  private readonly ringTs = new Float64Array(DEDUPE_WINDOW);
  private readonly ringTgid = new Int32Array(DEDUPE_WINDOW);
  private readonly ringKind = new Uint8Array(DEDUPE_WINDOW);

  /** Applies one event; returns false when it was a duplicate and changed nothing. */
  apply(e: RuntimeEvent): boolean {
    if (this.isDuplicate(e)) {
      this.counters.duplicates++;
      return false;
    }
    this.counters.events++;
    this.counters.byKind[e.kind]++;
    const cid = e.containerId;
    if (cid === undefined) this.counters.hostEvents++;
    else if (this.containers.see(cid, e.ts)) this.newContainers.push(cid);
    const proc = this.processes.apply(e);
    const family = e.kind;
    if (family === 'exec' || family === 'fork' || family === 'exit') return true;
    this.files.apply(e, proc);
    this.flows.apply(e, proc.exe);
    return true;
  }

  /** Applies events in order; `after` sees each one right after it was applied (rules see the state as of that event). */
  applyBatch(events: readonly RuntimeEvent[], after?: (e: RuntimeEvent) => void): number {
    let applied = 0;
    for (let i = 0; i < events.length; i++) {
      if (this.apply(events[i])) applied++;
      after?.(events[i]);
    }
    return applied;
  }

  upsertContainer(detail: ContainerDetail | ContainerRef): void {
    const rec = this.containers.upsert(detail);
    if (rec.detail?.facts.pid) this.processes.setContainerInit(rec.id, rec.detail.facts.pid);
    this.flows.relink();
  }

  mergeDiff(containerId: string, diff: DockerDiffEntry[], ts = Date.now()): void {
    this.files.mergeDiff(containerId, diff, ts);
  }

  seedProcesses(seeds: ProcessSeed[]): void {
    this.processes.seed(seeds);
  }

  addResourceSample(s: ResourceSample): void {
    this.resources.add(s);
  }

  takeNewContainers(): string[] {
    if (this.newContainers.length === 0) return [];
    const out = this.newContainers;
    this.newContainers = [];
    return out;
  }

  takeDelta(): WorldDelta {
    const { flows, listening } = this.flows.takeDirty();
    return {
      processes: this.processes.takeDirty(),
      files: this.files.takeDirty(),
      flows,
      listening,
      containers: this.containers.takeDirty(),
      resources: this.resources.takeDirty(),
      counters: { ...this.counters, byKind: { ...this.counters.byKind } },
    };
  }

  private isDuplicate(e: RuntimeEvent): boolean {
    const kind = KIND_CODE[e.kind] + 1; // 0 marks an empty slot of the dedupe ring
    const slot = e.seq & (DEDUPE_WINDOW - 1);
    if (this.ringSeq[slot] === e.seq && this.ringTs[slot] === e.ts && this.ringTgid[slot] === e.tgid && this.ringKind[slot] === kind) {
      return true;
    }
    this.ringSeq[slot] = e.seq;
    this.ringTs[slot] = e.ts;
    this.ringTgid[slot] = e.tgid;
    this.ringKind[slot] = kind;
    return false;
  }
}

/** Merges a newer delta into an older one (for a consumer that fell behind): latest entry per identity wins. */
export function mergeDeltas(older: WorldDelta, newer: WorldDelta): { merged: WorldDelta; coalesced: number } {
  let coalesced = 0;
  const mergeBy = <T>(a: T[], b: T[], id: (x: T) => unknown): T[] => {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    const m = new Map<unknown, T>();
    for (const x of a) m.set(id(x), x);
    for (const x of b) {
      const k = id(x);
      if (m.has(k)) {
        coalesced++;
        m.delete(k); // re-insert so order reflects the latest change
      }
      m.set(k, x);
    }
    return [...m.values()];
  };
  const merged: WorldDelta = {
    processes: mergeBy(older.processes, newer.processes, (p) => p),
    files: mergeBy(older.files, newer.files, (f) => f),
    flows: mergeBy(older.flows, newer.flows, (f) => f),
    listening: mergeBy(older.listening, newer.listening, (l) => l),
    containers: mergeBy(older.containers, newer.containers, (c) => c),
    resources: [...older.resources, ...newer.resources],
    counters: newer.counters,
  };
  return { merged, coalesced };
}
