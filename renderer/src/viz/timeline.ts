// Timeline geometry: a time scale, per-lane density bins and axis ticks for lanes drawn by React.
import { line, max, scaleLinear, scaleTime, timeFormat } from 'd3';

export interface TimeAxis {
  x: (t: number) => number;
  invert: (px: number) => number;
  ticks: Array<{ px: number; label: string }>;
}

export function timeAxis(domain: readonly [number, number], width: number, tickCount = 8): TimeAxis {
  const [a, b] = domain[1] > domain[0] ? domain : [domain[0] - 1000, domain[0] + 1000];
  const s = scaleTime().domain([new Date(a), new Date(b)]).range([0, Math.max(1, width)]);
  const span = b - a;
  const fmt = timeFormat(span < 10_000 ? '%H:%M:%S.%L' : span < 86_400_000 ? '%H:%M:%S' : '%b %d %H:%M');
  return {
    // The same linear map as the time scale, without a Date per point (lanes bin hundreds of thousands).
    x: (t) => ((t - a) / (b - a)) * Math.max(1, width),
    invert: (px) => s.invert(px).getTime(),
    ticks: s.ticks(tickCount).map((d) => ({ px: s(d), label: fmt(d) })),
  };
}

export interface Bins { counts: Float64Array; max: number; binWidth: number }

/** Counts times (optionally weighted) into equal-width pixel bins. */
export function binTimes(times: ArrayLike<number>, axis: Pick<TimeAxis, 'x'>, width: number, binPx = 4, weights?: ArrayLike<number>): Bins {
  const n = Math.max(1, Math.ceil(width / binPx));
  const counts = new Float64Array(n);
  for (let i = 0; i < times.length; i++) {
    const b = Math.floor(axis.x(times[i]) / binPx);
    if (b >= 0 && b < n) counts[b] += weights ? weights[i] : 1;
  }
  let m = 0;
  for (let i = 0; i < n; i++) if (counts[i] > m) m = counts[i];
  return { counts, max: m, binWidth: binPx };
}

/** Pixel bins filled one time at a time, straight from the engine's view models (no array of times per lane). */
export function binner(axis: Pick<TimeAxis, 'x' | 'invert'>, width: number, binPx = 4): { add(t: number, weight?: number): void; done(): Bins } {
  const n = Math.max(1, Math.ceil(width / binPx));
  const counts = new Float64Array(n);
  // The axis is linear: its left edge and slope make a time one subtract and multiply (no call, no Date).
  const t0 = axis.invert(0);
  const slope = (axis.x(t0 + 1e6) - axis.x(t0)) / 1e6 / binPx;
  const off = axis.x(t0) / binPx;
  return {
    add(t, weight = 1) {
      const b = Math.floor((t - t0) * slope + off);
      if (b >= 0 && b < n) counts[b] += weight;
    },
    done() {
      let m = 0;
      for (let i = 0; i < n; i++) if (counts[i] > m) m = counts[i];
      return { counts, max: m, binWidth: binPx };
    },
  };
}

/** Bars of a density lane as one SVG path (one element, however many bins). */
export function barsPath(b: Bins, height: number): string {
  if (b.max === 0) return '';
  const y = scaleLinear().domain([0, Math.sqrt(b.max)]).range([0, height - 2]);
  let d = '';
  for (let i = 0; i < b.counts.length; i++) {
    if (!b.counts[i]) continue;
    const h = Math.max(1.5, y(Math.sqrt(b.counts[i])));
    d += `M${i * b.binWidth},${height}v${-h}h${Math.max(1, b.binWidth - 1)}v${h}z`;
  }
  return d;
}

/** A sparkline path through (t, v) points. */
export function sparkPath(points: ReadonlyArray<{ t: number; v: number }>, axis: Pick<TimeAxis, 'x'>, height: number, top?: number): string {
  const m = top ?? max(points, (p) => p.v) ?? 1;
  const y = scaleLinear().domain([0, m || 1]).range([height - 1, 1]);
  return line<{ t: number; v: number }>().x((p) => axis.x(p.t)).y((p) => y(p.v))(points as Array<{ t: number; v: number }>) ?? '';
}
