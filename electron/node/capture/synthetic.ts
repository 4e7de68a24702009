// A deterministic, seedable event stream with a realistic mix of kinds and containers, for tests and benchmarks.
import { O_FLAGS, type RuntimeEvent } from '../../common/model/event';
import { BaseSource, yieldToLoop, type CaptureSourceKind } from './source';

export interface SyntheticOptions {
  seed?: number;
  /** Total events to produce; the source ends after them. */
  events?: number;
  containers?: number;
  batchSize?: number;
  /** Timestamp of the first event (ms epoch). */
  startTs?: number;
  /** Simulated event rate, for timestamps only (events per millisecond). */
  eventsPerMs?: number;
  /** Share of would-be process forks that happen (the rest become file reads): sizes the process tree per event (default 1). */
  forkShare?: number;
}

/** mulberry32: small, fast and good enough for a reproducible workload. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const READ_PATHS = ['/etc/passwd', '/etc/hosts', '/etc/resolv.conf', '/etc/nsswitch.conf', '/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/ssl/openssl.cnf', '/app/config.yaml', '/app/index.js', '/usr/share/zoneinfo/UTC', '/proc/self/status',
  '/etc/ld.so.cache', '/usr/lib/node_modules/npm/package.json'];
const WRITE_PATHS = ['/tmp/cache.db', '/var/log/app.log', '/app/data/state.json', '/tmp/upload.bin', '/root/.ash_history',
  '/var/run/app.pid', '/app/data/sessions.db', '/tmp/build/out.o'];
const PROGRAMS = [['/bin/sh', 'sh', '-c', 'run'], ['/usr/bin/node', 'node', 'server.js'], ['/bin/ls', 'ls', '-la'],
  ['/usr/bin/curl', 'curl', '-s', 'https://api.example.com'], ['/bin/cat', 'cat', '/etc/hosts'], ['/usr/bin/python3', 'python3', 'job.py'],
  ['/bin/grep', 'grep', 'x'], ['/usr/bin/env', 'env']];
const REMOTES = [['93.184.216.34', 443, 'example.com'], ['140.82.112.3', 443, 'github.com'], ['10.0.0.5', 5432, 'db.internal'],
  ['172.17.0.3', 6379, 'redis'], ['151.101.1.69', 443, 'registry.npmjs.org'], ['8.8.8.8', 53, 'dns.google']] as const;

interface SimContainer {
  id: string;
  cgroupId: string;
  mntns: number;
  init: number;
  /** Live tgids with their program. */
  procs: number[];
  comm: Map<number, string>;
}

export class SyntheticSource extends BaseSource {
  readonly kind: CaptureSourceKind = 'synthetic';
  readonly description: string;
  private readonly rnd: () => number;
  private readonly total: number;
  private readonly batchSize: number;
  private readonly step: number;
  private readonly containers: SimContainer[] = [];
  private ts: number;
  private seq = 0;
  private nextPid = 1000;
  private produced = 0;

  constructor(private readonly opts: SyntheticOptions = {}) {
    super();
    const seed = opts.seed ?? 1;
    this.description = `synthetic seed ${seed}`;
    this.rnd = prng(seed);
    this.total = opts.events ?? 100_000;
    this.batchSize = opts.batchSize ?? 4096;
    this.step = 1 / (opts.eventsPerMs ?? 200);
    this.ts = opts.startTs ?? 1_700_000_000_000;
    for (let i = 0; i < (opts.containers ?? 4); i++) {
      let id = '';
      while (id.length < 64) id += Math.floor(this.rnd() * 0x100000000).toString(16).padStart(8, '0');
      const init = this.allocPid();
      this.containers.push({ id, cgroupId: String(10_000 + i), mntns: 4026532000 + i, init, procs: [init], comm: new Map([[init, 'node']]) });
    }
  }

  /** The container ids this source will produce (for tests that need to know them up front). */
  containerIds(): string[] {
    return this.containers.map((c) => c.id);
  }

  async start(): Promise<void> {
    /* nothing to attach */
  }

  async *batches(): AsyncIterable<RuntimeEvent[]> {
    // Each container's init announces itself first, as a real capture would see it start.
    const first: RuntimeEvent[] = this.containers.map((c) => this.exec(c, c.init, ['/usr/bin/node', 'node', 'server.js']));
    this.produced += first.length;
    this.count(first);
    yield first;
    while (!this.stopped && this.produced < this.total) {
      const n = Math.min(this.batchSize, this.total - this.produced);
      const batch = new Array<RuntimeEvent>(n);
      for (let i = 0; i < n; i++) batch[i] = this.next();
      this.produced += n;
      this.count(batch);
      yield batch;
      await yieldToLoop();
    }
    this.end({ reason: this.stopped ? 'stopped' : 'exhausted' });
  }

  /** Produces all events synchronously (for unit tests that do not need batching). */
  all(): RuntimeEvent[] {
    const out: RuntimeEvent[] = this.containers.map((c) => this.exec(c, c.init, ['/usr/bin/node', 'node', 'server.js']));
    while (out.length < this.total) out.push(this.next());
    return out;
  }

  private allocPid(): number {
    const pid = this.nextPid++;
    // Wrap like the kernel does, so pids get reused within long runs.
    if (this.nextPid > 32_768) this.nextPid = 300;
    return pid;
  }

  private base(c: SimContainer, tgid: number, ppid = c.init) {
    this.ts += this.step * (0.5 + this.rnd());
    return {
      ts: this.ts, seq: ++this.seq, pid: tgid, tgid, ppid, uid: 0, gid: 0, comm: c.comm.get(tgid) ?? 'sh',
      cgroupId: c.cgroupId, mntns: c.mntns, containerId: c.id,
    };
  }

  /** One literal per event, header first: stable hidden classes, like a decoder would produce. */
  private make(c: SimContainer, tgid: number, body: Record<string, unknown>): RuntimeEvent {
    return Object.assign(this.base(c, tgid), body) as unknown as RuntimeEvent;
  }

  private exec(c: SimContainer, tgid: number, prog: readonly string[]): RuntimeEvent {
    const e = this.make(c, tgid, { kind: 'exec', filename: prog[0], argv: prog.slice(1), cwd: '/app', ret: 0 });
    c.comm.set(tgid, prog[1]);
    return e;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)];
  }

  private next(): RuntimeEvent {
    const r = this.rnd;
    const c = this.containers[Math.floor(r() * this.containers.length)];
    const tgid = c.procs[Math.floor(r() * c.procs.length)];
    const x = r();
    if (x < 0.42) {
      return this.make(c, tgid, { kind: 'open', path: this.pick(READ_PATHS), flags: 0, mode: 0, ret: 3 });
    }
    if (x < 0.52) {
      const creat = r() < 0.3;
      return this.make(c, tgid, {
        kind: 'open', path: this.pick(WRITE_PATHS),
        flags: O_FLAGS.O_WRONLY | (creat ? O_FLAGS.O_CREAT | O_FLAGS.O_TRUNC : O_FLAGS.O_APPEND), mode: creat ? 0o644 : 0, ret: 4,
      });
    }
    if (x < 0.64) {
      return this.make(c, tgid, { kind: 'mmap', addr: '0x7f0000000000', len: 4096 * (1 + Math.floor(r() * 64)), prot: 3, flags: 0x22, ret: 0 });
    }
    if (x < 0.70) {
      return this.make(c, tgid, { kind: 'mprotect', addr: '0x7f0000001000', len: 4096, prot: 1, flags: 0, ret: 0 });
    }
    if (x < 0.78) {
      const [daddr, dport] = this.pick(REMOTES);
      return this.make(c, tgid, { kind: 'connect', family: 'inet', proto: 'tcp', daddr, dport, fd: 5, ret: r() < 0.9 ? 0 : -111 });
    }
    if (x < 0.81) {
      const [, , name] = this.pick(REMOTES);
      return this.make(c, tgid, { kind: 'dns', qname: name, qtype: 1, daddr: '127.0.0.11', dport: 53 });
    }
    if (x < 0.83) {
      return this.make(c, tgid, {
        kind: 'accept', family: 'inet', proto: 'tcp', saddr: '172.17.0.2', sport: 8080,
        daddr: `172.17.0.${3 + Math.floor(r() * 5)}`, dport: 30_000 + Math.floor(r() * 30_000), fd: 7, ret: 7,
      });
    }
    if (x < 0.86) {
      if (this.opts.forkShare !== undefined && r() >= this.opts.forkShare) return this.make(c, tgid, { kind: 'open', path: this.pick(READ_PATHS), flags: 0, mode: 0, ret: 3 });
      // fork a child; most children exec right away (the next event of the child)
      const child = this.allocPid();
      const e: RuntimeEvent = this.make(c, tgid, { kind: 'fork', childPid: child, childTgid: child, thread: false });
      c.procs.push(child);
      c.comm.set(child, c.comm.get(tgid) ?? 'sh');
      return e;
    }
    if (x < 0.89) {
      return this.exec(c, tgid, this.pick(PROGRAMS));
    }
    if (x < 0.91 && c.procs.length > 1) {
      const i = 1 + Math.floor(r() * (c.procs.length - 1));
      const victim = c.procs[i];
      c.procs[i] = c.procs[c.procs.length - 1];
      c.procs.pop();
      const e: RuntimeEvent = this.make(c, victim, { kind: 'exit', code: r() < 0.9 ? 0 : 1, signal: 0, thread: false });
      c.comm.delete(victim);
      return e;
    }
    if (x < 0.93) {
      return this.make(c, tgid, { kind: 'fork', childPid: tgid + 100_000, childTgid: tgid, thread: true });
    }
    if (x < 0.95) {
      return this.make(c, tgid, { kind: 'unlink', path: this.pick(WRITE_PATHS), ret: r() < 0.8 ? 0 : -2 });
    }
    if (x < 0.965) {
      return this.make(c, tgid, { kind: 'rename', path: '/tmp/upload.bin', newPath: `/app/data/blob-${Math.floor(r() * 50)}`, ret: 0 });
    }
    if (x < 0.975) {
      return this.make(c, tgid, { kind: 'chmod', path: this.pick(WRITE_PATHS), mode: r() < 0.2 ? 0o755 : 0o600, ret: 0 });
    }
    if (x < 0.985) {
      return this.make(c, tgid, { kind: 'mkdir', path: `/tmp/build/d${Math.floor(r() * 20)}`, ret: r() < 0.5 ? 0 : -17 });
    }
    if (x < 0.99) {
      return this.make(c, tgid, { kind: 'bind', family: 'inet', proto: 'tcp', saddr: '0.0.0.0', sport: 8080, fd: 6, ret: 0 });
    }
    if (x < 0.995) {
      return this.make(c, tgid, { kind: 'setuid', syscall: 'setuid', target: [1000], ret: 0 });
    }
    return this.make(c, tgid, { kind: 'listen', family: 'inet', proto: 'tcp', fd: 6, ret: 0 });
  }
}
