// Selectors over the live world: scope (containers) and time window filters, egress classification.
import type { FileChange, Flow, ListeningSocket, ProcessNode } from '../../../../electron/common/model/process';
import type { ContainerRef, ContainerSummary } from '../../../../electron/common/model/container';
import type { AppState } from '../index';
import type { LiveWorld } from './slice';

export type TimeWindow = readonly [number, number];

/** Container ids a view shows: undefined = all. */
export type Scope = ReadonlySet<string> | undefined;

const inScope = (scope: Scope, id: string | undefined) => !scope || (id !== undefined && scope.has(id));
const overlaps = (w: TimeWindow | undefined, first: number, last: number) => !w || (first <= w[1] && last >= w[0]);

export function processesIn(world: LiveWorld, scope: Scope, w?: TimeWindow): ProcessNode[] {
  const out: ProcessNode[] = [];
  for (const p of world.processes.values()) {
    if (inScope(scope, p.containerId) && overlaps(w, p.start, p.exit ?? Infinity)) out.push(p);
  }
  return out;
}

export function filesIn(world: LiveWorld, scope: Scope, w?: TimeWindow): FileChange[] {
  const out: FileChange[] = [];
  for (const f of world.files.values()) if (inScope(scope, f.containerId) && overlaps(w, f.first, f.last)) out.push(f);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function flowsIn(world: LiveWorld, scope: Scope, w?: TimeWindow): Flow[] {
  const out: Flow[] = [];
  for (const f of world.flows.values()) if (inScope(scope, f.containerId) && overlaps(w, f.first, f.last)) out.push(f);
  return out.sort((a, b) => b.count - a.count || a.remoteAddr.localeCompare(b.remoteAddr));
}

export function listeningIn(world: LiveWorld, scope: Scope): ListeningSocket[] {
  return [...world.listening.values()].filter((l) => inScope(scope, l.containerId)).sort((a, b) => a.port - b.port);
}

const PRIVATE = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^127\./, /^169\.254\./, /^::1$/, /^f[cd][0-9a-f]{2}:/i, /^fe80:/i];
export const isPrivateAddr = (a: string) => PRIVATE.some((r) => r.test(a));
const USUAL_PORTS = new Set([53, 80, 443, 123]);

export type EgressClass = 'container' | 'internal' | 'expected' | 'unexpected';

/** How surprising an outbound flow is: public endpoints without a DNS name or on unusual ports stand out. */
export function classifyFlow(f: Flow): { cls: EgressClass; reason: string } {
  if (f.direction === 'inbound') return { cls: 'internal', reason: 'inbound connection' };
  if (f.remoteContainer) return { cls: 'container', reason: `to container ${f.remoteContainer}` };
  if (f.proto === 'unix') return { cls: 'internal', reason: 'unix socket' };
  if (/^127\.|^::1$/.test(f.remoteAddr)) return { cls: 'internal', reason: 'loopback' };
  if (isPrivateAddr(f.remoteAddr)) {
    return USUAL_PORTS.has(f.remotePort) || f.remotePort < 1024 || f.dnsName
      ? { cls: 'internal', reason: 'private network' }
      : { cls: 'unexpected', reason: `private address on unusual port ${f.remotePort} with no DNS name` };
  }
  if (!f.dnsName) return { cls: 'unexpected', reason: 'public IP contacted without a DNS lookup' };
  if (!USUAL_PORTS.has(f.remotePort)) return { cls: 'unexpected', reason: `unusual port ${f.remotePort}` };
  return { cls: 'expected', reason: 'named host on a common port' };
}

export interface EgressRow {
  destination: string;
  addrs: string[];
  ports: number[];
  count: number;
  failures: number;
  unexpected: boolean;
  reasons: string[];
}

/** Outbound traffic per destination (DNS name, container or address) with its ports; unexpected rows first. */
export function egressSummary(flows: readonly Flow[]): EgressRow[] {
  const by = new Map<string, EgressRow>();
  for (const f of flows) {
    if (f.direction !== 'outbound') continue;
    const dest = f.remoteContainer ?? f.dnsName ?? f.remoteAddr;
    let r = by.get(dest);
    if (!r) by.set(dest, (r = { destination: dest, addrs: [], ports: [], count: 0, failures: 0, unexpected: false, reasons: [] }));
    if (!r.addrs.includes(f.remoteAddr)) r.addrs.push(f.remoteAddr);
    if (!r.ports.includes(f.remotePort)) r.ports.push(f.remotePort);
    r.count += f.count;
    r.failures += f.failures;
    const c = classifyFlow(f);
    if (c.cls === 'unexpected') {
      r.unexpected = true;
      if (!r.reasons.includes(c.reason)) r.reasons.push(c.reason);
    }
  }
  return [...by.values()].sort((a, b) => Number(b.unexpected) - Number(a.unexpected) || b.count - a.count);
}

/** Containers in the selected container's scope: itself, its compose service, or its compose project. */
export type ScopeMode = 'container' | 'service' | 'project' | 'all';

export function scopeFor(s: Pick<AppState, 'containers' | 'selectedId'>, mode: ScopeMode): Scope {
  if (mode === 'all') return undefined;
  const c = s.selectedId ? s.containers[s.selectedId] : undefined;
  // A recorded container Docker no longer lists: its compose siblings are not knowable from the catalog.
  if (!c) return new Set(s.selectedId ? [s.selectedId] : []);
  if (mode === 'container' || !c.composeProject) return new Set([c.id]);
  const ids = Object.values(s.containers)
    .filter((o) => o.composeProject === c.composeProject && (mode === 'project' || o.composeService === c.composeService))
    .map((o) => o.id);
  return new Set(ids);
}

export const selectLive = (s: AppState) => s.live;

/** Containers seen in the session that Docker no longer lists (a replayed recording's), as catalog-like rows. */
let lastRefs: LiveWorld['refs'] | undefined;
let lastCatalog: AppState['containers'] | undefined;
let lastRecorded: ContainerSummary[] = [];
export const selectRecordedOnly = (s: AppState): ContainerSummary[] => {
  if (s.live.refs !== lastRefs || s.containers !== lastCatalog) {
    lastRefs = s.live.refs;
    lastCatalog = s.containers;
    lastRecorded = [...s.live.refs.values()].filter((r) => !s.containers[r.id]).map(summaryOfRef);
  }
  return lastRecorded;
};

export function summaryOfRef(r: ContainerRef): ContainerSummary {
  return {
    id: r.id, name: r.name, image: r.image, imageId: r.imageDigest ?? '', state: 'exited', status: 'in recording', createdAt: 0,
    ports: [], labels: {}, composeProject: r.composeProject, composeService: r.composeService,
  };
}
