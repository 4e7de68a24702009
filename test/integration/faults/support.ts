// Fault-test support: a container that writes numbered markers, and the markers a sensor delivered or a recording holds.
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { RecordingStore } from '../../../electron/node/store/index';

/** Marker files live under this directory: /tmp/mk/0, /tmp/mk/1, … */
export const MARKER_DIR = '/tmp/mk';

/** A shell loop writing marker files as fast as `pause` allows (one `sleep` exec between two markers). */
export function markerWriter(pause = '0.05'): string[] {
  return ['sh', '-c', `mkdir -p ${MARKER_DIR}; i=0; while :; do echo $i > ${MARKER_DIR}/$i; i=$((i+1)); sleep ${pause}; done`];
}

/** The marker number an event opened, if it is a marker write of `containerId`. */
export function markerOf(e: { kind: string; containerId?: string; path?: string }, containerId: string): number | undefined {
  if (e.kind !== 'open' || e.containerId !== containerId || typeof e.path !== 'string') return undefined;
  const m = /^\/tmp\/mk\/(\d+)$/.exec(e.path);
  return m ? Number(m[1]) : undefined;
}

/** Collects, in a set, every marker the sensor delivers for `containerId`. */
export function markerSink(containerId: string): { seen: Set<number>; onEvents: (evs: RuntimeEvent[]) => void } {
  const seen = new Set<number>();
  return {
    seen,
    onEvents: (evs) => {
      for (const e of evs) {
        const n = markerOf(e as never, containerId);
        if (n !== undefined) seen.add(n);
      }
    },
  };
}

/** Every marker of `containerId` in the recording at `file` (reopened read-only, as a user would). */
export function recordedMarkers(file: string, containerId: string): Set<number> {
  const store = RecordingStore.open(file, { readonly: true });
  try {
    const out = new Set<number>();
    for (const e of store.eventsForPath(MARKER_DIR, 1_000_000)) {
      const n = markerOf(e as never, containerId);
      if (n !== undefined) out.add(n);
    }
    return out;
  } finally {
    store.close();
  }
}

/** The markers of `want` that `have` lacks (empty when none is lost). */
export function missing(want: Iterable<number>, have: Set<number>): number[] {
  return [...want].filter((n) => !have.has(n)).sort((a, b) => a - b);
}

/** Runs of consecutive numbers absent from `have` between its smallest and largest member: the holes. */
export function holes(have: Set<number>): Array<[number, number]> {
  const sorted = [...have].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1] + 1) out.push([sorted[i - 1] + 1, sorted[i] - 1]);
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
