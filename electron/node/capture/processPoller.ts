// Fallback capture where the eBPF sensor cannot run: polls `docker top` and turns new or vanished processes
// into exec/exit events. It sees only processes that live longer than one poll and no file, network or
// privilege events, and it says so through unsupportedKinds (kept in recordings and reports as loss).
import type { RuntimeEvent, ExecEvent, EventKind } from '../../common/model/event';
import { EVENT_KINDS } from '../../common/model/event';
import type { ProcessListing } from '../../common/model/container';
import { BaseSource, type CaptureStats } from './source';

export type ListProcesses = (containerId: string) => Promise<ProcessListing>;

/** Event kinds this source can never report: everything but exec and exit. */
export const POLLER_BLIND_KINDS: EventKind[] = EVENT_KINDS.filter((k) => k !== 'exec' && k !== 'exit');

interface Seen { key: string; pid: number }

export class ProcessPollerSource extends BaseSource {
  readonly kind = 'live' as const;
  readonly description = 'docker top polling (sensor not available: process starts only)';
  private readonly containers = new Set<string>();
  private readonly seen = new Map<string, Map<number, Seen>>();
  private queue: RuntimeEvent[][] = [];
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private inflight: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly list: ListProcesses, private readonly intervalMs = 200) { super(); }

  /** Polls this container from now on (the capture session calls it for each selected container). */
  watchContainer(containerId: string): void { this.containers.add(containerId); }

  override stats(): CaptureStats {
    // Reported as the sensor's counters so loss banners, recordings and reports say what polling cannot see.
    return {
      ...super.stats(),
      sensor: {
        ts: this.startedAt, eventsByKind: {}, ringDrops: 0, queueDrops: 0, corruptFrames: 0, cpuUserMs: 0, cpuSysMs: 0, rssKb: 0,
        unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [],
      },
    };
  }

  async start(): Promise<void> {
    const tick = async () => {
      if (this.stopped) return;
      await this.poll();
      if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
    };
    await tick();
  }

  override async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    // One more look, so processes started just before the end are not missed.
    if (!this.stopped) {
      await this.inflight;
      await this.poll();
    }
    await super.stop();
    this.wake?.();
  }

  async *batches(): AsyncIterable<RuntimeEvent[]> {
    for (;;) {
      const next = this.queue.shift();
      if (next) { yield next; continue; }
      if (this.stopped) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** One poll at a time: a caller arriving mid-poll shares it. */
  private poll(): Promise<void> {
    this.inflight ??= this.pollOnce().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async pollOnce(): Promise<void> {
    const batch: RuntimeEvent[] = [];
    for (const id of this.containers) {
      let listing: ProcessListing;
      try { listing = await this.list(id); } catch { continue; } // container gone: its exits come below
      batch.push(...this.diff(id, listing));
    }
    if (batch.length) {
      this.count(batch);
      this.queue.push(batch);
      this.wake?.();
    }
  }

  private diff(containerId: string, listing: ProcessListing): RuntimeEvent[] {
    const col = (name: string) => listing.titles.findIndex((t) => t.toUpperCase() === name);
    const iPid = col('PID');
    const iPpid = col('PPID');
    const iUser = Math.max(col('USER'), col('UID'));
    const iArgs = Math.max(col('COMMAND'), col('CMD'));
    if (iPid < 0 || iArgs < 0) return [];
    const before = this.seen.get(containerId) ?? new Map<number, Seen>();
    const now = new Map<number, Seen>();
    const out: RuntimeEvent[] = [];
    const ts = Date.now();
    for (const row of listing.rows) {
      const pid = Number(row[iPid]);
      const ppid = iPpid >= 0 ? Number(row[iPpid]) : 0;
      const args = row[iArgs] ?? '';
      // `ps` shows "[comm]" for a process with no command line any more (exiting, or a zombie awaiting its
      // parent): that is the same process dying, never a new program. Keep what was known of it.
      if (/^\[[^\]]*\]$/.test(args)) {
        const prev = before.get(pid);
        if (prev) now.set(pid, prev);
        continue;
      }
      const key = `${pid}|${args}`;
      now.set(pid, { key, pid });
      if (before.get(pid)?.key === key) continue;
      // `ps` shows argv joined by spaces; splitting on spaces is the best that can be recovered.
      const argv = args.split(' ').filter(Boolean);
      const filename = argv[0] ?? '';
      const user = iUser >= 0 ? row[iUser] : '';
      const uid = user === 'root' ? 0 : /^\d+$/.test(user) ? Number(user) : 65534;
      const exec: ExecEvent = {
        kind: 'exec', ts, seq: ++this.seq, pid, tgid: pid, ppid, uid, gid: uid, comm: filename.slice(filename.lastIndexOf('/') + 1).slice(0, 15),
        cgroupId: '0', mntns: 0, containerId, filename, argv, ret: 0,
      };
      out.push(exec);
    }
    for (const [pid] of before) {
      if (now.has(pid)) continue;
      out.push({ kind: 'exit', ts, seq: ++this.seq, pid, tgid: pid, ppid: 0, uid: 0, gid: 0, comm: '', cgroupId: '0', mntns: 0, containerId, code: 0, signal: 0, thread: false });
    }
    this.seen.set(containerId, now);
    return out;
  }
}
