// CPU, memory, pids and network per container from the 1 Hz stats stream, as a bounded history.
import type { ResourceSample } from '../model/process';

export class ResourceTable {
  private readonly history = new Map<string, ResourceSample[]>();
  private dirty: ResourceSample[] = [];

  /** @param capacity samples kept per container (1 Hz: one hour by default). */
  constructor(private readonly capacity = 3600) {}

  add(s: ResourceSample): void {
    let h = this.history.get(s.containerId);
    if (!h) this.history.set(s.containerId, (h = []));
    // Samples from a restarted stream can repeat a second; keep one per timestamp.
    if (h.length && h[h.length - 1].ts >= s.ts) {
      if (h[h.length - 1].ts === s.ts) h[h.length - 1] = s;
      else return;
    } else {
      h.push(s);
      if (h.length > this.capacity) h.splice(0, h.length - this.capacity);
    }
    this.dirty.push(s);
  }

  latest(containerId: string): ResourceSample | undefined {
    const h = this.history.get(containerId);
    return h?.[h.length - 1];
  }

  series(containerId: string, since = 0): ResourceSample[] {
    return (this.history.get(containerId) ?? []).filter((s) => s.ts >= since);
  }

  takeDirty(): ResourceSample[] {
    if (this.dirty.length === 0) return [];
    const out = this.dirty;
    this.dirty = [];
    return out;
  }
}
