// Rule matches → deduplicated Findings with evidence, keyed by a stable fingerprint (integrations.md §0).
import type { RuntimeEvent } from '../model/event';
import type { Evidence, Finding, FindingStatus } from '../model/finding';
import type { RuleContext, RuleProcess } from './context';
import type { RuleMatch } from './engine';
import { parseImageRef } from './fields';
import { sha256Hex } from './sha256';

export interface FindingTrackerOptions {
  /** Events kept as evidence per finding (the first ones; later repeats only count). */
  maxEvidenceEvents?: number;
  /** Hex SHA-256 of a string; defaults to the pure implementation. Node callers may pass node:crypto. */
  hash?: (s: string) => string;
}

/** The image part of a fingerprint: repo@digest when known (stable across retags), else repo:tag. */
export function imageKey(image: string, digest?: string): string {
  const { repository } = parseImageRef(image);
  if (digest) return `${repository}@${digest}`;
  return image;
}

/** What a finding is about, without pids, container ids or times: exe, file, or endpoint. */
export function evidenceKey(ev: RuntimeEvent, ctx: RuleContext): string {
  switch (ev.kind) {
    case 'exec': return ev.filename;
    case 'open': case 'unlink': case 'mkdir': case 'chroot': case 'umount': case 'chmod': case 'chown': case 'mount':
      return ev.path;
    case 'rename': case 'link': case 'symlink': return ev.newPath;
    case 'connect': return ev.family === 'unix' ? ev.unixPath ?? '' : `${ev.daddr ?? ''}:${ev.dport ?? ''}`;
    case 'bind': case 'listen': case 'accept': return ev.family === 'unix' ? ev.unixPath ?? '' : `:${ev.sport ?? ''}`;
    case 'dns': return ev.qname;
    case 'module': return ev.name;
    case 'memfd': return ctx.process(ev.tgid)?.exe ?? ev.comm;
    default: return ctx.process(ev.tgid)?.exe ?? ev.comm;
  }
}

export function fingerprint(parts: string[], hash: (s: string) => string = sha256Hex): string {
  return hash(parts.join('|'));
}

/** Ancestry of the acting process, outermost first. */
export function ancestryOf(ev: RuntimeEvent, ctx: RuleContext, max = 16): Evidence['ancestry'] {
  const chain: Array<{ pid: number; exe: string; cmdline: string }> = [];
  const self = ev.kind === 'exec'
    ? { pid: ev.tgid, exe: ev.filename, cmdline: ev.argv.join(' ') }
    : (() => { const p = ctx.process(ev.tgid); return p ? { pid: p.tgid, exe: p.exe, cmdline: p.argv.join(' ') } : { pid: ev.tgid, exe: ev.comm, cmdline: ev.comm }; })();
  chain.push(self);
  let pid = ev.ppid;
  const seen = new Set<number>([ev.tgid]);
  while (pid && chain.length < max && !seen.has(pid)) {
    seen.add(pid);
    const p: RuleProcess | undefined = ctx.process(pid);
    if (!p) break;
    chain.push({ pid: p.tgid, exe: p.exe, cmdline: p.argv.join(' ') });
    pid = p.ppid;
  }
  return chain.reverse();
}

function eventRecord(ev: RuntimeEvent): Record<string, unknown> {
  return { ...ev };
}

function endpointOf(ev: RuntimeEvent): string | undefined {
  if (ev.kind === 'connect' || ev.kind === 'accept') return ev.family === 'unix' ? ev.unixPath : `${ev.daddr}:${ev.dport}`;
  if (ev.kind === 'bind' || ev.kind === 'listen') return ev.family === 'unix' ? ev.unixPath : `${ev.saddr ?? '0.0.0.0'}:${ev.sport}`;
  if (ev.kind === 'dns') return `${ev.qname} via ${ev.daddr}:${ev.dport}`;
  return undefined;
}

function pathOf(ev: RuntimeEvent): string | undefined {
  switch (ev.kind) {
    case 'exec': return ev.filename;
    case 'open': case 'unlink': case 'mkdir': case 'chroot': case 'umount': case 'chmod': case 'chown': case 'mount': return ev.path;
    case 'rename': case 'link': case 'symlink': return ev.newPath;
    default: return undefined;
  }
}

/** Accumulates findings; one per fingerprint, counting repeats. */
export class FindingTracker {
  private byKey = new Map<string, Finding>();
  private byFp = new Map<string, Finding>();
  private maxEvents: number;
  private hash: (s: string) => string;

  constructor(opts: FindingTrackerOptions = {}) {
    this.maxEvents = opts.maxEvidenceEvents ?? 5;
    this.hash = opts.hash ?? sha256Hex;
  }

  /** Records a match; returns the finding and whether it is new. */
  observe(m: RuleMatch, ctx: RuleContext): { finding: Finding; isNew: boolean } {
    const ev = m.event;
    const c = ev.containerId ? ctx.container(ev.containerId) : undefined;
    const image = c?.image ?? (ev.containerId ? 'unknown' : 'host');
    const key = `${m.rule.name}|${imageKey(image, c?.imageDigest)}|${evidenceKey(ev, ctx)}`;
    const known = this.byKey.get(key);
    if (known) {
      known.count++;
      if (ev.ts < known.first) known.first = ev.ts;
      if (ev.ts > known.last) known.last = ev.ts;
      if (known.evidence.events.length < this.maxEvents) known.evidence.events.push(eventRecord(ev));
      return { finding: known, isNew: false };
    }
    const path = pathOf(ev);
    const fileKey = path !== undefined && ev.containerId !== undefined ? ctx.fileKey?.(ev.containerId, path) : undefined;
    const flowKey = ctx.flowKey?.(ev);
    const finding: Finding = {
      fingerprint: this.hash(key),
      ruleId: m.rule.name,
      title: c ? `${m.rule.name} in ${c.name}` : m.rule.name,
      source: 'runtime',
      severity: m.rule.severity,
      mitre: m.rule.mitre,
      why: m.rule.why,
      fix: m.rule.fix,
      container: { id: ev.containerId ?? 'host', name: c?.name ?? (ev.containerId ? ev.containerId.slice(0, 12) : 'host'), image, imageDigest: c?.imageDigest },
      composeProject: c?.composeProject,
      composeService: c?.composeService,
      evidence: {
        events: [eventRecord(ev)],
        ancestry: ancestryOf(ev, ctx),
        path,
        endpoint: endpointOf(ev),
        ...(fileKey !== undefined ? { fileKey } : {}),
        ...(flowKey !== undefined ? { flowKey } : {}),
        output: m.rule.output.render(ev, ctx),
      },
      count: 1,
      first: ev.ts,
      last: ev.ts,
      status: 'open',
    };
    this.byKey.set(key, finding);
    this.byFp.set(finding.fingerprint, finding);
    return { finding, isNew: true };
  }

  /** Adds or refreshes a finding made elsewhere (posture checks); keeps status and first-seen. */
  upsert(f: Finding): { finding: Finding; isNew: boolean } {
    const known = this.byFp.get(f.fingerprint);
    if (known) {
      known.last = Math.max(known.last, f.last);
      known.evidence = f.evidence;
      return { finding: known, isNew: false };
    }
    this.byFp.set(f.fingerprint, f);
    return { finding: f, isNew: true };
  }

  setStatus(fp: string, status: FindingStatus): boolean {
    const f = this.byFp.get(fp);
    if (!f) return false;
    f.status = status;
    return true;
  }

  get(fp: string): Finding | undefined {
    return this.byFp.get(fp);
  }

  list(): Finding[] {
    return [...this.byFp.values()];
  }
}
