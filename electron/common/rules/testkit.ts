// Helpers for rule tests and benchmarks: build RuntimeEvents and an in-memory RuleContext by hand.
import type { RuntimeEvent } from '../model/event';
import type { RuleContext, RuleContainer, RuleProcess } from './context';

let seq = 0;
const BASE = { ts: 1_700_000_000_000, pid: 100, tgid: 100, ppid: 50, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 4026531840 };
export const CID = 'a'.repeat(64);

type Without<T> = T extends unknown ? Omit<T, 'seq' | 'ts' | 'pid' | 'tgid' | 'ppid' | 'uid' | 'gid' | 'comm' | 'cgroupId' | 'mntns'> : never;
/** An event with sensible defaults (container CID, pid 100, parent 50, root). */
export function ev<T extends Without<RuntimeEvent>>(e: T & Partial<RuntimeEvent>): RuntimeEvent {
  return { ...BASE, containerId: CID, seq: ++seq, ...e } as unknown as RuntimeEvent;
}

export class MemoryContext implements RuleContext {
  procs = new Map<number, RuleProcess>();
  containers = new Map<string, RuleContainer>();
  imageFiles = new Map<string, Set<string>>();
  written = new Map<string, Set<string>>();
  dns = new Map<string, string>();

  constructor() {
    this.containers.set(CID, { id: CID, name: 'web-1', image: 'nginx:1.25', imageDigest: 'sha256:abc', composeProject: 'shop', composeService: 'web' });
    this.addProc({ tgid: 1, ppid: 0, exe: '/usr/sbin/nginx', argv: ['nginx', '-g', 'daemon off;'], comm: 'nginx' });
    this.addProc({ tgid: 50, ppid: 1, exe: '/bin/bash', argv: ['bash'], comm: 'bash' });
    this.addProc({ tgid: 100, ppid: 50, exe: '/bin/sh', argv: ['sh', '-c', 'id'], comm: 'sh' });
  }
  addProc(p: RuleProcess): this { this.procs.set(p.tgid, p); return this; }
  process(tgid: number) { return this.procs.get(tgid); }
  container(id: string) { return this.containers.get(id); }
  fileInImage(cid: string, path: string) { const s = this.imageFiles.get(cid); return s ? s.has(path) : undefined; }
  fileWrittenSinceStart(cid: string, path: string) { return this.written.get(cid)?.has(path) ?? false; }
  dnsName(ip: string) { return this.dns.get(ip); }
}
