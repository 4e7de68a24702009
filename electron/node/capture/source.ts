// One interface for every capture source (live sensor, recording replay, synthetic): async batches of events.
import type { RuntimeEvent, SensorStats } from '../../common/model/event';

export type CaptureSourceKind = 'live' | 'recording' | 'synthetic';

export interface CaptureStats {
  /** Events delivered to the consumer. */
  events: number;
  batches: number;
  /** Events the source dropped because its consumer fell behind (never silently). */
  dropped: number;
  /** The sensor's latest cumulative counters (live source, or as recorded). */
  sensor?: SensorStats;
  /** Periods with no coverage (helper restarts), each [startTs, endTs]. */
  gaps: Array<[number, number]>;
  /** Why each gap happened (same order as `gaps`), where the sensor said: kept in the recording's gaps table. */
  gapReasons?: string[];
}

export type CaptureEndReason = 'exhausted' | 'stopped' | 'error';

export interface CaptureEnd {
  reason: CaptureEndReason;
  error?: Error;
}

export interface CaptureSource {
  readonly kind: CaptureSourceKind;
  /** A short description for logs and recording metadata ("synthetic seed 7", "replay of x.glasshouse"). */
  readonly description: string;
  start(): Promise<void>;
  /** Batches in delivery order; the iteration finishes when the source ends or is stopped. Iterate once. */
  batches(): AsyncIterable<RuntimeEvent[]>;
  /** Ends the source; pending batches already delivered stay delivered. */
  stop(): Promise<void>;
  stats(): CaptureStats;
  /** Settles when the source has ended, and why. */
  readonly ended: Promise<CaptureEnd>;
}

/** Yields to the event loop so timers (store flushes, UI ticks, Ctrl-C) run between batches. */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The shared plumbing: end promise and counters. */
export abstract class BaseSource implements CaptureSource {
  abstract readonly kind: CaptureSourceKind;
  abstract readonly description: string;
  readonly ended: Promise<CaptureEnd>;
  protected stopped = false;
  protected readonly counters: CaptureStats = { events: 0, batches: 0, dropped: 0, gaps: [] };
  private resolveEnd!: (e: CaptureEnd) => void;
  private hasEnded = false;

  constructor() {
    this.ended = new Promise((r) => (this.resolveEnd = r));
  }

  abstract start(): Promise<void>;
  abstract batches(): AsyncIterable<RuntimeEvent[]>;

  async stop(): Promise<void> {
    this.stopped = true;
    this.end({ reason: 'stopped' });
  }

  stats(): CaptureStats {
    return { ...this.counters, gaps: [...this.counters.gaps], ...(this.counters.gapReasons ? { gapReasons: [...this.counters.gapReasons] } : {}) };
  }

  protected end(e: CaptureEnd): void {
    if (this.hasEnded) return;
    this.hasEnded = true;
    this.resolveEnd(e);
  }

  protected count(batch: RuntimeEvent[]): void {
    this.counters.events += batch.length;
    this.counters.batches++;
  }
}
