// Process tree per container from fork/exec/exit events: ancestry, exec lineage, folded threads, pid reuse.
import type { ProcessNode } from '../model/process';
import type { RuntimeEvent } from '../model/event';

/** A process known before capture started (from /proc or `docker top`). */
export interface ProcessSeed {
  tgid: number;
  ppid: number;
  exe: string;
  argv: string[];
  cwd?: string;
  uid: number;
  comm: string;
  /** Start time, ms epoch (from /proc starttime); part of the key, so it must be stable. */
  start: number;
  containerId?: string;
}

/**
 * Late events (per-CPU buffers drain out of order) may arrive after the exit of the process that made them;
 * within this window they are attributed to the exited process rather than creating a new one.
 */
const LATE_EVENT_SLACK_MS = 2_000;
/** Exec lineage entries kept per process (the first program and the latest ones). */
export const LINEAGE_CAP = 32;

/** Internal bookkeeping beside the view model, so ProcessNode stays a plain serialisable object. */
interface ProcRecord {
  node: ProcessNode;
  /** The current program came from an exec we saw (not inherited through fork). */
  execed: boolean;
  lastExecTs: number;
  children: ProcRecord[] | undefined;
}

export class ProcessTable {
  private readonly records = new Map<string, ProcRecord>();
  /** The latest process per tgid, live or recently exited. */
  private readonly byTgid = new Map<number, ProcRecord>();
  private readonly rootsByContainer = new Map<string, ProcRecord[]>();
  private readonly initByContainer = new Map<string, ProcRecord>();
  /** Host pid of each container's init (inspect State.Pid), known before its process may be seen. */
  private readonly initPidByContainer = new Map<string, number>();
  private readonly countByContainer = new Map<string, number>();
  /** Processes changed since the last takeDirty(). */
  private dirty = new Set<ProcessNode>();

  get size(): number {
    return this.records.size;
  }

  /** Applies one event and returns the process that acted (after the event), or undefined for failed execs. */
  apply(e: RuntimeEvent): ProcessNode {
    const rec = this.acting(e);
    switch (e.kind) {
      case 'fork':
        if (e.thread) {
          if (e.childTgid === e.tgid || e.childTgid === 0) {
            rec.node.threads = (rec.node.threads ?? 0) + 1;
            this.dirty.add(rec.node);
          }
        } else {
          this.fork(rec, e.childTgid, e.ts, e.containerId);
        }
        break;
      case 'exec':
        if (e.ret === 0 || e.ret === undefined) this.exec(rec, e.ts, e.filename, e.argv, e.cwd, e.uid);
        break;
      case 'exit':
        // the helper flags every exit but the last thread's; the last may be any thread (leader gone first)
        if (e.thread) {
          if (rec.node.threads) {
            rec.node.threads--;
            this.dirty.add(rec.node);
          }
        } else if (rec.node.exit === undefined) {
          rec.node.exit = e.ts;
          rec.node.exitCode = e.code;
          rec.node.exitSignal = e.signal;
          this.dirty.add(rec.node);
        }
        break;
      default:
        break;
    }
    return rec.node;
  }

  /** Adds processes that existed before capture; an already observed live process with that pid wins. */
  seed(seeds: ProcessSeed[]): void {
    // Parents first, so each seeded child links to its seeded parent.
    const ordered = [...seeds].sort((a, b) => a.start - b.start || a.tgid - b.tgid);
    for (const s of ordered) {
      const key = `${s.tgid}@${s.start}`;
      if (this.records.has(key)) continue;
      const live = this.byTgid.get(s.tgid);
      if (live && live.node.exit === undefined && live.node.start >= s.start) {
        // Observed before the seed arrived: enrich rather than duplicate.
        if (live.node.inferred) {
          live.node.exe = s.exe;
          live.node.argv = s.argv;
          live.node.cwd ??= s.cwd;
          this.dirty.add(live.node);
        }
        continue;
      }
      const node: ProcessNode = {
        key, tgid: s.tgid, ppid: s.ppid, exe: s.exe, argv: s.argv, cwd: s.cwd, uid: s.uid, comm: s.comm,
        start: s.start, lineage: [], seeded: true,
      };
      const rec = this.insert(node, false);
      rec.execed = true;
      if (s.containerId) this.assignContainer(rec, s.containerId);
    }
  }

  /** Marks the container's init process (from inspect State.Pid) so later roots count as `docker exec`. */
  setContainerInit(containerId: string, tgid: number): void {
    this.initPidByContainer.set(containerId, tgid);
    const rec = this.byTgid.get(tgid);
    if (rec && rec.node.exit === undefined) {
      this.initByContainer.set(containerId, rec);
      if (rec.node.fromExec) {
        rec.node.fromExec = false;
        this.dirty.add(rec.node);
      }
    }
  }

  get(key: string): ProcessNode | undefined {
    return this.records.get(key)?.node;
  }

  /**
   * True for the container runtime's own setup of a container: `runc init` (runc re-executes itself inside the new
   * cgroup, then forks its child and init stages) before it execs the container's command. Its mounts, /proc/sys
   * writes and device nodes are how every container is made, not what the container does. The chain of runc-init
   * processes must start at a parent outside the container: a program in the container that calls itself
   * "runc init" has a parent inside it, so it is judged like any other.
   */
  isRuntimeSetup(tgid: number): boolean {
    let rec = this.byTgid.get(tgid);
    const cid = rec?.node.containerId;
    for (let depth = 0; rec && depth < 8; depth++) {
      const a = rec.node.argv;
      // seen from its re-exec (argv "runc init"), or first seen after it (no argv; the kernel task name is runc's)
      // (its first stage may still be runc's cloned binary, task name "exe")
      // argv[0] is how the engine ran runc: "runc" from containerd's shim, "/usr/bin/runc" from Podman's conmon
      const runcInit = (a[0]?.replace(/^.*\//, '') === 'runc' && a[1] === 'init') || (a.length === 0 && (rec.node.comm.startsWith('runc') || rec.node.comm === 'exe'));
      if (!runcInit) return false;
      const parent = this.parentOf(rec);
      if (!parent || parent.node.containerId !== cid) return true;
      rec = parent;
    }
    return false;
  }

  /** The process currently (or most recently) holding this pid. */
  byPid(tgid: number): ProcessNode | undefined {
    return this.byTgid.get(tgid)?.node;
  }

  /** Outermost first, ending with the process itself; crosses the container boundary up to the runtime. */
  ancestry(key: string): ProcessNode[] {
    const chain: ProcessNode[] = [];
    let rec = this.records.get(key);
    const seen = new Set<string>();
    while (rec && !seen.has(rec.node.key)) {
      seen.add(rec.node.key);
      chain.push(rec.node);
      rec = this.parentOf(rec);
    }
    return chain.reverse();
  }

  /** The process and all its descendants, depth first. */
  subtree(key: string): ProcessNode[] {
    const out: ProcessNode[] = [];
    const root = this.records.get(key);
    if (!root) return out;
    const stack: ProcRecord[] = [root];
    while (stack.length) {
      const r = stack.pop()!;
      out.push(r.node);
      if (r.children) for (let i = r.children.length - 1; i >= 0; i--) stack.push(r.children[i]);
    }
    return out;
  }

  children(key: string): ProcessNode[] {
    return this.records.get(key)?.children?.map((c) => c.node) ?? [];
  }

  /** Processes of a container whose parent is outside it (its init and `docker exec` sessions). */
  roots(containerId: string): ProcessNode[] {
    const out: ProcessNode[] = [];
    for (const r of this.rootsByContainer.get(containerId) ?? []) {
      const parent = this.parentOf(r);
      if (!parent || parent.node.containerId !== containerId) out.push(r.node);
    }
    return out;
  }

  countIn(containerId: string): number {
    return this.countByContainer.get(containerId) ?? 0;
  }

  all(): IterableIterator<ProcessNode> {
    const it = this.records.values();
    return (function* () {
      for (const r of it) yield r.node;
    })();
  }

  /** Processes changed since the last call. */
  takeDirty(): ProcessNode[] {
    if (this.dirty.size === 0) return [];
    const out = [...this.dirty];
    this.dirty = new Set();
    return out;
  }

  private acting(e: RuntimeEvent): ProcRecord {
    const rec = this.byTgid.get(e.tgid);
    if (rec && (rec.node.exit === undefined || e.ts <= rec.node.exit + LATE_EVENT_SLACK_MS)) {
      if (e.containerId && rec.node.containerId !== e.containerId && rec.node.containerId === undefined) {
        this.assignContainer(rec, e.containerId);
      }
      return rec;
    }
    // First sight of this process: it started before capture, or its fork was lost.
    const node: ProcessNode = {
      key: `${e.tgid}@${e.ts}`, tgid: e.tgid, ppid: e.ppid, exe: e.comm, argv: [], uid: e.uid, comm: e.comm,
      start: e.ts, lineage: [], inferred: true,
    };
    const created = this.insert(node, true);
    if (e.containerId) this.assignContainer(created, e.containerId);
    return created;
  }

  private fork(parent: ProcRecord, childTgid: number, ts: number, containerId: string | undefined): void {
    const existing = this.byTgid.get(childTgid);
    if (existing) {
      const n = existing.node;
      if (n.start === ts && n.parentKey === parent.node.key) return; // duplicate fork
      if (n.exit === undefined && n.inferred && n.start >= ts - LATE_EVENT_SLACK_MS && n.start <= ts + LATE_EVENT_SLACK_MS) {
        // The child acted (often: exec'd) before its fork was delivered: adopt it instead of duplicating.
        n.inferred = false;
        this.link(existing, parent);
        if (!existing.execed) this.inherit(n, parent.node);
        this.dirty.add(n);
        return;
      }
      if (n.exit === undefined) {
        // The pid was reused and we never saw the old process exit.
        n.exit = ts;
        this.dirty.add(n);
      }
    }
    const p = parent.node;
    const node: ProcessNode = {
      key: `${childTgid}@${ts}`, tgid: childTgid, ppid: p.tgid, exe: p.exe, argv: p.argv, cwd: p.cwd, uid: p.uid,
      comm: p.comm, start: ts, lineage: [],
    };
    if (this.records.has(node.key)) return;
    const rec = this.insert(node, false);
    this.link(rec, parent);
    const cid = containerId ?? p.containerId;
    if (cid) this.assignContainer(rec, cid);
  }

  private exec(rec: ProcRecord, ts: number, filename: string, argv: string[], cwd: string | undefined, uid: number): void {
    const n = rec.node;
    if (rec.lastExecTs === ts && n.exe === filename) return; // duplicate exec
    // `docker exec` processes are first seen through runc's own calls inside the container (capset), so they
    // start as inferred roots. A root of the container that is not its init and execs a program came from outside.
    const cid = n.containerId;
    if (cid && argv[0] === 'runc' && argv[1] === 'init') {
      // the runtime re-executing itself inside the container: whether this is its init or a `docker exec` is decided
      // when runc init execs the command
    } else if (cid && this.isRuntimeSetup(n.tgid)) {
      // runc init execs the container's command: its init (the first one, or the pid inspect names) or an exec session
      const initPid = this.initPidByContainer.get(cid);
      if (initPid === n.tgid || (initPid === undefined && !this.initByContainer.has(cid))) {
        this.initByContainer.set(cid, rec);
        n.fromExec = false;
      } else {
        n.fromExec = true;
      }
    } else if (n.inferred && !rec.execed && !n.fromExec && cid) {
      const parent = n.parentKey ? this.records.get(n.parentKey) : undefined;
      const initPid = this.initPidByContainer.get(cid);
      if ((!parent || parent.node.containerId !== cid) && initPid !== undefined && initPid !== n.tgid) n.fromExec = true;
    }
    if (rec.execed || n.seeded) {
      n.lineage.push({ exe: n.exe, argv: n.argv, ts });
      // A pid that execs in a loop would grow its node without bound, and every live frame carries the whole node
      // (1 MB+ per frame at 20k events/s): keep the first program and the most recent ones.
      if (n.lineage.length > LINEAGE_CAP) {
        n.lineage.splice(1, 1);
        n.lineageOmitted = (n.lineageOmitted ?? 0) + 1;
      }
    }
    n.exe = filename;
    n.argv = argv;
    if (cwd) n.cwd = cwd;
    n.uid = uid;
    const slash = filename.lastIndexOf('/');
    n.comm = (slash >= 0 ? filename.slice(slash + 1) : filename).slice(0, 15);
    rec.execed = true;
    rec.lastExecTs = ts;
    this.dirty.add(n);
  }

  private inherit(n: ProcessNode, p: ProcessNode): void {
    n.exe = p.exe;
    n.argv = p.argv;
    n.cwd ??= p.cwd;
  }

  private insert(node: ProcessNode, resolveParent: boolean): ProcRecord {
    const rec: ProcRecord = { node, execed: false, lastExecTs: -1, children: undefined };
    this.records.set(node.key, rec);
    const prev = this.byTgid.get(node.tgid);
    if (!prev || prev.node.start <= node.start) this.byTgid.set(node.tgid, rec);
    if (resolveParent || node.seeded) {
      const parent = this.byTgid.get(node.ppid);
      if (parent && parent !== rec && parent.node.start <= node.start) this.link(rec, parent);
    }
    this.dirty.add(node);
    return rec;
  }

  private link(child: ProcRecord, parent: ProcRecord): void {
    if (child.node.parentKey === parent.node.key) return;
    child.node.parentKey = parent.node.key;
    child.node.ppid = parent.node.tgid;
    (parent.children ??= []).push(child);
  }

  private parentOf(rec: ProcRecord): ProcRecord | undefined {
    if (rec.node.parentKey) return this.records.get(rec.node.parentKey);
    // Resolve lazily: the parent may have been seeded after the child was seen.
    const p = this.byTgid.get(rec.node.ppid);
    if (p && p !== rec && p.node.start <= rec.node.start) {
      this.link(rec, p);
      this.dirty.add(rec.node);
      return p;
    }
    return undefined;
  }

  private assignContainer(rec: ProcRecord, containerId: string): void {
    const n = rec.node;
    if (n.containerId === containerId) return;
    n.containerId = containerId;
    this.countByContainer.set(containerId, (this.countByContainer.get(containerId) ?? 0) + 1);
    const parent = n.parentKey ? this.records.get(n.parentKey) : undefined;
    if (!parent || parent.node.containerId !== containerId) {
      let roots = this.rootsByContainer.get(containerId);
      if (!roots) this.rootsByContainer.set(containerId, (roots = []));
      roots.push(rec);
      // The first root seen starting is the init; later ones were started from outside: `docker exec`.
      // A process merely first seen acting proves nothing: its parent may simply predate the capture.
      if (!n.inferred) {
        const init = this.initByContainer.get(containerId);
        if (!init) this.initByContainer.set(containerId, rec);
        else if (init !== rec && !n.seeded) n.fromExec = true;
      }
    } else if (parent.node.fromExec) {
      n.fromExec = true;
    }
    this.dirty.add(n);
  }
}
