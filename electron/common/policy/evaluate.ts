// Checks what containers did against glasshouse.yaml and turns each violation into a Finding (source 'policy').
import type { ContainerRef } from '../model/container';
import type { Finding, Severity } from '../model/finding';
import type { FileChange, Flow, ProcessNode } from '../model/process';
import { fingerprint, imageKey } from '../rules/findings';
import type { EgressRule, PatternRule, Policy, ServicePolicy } from './policy';

export interface PolicyObservations {
  containers: ContainerRef[];
  processes: ProcessNode[];
  flows: Flow[];
  fileChanges: FileChange[];
}

export interface PolicyOptions {
  /** Hex SHA-256; defaults to the pure implementation used by the rules engine. */
  hash?: (s: string) => string;
}

/** `**` spans directories, `*` and `?` stay within one path segment; everything else is literal. */
export function globToRegExp(glob: string, sep = '/'): RegExp {
  const s = sep.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === sep) { i++; re += `(?:.*${s})?`; } else re += '.*';
    } else if (c === '*') re += `[^${s}]*`;
    else if (c === '?') re += `[^${s}]`;
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A process pattern with a slash matches the full path, otherwise the program name. */
export function processAllowed(exe: string, rules: PatternRule[]): boolean {
  const base = exe.slice(exe.lastIndexOf('/') + 1);
  return rules.some((r) => globToRegExp(r.text).test(r.text.includes('/') ? exe : base));
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function inCidr(addr: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const a = ipv4(addr);
  const n = ipv4(net);
  const bits = Number(bitsText);
  if (a === undefined || n === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

/** Loopback inside a container never leaves it (this includes Docker's embedded DNS at 127.0.0.11). */
function isLoopback(addr: string): boolean {
  return addr === '::1' || (ipv4(addr) !== undefined && inCidr(addr, '127.0.0.0/8'));
}

export function egressAllowed(flow: Flow, rules: EgressRule[], remoteService?: string): boolean {
  if (isLoopback(flow.remoteAddr)) return true;
  return rules.some((r) => {
    if (r.port !== undefined && r.port !== flow.remotePort) return false;
    const h = r.host;
    if (h === '*') return true;
    if (h.includes('/')) return inCidr(flow.remoteAddr, h);
    if (ipv4(h) !== undefined || h.includes(':')) return h === flow.remoteAddr;
    const names = [flow.dnsName, flow.remoteContainer, remoteService].filter((x): x is string => !!x);
    const re = globToRegExp(h.toLowerCase(), '\u0000');
    return names.some((n) => re.test(n.toLowerCase()));
  });
}

export function writeAllowed(path: string, rules: PatternRule[]): boolean {
  return rules.some((r) => globToRegExp(r.text).test(path));
}

function serviceOf(c: ContainerRef): string { return c.composeService ?? c.name; }

interface Violation {
  ruleId: 'policy.process' | 'policy.egress' | 'policy.write';
  container: ContainerRef;
  sp: ServicePolicy;
  key: string;
  first: number;
  last: number;
  count: number;
  ancestry?: Finding['evidence']['ancestry'];
  path?: string;
  endpoint?: string;
  /** The view-model row the violation was first seen in (its state-table key). */
  fileKey?: string;
  flowKey?: string;
  events: Array<Record<string, unknown>>;
}

function ancestry(p: ProcessNode | undefined, byKey: Map<string, ProcessNode>) {
  const out: Array<{ pid: number; exe: string; cmdline: string }> = [];
  const seen = new Set<string>();
  for (let cur = p; cur && !seen.has(cur.key) && out.length < 16; cur = cur.parentKey ? byKey.get(cur.parentKey) : undefined) {
    seen.add(cur.key);
    out.push({ pid: cur.tgid, exe: cur.exe, cmdline: cur.argv.join(' ') });
  }
  return out.length ? out.reverse() : undefined;
}

const WHAT: Record<Violation['ruleId'], { field: string; title: (k: string) => string; why: (svc: string, allowed: string) => string; mitre: string[] }> = {
  'policy.process': {
    field: 'processes', mitre: [],
    title: (k) => `Process not allowed by policy: ${k}`,
    why: (svc, allowed) => `glasshouse.yaml allows service ${svc} to run only: ${allowed || 'nothing'}.`,
  },
  'policy.egress': {
    field: 'egress', mitre: [],
    title: (k) => `Outbound connection not allowed by policy: ${k}`,
    why: (svc, allowed) => `glasshouse.yaml allows service ${svc} to connect only to: ${allowed || 'nothing'}.`,
  },
  'policy.write': {
    field: 'writes', mitre: [],
    title: (k) => `File write not allowed by policy: ${k}`,
    why: (svc, allowed) => `glasshouse.yaml allows service ${svc} to write only below: ${allowed || 'nothing'}.`,
  },
};

/** Every behaviour outside a service's allow-lists becomes one finding per (container, program | endpoint | path). */
export function evaluatePolicy(policy: Policy, obs: PolicyObservations, opts: PolicyOptions = {}): Finding[] {
  const byId = new Map(obs.containers.map((c) => [c.id, c]));
  const byKey = new Map(obs.processes.map((p) => [p.key, p]));
  const byName = new Map(obs.containers.map((c) => [c.name, c]));
  const viol = new Map<string, Violation>();
  const add = (v: Omit<Violation, 'count' | 'events'> & { event: Record<string, unknown> }) => {
    const k = `${v.ruleId}|${v.container.id}|${v.key}`;
    const known = viol.get(k);
    if (known) {
      known.count++;
      known.first = Math.min(known.first, v.first);
      known.last = Math.max(known.last, v.last);
      if (known.events.length < 5) known.events.push(v.event);
      return;
    }
    const { event, ...rest } = v;
    viol.set(k, { ...rest, count: 1, events: [event] });
  };
  const policyFor = (containerId?: string) => {
    const c = containerId ? byId.get(containerId) : undefined;
    const sp = c ? policy.services.get(serviceOf(c)) ?? policy.services.get(c.name) : undefined;
    return c && sp ? { c, sp } : undefined;
  };

  for (const p of obs.processes) {
    const hit = policyFor(p.containerId);
    if (!hit?.sp.processes || processAllowed(p.exe, hit.sp.processes)) continue;
    add({ ruleId: 'policy.process', container: hit.c, sp: hit.sp, key: p.exe, first: p.start, last: p.start,
      ancestry: ancestry(p, byKey), path: p.exe, event: { kind: 'exec', filename: p.exe, argv: p.argv, pid: p.tgid, ts: p.start } });
  }
  for (const f of obs.flows) {
    if (f.direction !== 'outbound' || f.proto === 'unix') continue;
    const hit = policyFor(f.containerId);
    if (!hit?.sp.egress) continue;
    const remote = f.remoteContainer ? byName.get(f.remoteContainer) : undefined;
    if (egressAllowed(f, hit.sp.egress, remote ? serviceOf(remote) : undefined)) continue;
    const endpoint = `${f.dnsName ?? f.remoteContainer ?? f.remoteAddr}:${f.remotePort}`;
    add({ ruleId: 'policy.egress', container: hit.c, sp: hit.sp, key: `${f.remoteAddr}:${f.remotePort}`, first: f.first, last: f.last, flowKey: f.key,
      endpoint: f.dnsName || f.remoteContainer ? `${endpoint} (${f.remoteAddr})` : endpoint,
      event: { kind: 'connect', proto: f.proto, daddr: f.remoteAddr, dport: f.remotePort, exes: f.exes, count: f.count } });
  }
  for (const fc of obs.fileChanges) {
    const hit = policyFor(fc.containerId);
    if (!hit?.sp.writes || writeAllowed(fc.path, hit.sp.writes)) continue;
    const proc = fc.processKey ? byKey.get(fc.processKey) : undefined;
    add({ ruleId: 'policy.write', container: hit.c, sp: hit.sp, key: fc.path, first: fc.first, last: fc.last, path: fc.path, fileKey: fc.key,
      ancestry: ancestry(proc, byKey), event: { kind: 'write', path: fc.path, kinds: fc.kinds, exe: fc.exe } });
  }

  return [...viol.values()].map((v) => {
    const w = WHAT[v.ruleId];
    const list = v.sp[w.field as 'processes' | 'egress' | 'writes'] ?? [];
    const svc = serviceOf(v.container);
    const display = v.ruleId === 'policy.egress' ? (v.endpoint ?? v.key) : v.key;
    const suggestion = v.ruleId === 'policy.egress' ? v.key : v.ruleId === 'policy.write' ? v.key : v.key;
    return {
      fingerprint: fingerprint([v.ruleId, imageKey(v.container.image, v.container.imageDigest), v.key], opts.hash),
      ruleId: v.ruleId,
      title: w.title(display),
      source: 'policy',
      severity: v.sp.severity as Severity,
      mitre: w.mitre,
      why: w.why(svc, list.map((r) => r.text).join(', ')),
      fix: `Stop the behaviour, or if it is expected add "${suggestion}" to services.${v.sp.service}.${w.field} in ${policy.file} (line ${v.sp.line}).`,
      container: { id: v.container.id, name: v.container.name, image: v.container.image, imageDigest: v.container.imageDigest },
      composeProject: v.container.composeProject,
      composeService: v.container.composeService,
      evidence: {
        events: v.events,
        ...(v.ancestry ? { ancestry: v.ancestry } : {}),
        ...(v.path ? { path: v.path } : {}),
        ...(v.endpoint ? { endpoint: v.endpoint } : {}),
        ...(v.fileKey ? { fileKey: v.fileKey } : {}),
        ...(v.flowKey ? { flowKey: v.flowKey } : {}),
      },
      count: v.count,
      first: v.first,
      last: v.last,
      status: 'open',
    } satisfies Finding;
  });
}
