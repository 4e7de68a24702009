// Resources tab: CPU, memory, pids and network per container with configured limits drawn in, and the posture
// findings about missing limits beside them.
import { useEffect, useMemo, useRef } from 'react';
import type { ResourceSample } from '../../../../electron/common/model/process';
import { useStore } from '../../store';
import { formatBytes, visible } from '../../ui/text';
import { useSize } from '../../viz/hooks';
import { lineChart, type SeriesPoint } from '../../viz/resources';
import { SeverityBadge } from '../findings/FindingsView';
import './resources.css';

const CH = 110;
const LIMIT_RULE = /memory|cpu|pids|limit|ulimit|restart|swap/i;

interface ChartSpec { title: string; points: SeriesPoint[]; limit?: number; limitLabel?: string; missing?: string; format: (v: number) => string; minTop?: number }

export function ResourcesView({ id }: { id: string }) {
  const series = useStore((s) => s.live.resources.get(id) ?? s.live.resources.get([...s.live.resources.keys()].find((k) => k.startsWith(id)) ?? ''));
  const detail = useStore((s) => s.inspect[id]?.data);
  const posture = useStore((s) => s.posture[id]);
  const inDocker = useStore((s) => !!s.containers[id]);
  useEffect(() => {
    if (!posture && inDocker) void useStore.getState().loadPosture(id);
  }, [id, inDocker]);

  const charts = useMemo<ChartSpec[]>(() => {
    const s: ResourceSample[] = series ?? [];
    const last = s[s.length - 1];
    const facts = detail?.facts as Record<string, unknown> | undefined;
    const nanoCpus = typeof facts?.nanoCpus === 'number' ? facts.nanoCpus : undefined;
    const cpuLimit = nanoCpus ? (nanoCpus / 1e9) * 100 : undefined;
    const memLimit = last?.memLimit && last.memLimit < 2 ** 50 ? last.memLimit : undefined;
    const rate = (pick: (x: ResourceSample) => number) => s.slice(1).map((x, i) => ({ t: x.ts, v: Math.max(0, (pick(x) - pick(s[i])) / Math.max(0.001, (x.ts - s[i].ts) / 1000)) }));
    return [
      { title: 'CPU', points: s.map((x) => ({ t: x.ts, v: x.cpuPercent })), limit: cpuLimit, limitLabel: cpuLimit ? `${(cpuLimit / 100).toFixed(2)} CPUs` : undefined, missing: cpuLimit ? undefined : 'no CPU limit', format: (v) => `${v.toFixed(0)}%`, minTop: 5 },
      { title: 'Memory', points: s.map((x) => ({ t: x.ts, v: x.memBytes })), limit: memLimit, limitLabel: memLimit ? formatBytes(memLimit) : undefined, missing: memLimit ? undefined : 'no memory limit', format: formatBytes, minTop: 1 << 20 },
      { title: 'Processes', points: s.map((x) => ({ t: x.ts, v: x.pids })), limit: last?.pidsLimit, limitLabel: last?.pidsLimit ? `${last.pidsLimit} pids` : undefined, missing: last?.pidsLimit ? undefined : 'no pids limit', format: (v) => v.toFixed(0), minTop: 4 },
      { title: 'Network in', points: rate((x) => x.netRxBytes), format: (v) => `${formatBytes(v)}/s`, minTop: 1024 },
      { title: 'Network out', points: rate((x) => x.netTxBytes), format: (v) => `${formatBytes(v)}/s`, minTop: 1024 },
    ];
  }, [series, detail]);

  const postureRows = useMemo(() => (posture?.data ?? []).slice().sort((a, b) => Number(LIMIT_RULE.test(b.ruleId + b.title)) - Number(LIMIT_RULE.test(a.ruleId + a.title))), [posture?.data]);

  return (
    <div className="res-view">
      <div className="res-charts" data-testid="resource-charts">
        {!series?.length && <div className="callout">No resource samples yet: they arrive once a second while a capture runs. Limits from the container's configuration are shown once samples exist.</div>}
        {charts.map((c) => <Chart key={c.title} spec={c} />)}
      </div>
      <aside className="side-detail" data-testid="posture">
        <h3>Posture</h3>
        {!inDocker && <div className="muted">Docker no longer lists this container, so its configuration cannot be checked.</div>}
        {posture?.loading && <div className="muted">Checking…</div>}
        {posture?.error && <div className="callout bad">{visible(posture.error)}</div>}
        {posture?.data && postureRows.length === 0 && <div className="muted">No posture findings: limits and hardening look set.</div>}
        {postureRows.map((f) => (
          <div key={f.fingerprint} className={`posture-item ${LIMIT_RULE.test(f.ruleId + f.title) ? 'limit' : ''}`} data-testid="posture-item"
            onClick={() => { useStore.getState().selectFinding(f.fingerprint); useStore.getState().setTab('findings'); }}>
            <div className="row-flex"><SeverityBadge s={f.severity} /><span>{visible(f.title, 200)}</span></div>
            {f.evidence.field && <div className="muted small mono">{visible(f.evidence.field)} = {visible(f.evidence.value ?? '')}</div>}
            <div className="small">{visible(f.fix, 300)}</div>
          </div>
        ))}
      </aside>
    </div>
  );
}

function Chart({ spec }: { spec: ChartSpec }) {
  const ref = useRef<HTMLDivElement>(null);
  const { width } = useSize(ref);
  const w = Math.max(100, width - 60);
  const c = useMemo(() => lineChart(spec.points, w, CH, { limit: spec.limit, format: spec.format, minTop: spec.minTop }), [spec, w]);
  return (
    <div className="res-chart" ref={ref} data-testid={`chart-${spec.title.toLowerCase().replace(' ', '-')}`} data-samples={spec.points.length} data-limit={spec.limit ?? ''}>
      <div className="res-head">
        <span>{spec.title}</span>
        <span className="mono" data-testid="chart-last">{c.last ? spec.format(c.last.v) : '—'}</span>
        {spec.limitLabel ? <span className="muted small" data-testid="chart-limit">limit {spec.limitLabel}</span> : spec.missing ? <span className="warn small">{spec.missing}</span> : null}
      </div>
      <svg width={w + 60} height={CH + 18}>
        <g transform="translate(56,2)">
          {c.yTicks.map((t) => <g key={t.py}><line className="grid" x1={0} x2={w} y1={t.py} y2={t.py} /><text className="tick" x={-6} y={t.py + 3} textAnchor="end">{t.label}</text></g>)}
          {c.xTicks.map((t) => <text key={t.px} className="tick" x={t.px} y={CH + 14} textAnchor="middle">{t.label}</text>)}
          {c.limitY !== undefined && <line className="limit" x1={0} x2={w} y1={c.limitY} y2={c.limitY} />}
          <path className="series" d={c.path} />
        </g>
      </svg>
    </div>
  );
}
