// Admission: containers the kernel began tracing when their cgroup was created, before the engine knew them.
// Their events are held (attributed by container id, never dropped or left unattributed) until the engine knows
// who the container is; then they go on in order if the capture's selection wants the container, or are discarded
// (with the container unwatched) if it does not.
import type { RuntimeEvent } from '../../common/model/event';

export type AdmissionVerdict = 'pending' | 'accepted' | 'rejected';

export interface AdmissionOptions {
  /**
   * Decides for one admitted container: true to keep it, false to let it go. Rejections with an exception are
   * retried until `giveUpMs`, then the container is kept (nothing is dropped for want of a name).
   */
  decide(containerId: string, admittedAt: number): Promise<boolean>;
  /** Events released from the hold, in the order they arrived. */
  release(events: RuntimeEvent[]): void;
  /** Called once a container was decided against: the sensor stops tracing it. */
  rejected?(containerId: string): void;
  /** Events held per container at most; past that the oldest are kept and the rest counted in `overflow`. */
  maxHeldPerContainer?: number;
  /**
   * How long a container may stay unknown (default 15 s): a container gone before its inspect is named by the
   * catalog's create event, which a loaded engine can deliver seconds late; holding costs nothing but memory.
   */
  giveUpMs?: number;
  /**
   * What happens to a container nobody could identify by `giveUpMs` (or by the end): kept under its id when the
   * capture takes every container, let go when it asked for named containers or projects (it cannot be one of them
   * that we know of).
   */
  keepUnidentified: boolean;
}

export interface AdmissionStats {
  admitted: number;
  accepted: number;
  rejected: number;
  /** Events of undecided containers held right now. */
  held: number;
  /** Held events that did not fit (lost, counted as capture drops). */
  overflow: number;
  /** Events of containers the selection does not want (not a loss: never asked for). */
  discarded: number;
}

export class AdmissionGate {
  private readonly verdicts = new Map<string, AdmissionVerdict>();
  private readonly held = new Map<string, RuntimeEvent[]>();
  /** Verdicts that stop events (pending or rejected): with none, filter() hands batches through untouched. */
  private blocking = 0;
  private readonly counts: AdmissionStats = { admitted: 0, accepted: 0, rejected: 0, held: 0, overflow: 0, discarded: 0 };
  private readonly maxHeld: number;
  private closed = false;

  constructor(private readonly opts: AdmissionOptions) {
    this.maxHeld = opts.maxHeldPerContainer ?? 200_000;
  }

  get stats(): AdmissionStats {
    return { ...this.counts };
  }

  verdict(containerId: string): AdmissionVerdict | undefined {
    return this.verdicts.get(containerId);
  }

  /** The kernel admitted this container's new cgroup: hold its events until it is decided. */
  admit(containerId: string, admittedAt = Date.now()): void {
    if (this.closed || this.verdicts.has(containerId)) return;
    this.counts.admitted++;
    this.set(containerId, 'pending');
    void this.resolve(containerId, admittedAt);
  }

  /** The engine adopted this container itself (it watched it): its events pass, and any held ones go on now. */
  accept(containerId: string): void {
    const v = this.verdicts.get(containerId);
    if (v === 'accepted') return;
    if (v === 'pending') this.counts.accepted++;
    this.set(containerId, 'accepted');
    const held = this.held.get(containerId);
    this.held.delete(containerId);
    if (held?.length) {
      this.counts.held -= held.length;
      this.opts.release(held);
    }
  }

  /** Passes what may go on now; holds events of undecided containers and discards those of rejected ones. */
  filter(events: RuntimeEvent[]): RuntimeEvent[] {
    if (this.blocking === 0) return events;
    const out: RuntimeEvent[] = [];
    let lastId: string | undefined, lastVerdict: AdmissionVerdict | undefined;
    for (const e of events) {
      const id = e.containerId;
      if (id === undefined) {
        out.push(e);
        continue;
      }
      if (id !== lastId) {
        lastId = id;
        lastVerdict = this.verdicts.get(id);
      }
      if (lastVerdict === undefined || lastVerdict === 'accepted') out.push(e);
      else if (lastVerdict === 'rejected') this.counts.discarded++;
      else this.hold(id, e);
    }
    return out;
  }

  /** Capture is ending: whatever is still undecided is kept (released) or let go, as for an unidentified one. */
  flush(): void {
    this.closed = true;
    for (const [id, v] of [...this.verdicts]) if (v === 'pending') this.giveUp(id);
  }

  private giveUp(id: string): void {
    if (this.opts.keepUnidentified) return this.accept(id);
    this.reject(id);
  }

  private reject(id: string): void {
    const n = this.held.get(id)?.length ?? 0;
    this.counts.rejected++;
    this.counts.discarded += n;
    this.counts.held -= n;
    this.held.delete(id);
    this.set(id, 'rejected');
    this.opts.rejected?.(id);
  }

  private hold(id: string, e: RuntimeEvent): void {
    let list = this.held.get(id);
    if (!list) this.held.set(id, (list = []));
    if (list.length >= this.maxHeld) {
      this.counts.overflow++;
      return;
    }
    list.push(e);
    this.counts.held++;
  }

  private set(id: string, v: AdmissionVerdict): void {
    const was = this.verdicts.get(id);
    if (was === 'pending' || was === 'rejected') this.blocking--;
    if (v === 'pending' || v === 'rejected') this.blocking++;
    this.verdicts.set(id, v);
  }

  private async resolve(id: string, admittedAt: number): Promise<void> {
    const deadline = Date.now() + (this.opts.giveUpMs ?? 15_000);
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      if (this.verdicts.get(id) !== 'pending') return; // adopted meanwhile
      try {
        const keep = await this.opts.decide(id, admittedAt);
        if (this.verdicts.get(id) !== 'pending') return;
        if (keep) return this.accept(id);
        return this.reject(id);
      } catch {
        if (Date.now() >= deadline || this.closed) {
          if (this.verdicts.get(id) === 'pending') this.giveUp(id);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
