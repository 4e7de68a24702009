// Replays a recording file as a capture source: at full speed, or in real time (optionally sped up).
import type { RuntimeEvent } from '../../common/model/event';
import { RecordingStore } from '../store/index';
import { BaseSource, yieldToLoop, type CaptureSourceKind } from './source';

export interface RecordingSourceOptions {
  /** 'full' replays as fast as the consumer takes it; 'realtime' keeps the recorded pacing. */
  pace?: 'full' | 'realtime';
  /** With 'realtime': 2 = twice as fast. */
  speed?: number;
  batchSize?: number;
}

export class RecordingSource extends BaseSource {
  readonly kind: CaptureSourceKind = 'recording';
  readonly description: string;
  private store: RecordingStore | undefined;

  constructor(private readonly path: string, private readonly opts: RecordingSourceOptions = {}) {
    super();
    this.description = `replay of ${path}`;
  }

  /** Opens (read-only) and validates the file; a bad file fails here with a FileFormatError. */
  async start(): Promise<void> {
    this.store = RecordingStore.open(this.path, { readonly: true });
    const stats = this.store.sensorStats();
    if (stats.length) this.counters.sensor = stats[stats.length - 1];
    this.counters.gaps = this.store.gaps().map((g) => [g.start, g.end]);
  }

  async *batches(): AsyncIterable<RuntimeEvent[]> {
    const store = this.store;
    if (!store) throw new Error('RecordingSource.start() must be called before batches()');
    const size = this.opts.batchSize ?? 4096;
    const realtime = this.opts.pace === 'realtime';
    const speed = this.opts.speed ?? 1;
    let after = 0;
    let wallStart = 0;
    let tsStart = 0;
    try {
      while (!this.stopped) {
        const rows = store.eventsAfter(after, size);
        if (rows.length === 0) break;
        after = rows[rows.length - 1].id;
        for (const r of rows) delete (r as Partial<typeof r>).id;
        if (realtime) {
          if (!wallStart) {
            wallStart = performance.now();
            tsStart = rows[0].ts;
          }
          // Deliver events when their recorded time comes, in slices of at most ~50 ms.
          let i = 0;
          while (i < rows.length && !this.stopped) {
            const due = (rows[i].ts - tsStart) / speed - (performance.now() - wallStart);
            if (due > 1) await new Promise((r) => setTimeout(r, Math.min(due, 50)));
            const now = tsStart + (performance.now() - wallStart) * speed;
            let j = i;
            while (j < rows.length && rows[j].ts <= now) j++;
            if (j === i) continue;
            const slice = rows.slice(i, j);
            i = j;
            this.count(slice);
            yield slice;
          }
        } else {
          this.count(rows);
          yield rows;
          await yieldToLoop();
        }
      }
      this.end({ reason: this.stopped ? 'stopped' : 'exhausted' });
    } catch (err) {
      this.end({ reason: 'error', error: err as Error });
      throw err;
    } finally {
      store.close();
      this.store = undefined;
    }
  }
}
