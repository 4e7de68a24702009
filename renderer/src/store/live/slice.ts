// Live slice: the engine's view models (processes, files, flows, sockets, resources) accumulated from live frames.
import type { StateCreator } from 'zustand';
import type { LiveFrame, LossCounters } from '../../../../electron/common/ipc/contract';
import type { RuntimeEvent } from '../../../../electron/common/model/event';
import type { ContainerRef } from '../../../../electron/common/model/container';
import type { FileChange, Flow, ListeningSocket, ProcessNode, ResourceSample } from '../../../../electron/common/model/process';
import type { WorldCounters } from '../../../../electron/common/state/worldState';
import type { AppState } from '../index';
import { mergeFindings } from '../findings/slice';
import { LayeredMap } from './layeredMap';

/** Raw events kept for the timeline and evidence (the engine already caps each frame's tail). */
export const TAIL_CAP = 5000;
/** Resource samples kept per container (1 Hz: ten minutes). */
export const RESOURCE_CAP = 600;

export interface LiveWorld {
  /** Bumped on every applied frame, so views can memoise on it. */
  rev: number;
  processes: LayeredMap<ProcessNode>;
  files: LayeredMap<FileChange>;
  flows: LayeredMap<Flow>;
  listening: LayeredMap<ListeningSocket>;
  resources: Map<string, ResourceSample[]>;
  /** Containers the engine learned about during capture (a recording's may no longer exist in Docker). */
  refs: Map<string, ContainerRef>;
  tail: RuntimeEvent[];
  counters?: WorldCounters;
  loss?: LossCounters;
  frames: number;
  coalesced: number;
  dropped: number;
  /** Latest time seen in any model (ms epoch): the live edge of the timeline. */
  lastTs: number;
  firstTs: number;
  /**
   * Which processes each of the latest revisions changed, so derived structures (the tree layout, the tgid index)
   * update only those instead of walking every process per frame. Bounded; older revisions need a full rebuild.
   */
  procLog: ReadonlyArray<{ rev: number; keys: readonly string[] }>;
}

/** Revisions kept in procLog: a consumer further behind than this rebuilds from the whole map. */
export const PROC_LOG_CAP = 64;

/** Keys of the processes changed after revision `since` (up to the world's rev); undefined when the log no longer reaches back. */
export function processChangesSince(w: Pick<LiveWorld, 'rev' | 'procLog'>, since: number): string[] | undefined {
  if (since === w.rev) return [];
  if (since > w.rev) return undefined;
  // Revisions without process changes leave no entry; once the log has been cut, it reaches back to its first entry.
  if (w.procLog.length >= PROC_LOG_CAP && since < w.procLog[0].rev - 1) return undefined;
  const out: string[] = [];
  for (const e of w.procLog) if (e.rev > since) for (const k of e.keys) out.push(k);
  return out;
}

/** Rows are keyed by the identity the engine's state tables gave them (never rebuilt here): an update replaces its row. */
const byKey = (x: { key: string }): string => x.key;

export function emptyWorld(): LiveWorld {
  return {
    rev: 0, processes: LayeredMap.empty(), files: LayeredMap.empty(), flows: LayeredMap.empty(), listening: LayeredMap.empty(), resources: new Map(), refs: new Map(),
    tail: [], frames: 0, coalesced: 0, dropped: 0, lastTs: 0, firstTs: 0, procLog: [],
  };
}

/** Copy-on-write upsert: the previous map stays untouched so React sees a new identity only where data changed. */
/** Applies one live frame to the world; pure (the input world is not mutated). */
export function reduceFrame(w: LiveWorld, f: Pick<LiveFrame, 'delta' | 'tail' | 'loss' | 'coalesced' | 'dropped' | 'ts'>): LiveWorld {
  const d = f.delta;
  let lo = w.firstTs || Infinity;
  let hi = w.lastTs;
  const see = (t: number | undefined) => {
    if (t === undefined || !Number.isFinite(t) || t <= 0) return;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  };
  // Processes seeded from /proc started before the capture: their start would stretch the timeline back to boot.
  for (const p of d.processes) { if (!p.seeded) see(p.start); see(p.exit); }
  for (const x of d.files) { see(x.first); see(x.last); }
  for (const x of d.flows) { see(x.first); see(x.last); }
  for (const x of d.resources) see(x.ts);
  for (const e of f.tail) see(e.ts);

  let resources = w.resources;
  if (d.resources.length) {
    resources = new Map(w.resources);
    const touched = new Set<string>();
    for (const s of d.resources) {
      let h = resources.get(s.containerId);
      if (!touched.has(s.containerId)) {
        h = h ? h.slice() : [];
        touched.add(s.containerId);
        resources.set(s.containerId, h);
      }
      const last = h![h!.length - 1];
      if (last && last.ts === s.ts) h![h!.length - 1] = s;
      else if (!last || last.ts < s.ts) h!.push(s);
    }
    for (const id of touched) {
      const h = resources.get(id)!;
      if (h.length > RESOURCE_CAP) resources.set(id, h.slice(h.length - RESOURCE_CAP));
    }
  }
  let refs = w.refs;
  if (d.containers.length) {
    refs = new Map(w.refs);
    for (const c of d.containers) refs.set(c.id, c.ref);
  }
  let tail = w.tail;
  if (f.tail.length) {
    tail = w.tail.length + f.tail.length > TAIL_CAP ? [...w.tail, ...f.tail].slice(-TAIL_CAP) : w.tail.concat(f.tail);
  }
  let procLog = w.procLog;
  if (d.processes.length) {
    procLog = w.procLog.length >= PROC_LOG_CAP ? w.procLog.slice(1 - PROC_LOG_CAP) : w.procLog.slice();
    (procLog as Array<{ rev: number; keys: readonly string[] }>).push({ rev: w.rev + 1, keys: d.processes.map((p) => p.key) });
  }
  return {
    rev: w.rev + 1,
    procLog,
    processes: w.processes.with(d.processes, byKey),
    files: w.files.with(d.files, byKey),
    flows: w.flows.with(d.flows, byKey),
    listening: w.listening.with(d.listening, byKey),
    resources,
    refs,
    tail,
    counters: d.counters ?? w.counters,
    loss: f.loss ?? w.loss,
    frames: w.frames + 1,
    coalesced: f.coalesced,
    dropped: f.dropped,
    firstTs: lo === Infinity ? 0 : lo,
    lastTs: hi,
  };
}

export interface LiveSlice {
  live: LiveWorld;
  /** The live subscription of this window, once made. */
  subId: string | undefined;
  /** Applies a frame of this window's subscription (frames of other subscriptions are ignored). */
  applyLiveFrame(frame: LiveFrame): void;
  setSubId(subId: string | undefined): void;
  /** A new session starts from an empty world. */
  resetLive(): void;
}

/** Frames are folded into the store at most this often: views re-render ≤ 10×/s however fast the engine sends. */
export const APPLY_INTERVAL_MS = 100;
/** Above this many processes frames are folded at most 4×/s, above HUGE_WORLD 2.5×/s (a fold re-lays the tree out). */
export const BIG_WORLD = 5000;
export const APPLY_INTERVAL_BIG_MS = 250;
export const HUGE_WORLD = 20_000;
export const APPLY_INTERVAL_HUGE_MS = 400;
const foldInterval = (processes: number) => (processes > HUGE_WORLD ? APPLY_INTERVAL_HUGE_MS : processes > BIG_WORLD ? APPLY_INTERVAL_BIG_MS : APPLY_INTERVAL_MS);

export const createLiveSlice: StateCreator<AppState, [], [], LiveSlice> = (set, get) => {
  let pending: LiveFrame[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const frames = pending;
    pending = [];
    const sub = get().subId;
    set((s) => {
      let live = s.live;
      let findings = s.findings;
      for (const f of frames) {
        if (f.subId !== sub) continue;
        live = reduceFrame(live, f);
        if (f.findings.length) findings = mergeFindings(findings, f.findings);
      }
      return { live, findings };
    });
  };
  return {
    live: emptyWorld(),
    subId: undefined,
    applyLiveFrame: (frame) => {
      if (frame.subId !== get().subId) return;
      pending.push(frame);
      // A big world costs more per fold (tree layout, map copies): fold less often so frames stay smooth.
      timer ??= setTimeout(flush, foldInterval(get().live.processes.size));
    },
    setSubId: (subId) => set({ subId }),
    resetLive: () => {
      pending = [];
      set({ live: emptyWorld(), findings: {} });
    },
  };
};
