// Resource chart geometry: a time × value line with its configured limit, as SVG path strings and ticks.
import { line, scaleLinear, scaleTime, timeFormat } from 'd3';

export interface SeriesPoint { t: number; v: number }

export interface LineChart {
  path: string;
  /** y pixel of the limit line, when a limit exists. */
  limitY?: number;
  yTicks: Array<{ py: number; label: string }>;
  xTicks: Array<{ px: number; label: string }>;
  last?: SeriesPoint;
}

export function lineChart(points: readonly SeriesPoint[], width: number, height: number, opts: { limit?: number; format: (v: number) => string; minTop?: number }): LineChart {
  const t0 = points.length ? points[0].t : Date.now() - 60_000;
  const t1 = points.length > 1 ? points[points.length - 1].t : t0 + 60_000;
  const x = scaleTime().domain([new Date(t0), new Date(t1)]).range([0, width]);
  let top = opts.minTop ?? 0;
  for (const p of points) if (p.v > top) top = p.v;
  if (opts.limit && opts.limit > top) top = opts.limit;
  const y = scaleLinear().domain([0, top * 1.08 || 1]).range([height, 0]).nice();
  const fmt = timeFormat('%H:%M:%S');
  return {
    path: line<SeriesPoint>().x((p) => x(new Date(p.t))).y((p) => y(p.v))(points as SeriesPoint[]) ?? '',
    limitY: opts.limit ? y(opts.limit) : undefined,
    yTicks: y.ticks(3).map((v) => ({ py: y(v), label: opts.format(v) })),
    xTicks: x.ticks(4).map((d) => ({ px: x(d), label: fmt(d) })),
    last: points[points.length - 1],
  };
}
