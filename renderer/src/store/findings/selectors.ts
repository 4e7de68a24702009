// Selectors over findings: filtered rows, and where a finding's evidence lives in the process tree, files and flows.
import { SEVERITY_RANK, type Finding, type Severity } from '../../../../electron/common/model/finding';
import type { Flow, ProcessNode } from '../../../../electron/common/model/process';
import type { LiveWorld } from '../live/slice';
import { processChangesSince } from '../live/slice';
import type { Scope, TimeWindow } from '../live/selectors';
import type { FindingFilter } from './slice';

/** Runtime findings plus posture findings of the given containers, filtered and sorted worst first. */
export function filterFindings(all: readonly Finding[], f: FindingFilter, scope: Scope, w?: TimeWindow): Finding[] {
  const q = f.text.trim().toLowerCase();
  const min = SEVERITY_RANK[f.minSeverity];
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const x of all) {
    if (seen.has(x.fingerprint)) continue;
    seen.add(x.fingerprint);
    if (SEVERITY_RANK[x.severity] < min) continue;
    if (f.status === 'open' ? x.status !== 'open' : f.status !== 'all' && x.status !== f.status) continue;
    if (f.source !== 'all' && x.source !== f.source) continue;
    if (f.onlySelected && scope && !scope.has(x.container.id)) continue;
    // Posture findings are about configuration, not a moment: a time window never hides them.
    if (w && x.source !== 'posture' && (x.first > w[1] || x.last < w[0])) continue;
    if (q && !`${x.ruleId} ${x.title} ${x.container.name} ${x.evidence.path ?? ''} ${x.evidence.endpoint ?? ''} ${x.mitre.join(' ')}`.toLowerCase().includes(q)) continue;
    out.push(x);
  }
  return out.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.last - a.last);
}

export function countBySeverity(list: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of list) c[f.severity]++;
  return c;
}

/** The MITRE ATT&CK page of a technique id ("T1059.004" → https://attack.mitre.org/techniques/T1059/004/). */
export function mitreUrl(id: string): string | undefined {
  const m = /^(T\d{4})(?:\.(\d{3}))?$/.exec(id.trim());
  if (!m) return undefined;
  return `https://attack.mitre.org/techniques/${m[1]}/${m[2] ? `${m[2]}/` : ''}`;
}

export interface EvidenceTarget {
  containerId: string;
  ts: number;
  processKey?: string;
  path?: string;
  fileKey?: string;
  flowKey?: string;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The process that was running `tgid` in a container at `ts` (pid reuse resolved by start/exit times). */
const tgidIndex = new WeakMap<LiveWorld['processes'], Map<number, ProcessNode[]>>();
/** The latest index, brought forward by the keys each revision changed rather than rebuilt per frame. */
let lastIndex: { world: Pick<LiveWorld, 'rev' | 'procLog' | 'processes'>; idx: Map<number, ProcessNode[]> } | undefined;

function byTgid(world: LiveWorld): Map<number, ProcessNode[]> {
  let idx = tgidIndex.get(world.processes);
  if (idx) return idx;
  const changes = lastIndex && lastIndex.world.processes.size <= world.processes.size ? processChangesSince(world, lastIndex.world.rev) : undefined;
  if (lastIndex && changes) {
    idx = lastIndex.idx;
    for (const k of changes) {
      const p = world.processes.get(k);
      if (!p) continue;
      const l = idx.get(p.tgid);
      if (!l) { idx.set(p.tgid, [p]); continue; }
      const i = l.findIndex((x) => x.key === k);
      if (i >= 0) l[i] = p;
      else l.push(p);
    }
  } else {
    idx = new Map();
    for (const p of world.processes.values()) {
      const l = idx.get(p.tgid);
      if (l) l.push(p);
      else idx.set(p.tgid, [p]);
    }
  }
  tgidIndex.set(world.processes, idx);
  lastIndex = { world, idx };
  return idx;
}

export function processAt(world: LiveWorld, containerId: string | undefined, tgid: number, ts: number): ProcessNode | undefined {
  let best: ProcessNode | undefined;
  for (const p of byTgid(world).get(tgid) ?? []) {
    if (p.tgid !== tgid || (containerId && p.containerId && p.containerId !== containerId)) continue;
    if (p.start > ts + 1) continue;
    if (p.exit !== undefined && p.exit < ts - 1) continue;
    if (!best || p.start > best.start) best = p;
  }
  return best;
}

/** Where a finding's evidence points: the acting process, the file and the flow, at the time it happened. */
export function locateEvidence(world: LiveWorld, f: Finding): EvidenceTarget {
  const ev = f.evidence.events[0] ?? {};
  const containerId = str(ev.containerId) ?? f.container.id;
  const ts = num(ev.ts) ?? f.first;
  const t: EvidenceTarget = { containerId, ts };
  const tgid = num(ev.tgid);
  if (tgid !== undefined) t.processKey = processAt(world, containerId, tgid, ts)?.key;
  const path = f.evidence.path ?? str(ev.newPath) ?? str(ev.path) ?? str(ev.filename);
  if (path) {
    t.path = path;
    const k = f.evidence.fileKey;
    if (k !== undefined && world.files.has(k)) t.fileKey = k;
    else if (k === undefined) {
      // A finding from before evidence carried keys (an older recording): the row the table keeps for that path.
      for (const fc of world.files.values()) if (fc.containerId === containerId && fc.path === path) { t.fileKey = fc.key; break; }
    }
  }
  const k = f.evidence.flowKey;
  if (k !== undefined) {
    if (world.flows.has(k)) t.flowKey = k;
  } else {
    // A finding from before evidence carried keys: the flow its event was counted in, matched by its fields.
    const daddr = str(ev.daddr);
    const kind = str(ev.kind);
    const proto = str(ev.proto) ?? 'tcp';
    let match: ((fl: Flow) => boolean) | undefined;
    if (daddr && kind === 'connect') {
      const dport = num(ev.dport);
      match = (fl) => fl.direction === 'outbound' && fl.proto === proto && fl.remoteAddr === daddr && fl.remotePort === dport;
    } else if (daddr && kind === 'accept') {
      const sport = num(ev.sport);
      match = (fl) => fl.direction === 'inbound' && fl.remoteAddr === daddr && (sport === undefined || fl.localPort === sport);
    } else if (f.evidence.endpoint) {
      const m = /^(.*):(\d+)$/.exec(f.evidence.endpoint);
      if (m) match = (fl) => fl.remoteAddr === m[1] && fl.remotePort === Number(m[2]);
    }
    if (match) for (const fl of world.flows.values()) if (fl.containerId === containerId && match(fl)) { t.flowKey = fl.key; break; }
  }
  if (!t.flowKey && t.processKey) {
    // An exec-based finding (netcat, a dropped binary) has no socket in its evidence: point at the first
    // connection that program made from that moment on.
    const p = world.processes.get(t.processKey)!;
    let best: [string, number] | undefined;
    for (const fl of world.flows.values()) {
      if (fl.containerId !== containerId || !fl.exes.includes(p.exe) || fl.last < ts - 1) continue;
      if (!best || fl.first < best[1]) best = [fl.key, fl.first];
    }
    t.flowKey = best?.[0];
  }
  return t;
}

/** The worst open finding per process key, to mark tree nodes by severity. */
export function severityByProcess(world: LiveWorld, findings: readonly Finding[]): Map<string, Severity> {
  const out = new Map<string, Severity>();
  for (const f of findings) {
    if (f.status !== 'open' || f.source === 'posture') continue;
    for (const ev of f.evidence.events) {
      const tgid = num(ev.tgid);
      const ts = num(ev.ts);
      if (tgid === undefined || ts === undefined) continue;
      const p = processAt(world, str(ev.containerId) ?? f.container.id, tgid, ts);
      if (!p) continue;
      const prev = out.get(p.key);
      if (!prev || SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev]) out.set(p.key, f.severity);
    }
  }
  return out;
}
