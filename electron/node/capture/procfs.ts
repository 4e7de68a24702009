// Seeds the process table from /proc (Linux, engine on the host): processes that started before capture.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { ProcessSeed } from '../../common/state/processTable';

let bootTimeMs: number | undefined;
const CLK_TCK = 100; // USER_HZ is 100 on every Linux ABI Docker runs on.

function bootTime(): number {
  if (bootTimeMs === undefined) {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
    bootTimeMs = Number(line?.split(' ')[1] ?? 0) * 1000;
  }
  return bootTimeMs;
}

/** Reads one process from /proc; undefined if it is gone or unreadable. */
export function readProc(pid: number, procRoot = '/proc'): ProcessSeed | undefined {
  try {
    const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields after it start after the last ')'.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const ppid = Number(rest[1]);
    const startTicks = Number(rest[19]);
    const argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter((x, i, a) => x !== '' || i < a.length - 1);
    let exe = argv[0] ?? comm;
    try { exe = readlinkSync(`${procRoot}/${pid}/exe`); } catch { /* kernel threads, permission */ }
    let cwd: string | undefined;
    try { cwd = readlinkSync(`${procRoot}/${pid}/cwd`); } catch { /* gone */ }
    const uidLine = readFileSync(`${procRoot}/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
    const uid = Number(uidLine?.split(/\s+/)[1] ?? 0);
    // Rounded to whole ms so the same process seeds the same key every time.
    const start = Math.round(bootTime() + (startTicks * 1000) / CLK_TCK);
    return { tgid: pid, ppid, exe, argv, cwd, uid, comm, start };
  } catch {
    return undefined;
  }
}

/** The processes of a container (by cgroup) plus all their host ancestors (containerd-shim, init). */
export function seedContainer(containerId: string, procRoot = '/proc'): ProcessSeed[] {
  const seeds = new Map<number, ProcessSeed>();
  let pids: string[] = [];
  try { pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d)); } catch { return []; }
  for (const d of pids) {
    let cg: string;
    try { cg = readFileSync(`${procRoot}/${d}/cgroup`, 'utf8'); } catch { continue; }
    if (!cg.includes(containerId)) continue;
    const p = readProc(Number(d), procRoot);
    if (p) seeds.set(p.tgid, { ...p, containerId });
  }
  // Walk up from every container process to pid 1, so ancestry reaches the runtime.
  for (const s of [...seeds.values()]) {
    let ppid = s.ppid;
    while (ppid > 0 && !seeds.has(ppid)) {
      const p = readProc(ppid, procRoot);
      if (!p) break;
      seeds.set(p.tgid, p);
      ppid = p.ppid;
    }
  }
  return [...seeds.values()];
}
