// Timeline tab: process, file, network, finding and resource lanes on one axis; brushing sets the window every view
// uses; a recording (or the capture so far) can be replayed by moving the window's end.
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { RuntimeEvent } from '../../../../electron/common/model/event';
import { EVENT_FAMILY } from '../../../../electron/common/model/event';
import { SEVERITY_RANK } from '../../../../electron/common/model/finding';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import { useStore } from '../../store';
import { scopeFor } from '../../store/live/selectors';
import type { LiveWorld } from '../../store/live/slice';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';
import { formatDuration, formatTime } from '../../ui/time';
import { useBrushX, useSize } from '../../viz/hooks';
import { barsPath, binner, sparkPath, timeAxis } from '../../viz/timeline';
import { useThrottled } from '../../ui/useThrottled';
import './timeline.css';

const LANE_H = 34;
const LABEL_W = 92;
const LANES = ['processes', 'files', 'network', 'findings', 'cpu'] as const;

export function describeEvent(e: RuntimeEvent): string {
  switch (e.kind) {
    case 'exec': return `exec ${e.argv.join(' ') || e.filename}${e.ret < 0 ? ` failed (E${-e.ret})` : ''}`;
    case 'fork': return `${e.thread ? 'thread' : 'fork'} → ${e.childTgid}`;
    case 'exit': return `${e.thread ? 'thread exit' : 'exit'} ${e.signal ? `signal ${e.signal}` : e.code}`;
    case 'open': return `open ${e.path}`;
    case 'rename': case 'link': case 'symlink': return `${e.kind} ${e.path} → ${e.newPath}`;
    case 'unlink': case 'mkdir': case 'chroot': case 'umount': return `${e.kind} ${e.path}`;
    case 'chmod': return `chmod ${e.mode.toString(8)} ${e.path}`;
    case 'chown': return `chown ${e.owner}:${e.group} ${e.path}`;
    case 'mount': return `mount ${e.source} ${e.path}`;
    case 'connect': case 'accept': return `${e.kind} ${e.unixPath ?? `${e.daddr}:${e.dport}`}`;
    case 'bind': case 'listen': return `${e.kind} ${e.saddr ?? ''}:${e.sport ?? ''}`;
    case 'dns': return `dns ${e.qname}${e.answers?.length ? ` → ${e.answers.join(', ')}` : ''}`;
    case 'io_uring': return `io_uring ring of ${e.entries}${e.ret < 0 ? ` failed (E${-e.ret})` : ' (its operations are not traced)'}`;
    default: return e.kind;
  }
}

/** Follows the live world at most once a second: lanes, axis and the events list skip the frames in between. */
export function TimelineView({ id }: { id: string }) {
  const live = useStore((s) => s.live);
  const world = useThrottled(live, 1000);
  return <TimelineBody id={id} world={world} />;
}

const TimelineBody = memo(function TimelineBody({ id, world }: { id: string; world: LiveWorld }) {
  const live = world;
  const containers = useStore((s) => s.containers);
  const findings = useStore((s) => s.findings);
  const session = useStore((s) => s.session);
  const win = useStore((s) => s.timeWindow);
  const scope = useMemo(() => scopeFor({ containers, selectedId: id }, 'container'), [containers, id]);

  // A live capture spans its session (processes seeded from before it start at its left edge); a replayed
  // recording spans its own events (the session's clock is when it was opened, not when it was recorded).
  const isLive = session?.source === 'live';
  const from = isLive && session?.startedAt ? Math.max(session.startedAt, Math.min(world.firstTs || session.startedAt, session.startedAt)) : world.firstTs;
  // The live edge moves with the (throttled) world, not with every render: the lanes are rebinned once per update.
  const now = useMemo(() => Date.now(), [world]);
  const to = isLive ? Math.max(world.lastTs, session?.endedAt ?? (session?.state === 'capturing' ? now : 0)) : world.lastTs;
  const domain = useMemo(() => [from, to] as const, [from, to]);

  const wrap = useRef<HTMLDivElement>(null);
  const size = useSize(wrap);
  const width = Math.max(100, size.width - LABEL_W - 16);
  const axis = useMemo(() => timeAxis(domain, width), [domain, width]);

  // Lanes are bins over the engine's view models (processes, file changes, flows, samples), never one mark per
  // event; while events stream in they (and the axis) are recomputed at most once a second.
  const lanes = useMemo(() => {
    // The full world, not the window: the timeline is where the window is chosen.
    const inScope = (cid: string | undefined) => !scope || (cid !== undefined && scope.has(cid));
    const p = binner(axis, width);
    const f = binner(axis, width);
    const n = binner(axis, width);
    for (const x of world.processes.values()) {
      if (scope && !inScope(x.containerId)) continue;
      p.add(x.start);
      if (x.exit !== undefined) p.add(x.exit);
    }
    for (const x of world.files.values()) {
      if (scope && !inScope(x.containerId)) continue;
      f.add(x.first);
      if (x.last !== x.first) f.add(x.last);
    }
    for (const x of world.flows.values()) {
      if (scope && !inScope(x.containerId)) continue;
      n.add(x.first);
      if (x.last !== x.first) n.add(x.last, Math.max(1, x.count - 1));
    }
    for (const e of world.tail) {
      if (scope && !inScope(e.containerId)) continue;
      const fam = EVENT_FAMILY[e.kind];
      if (fam === 'process') p.add(e.ts);
      else if (fam === 'file') f.add(e.ts);
    }
    const fs = Object.values(findings).filter((x) => x.source !== 'posture' && (!scope || scope.has(x.container.id)));
    const cpu = scope ? [...scope].flatMap((cid) => world.resources.get(cid) ?? []) : [...world.resources.values()].flat();
    return {
      processes: barsPath(p.done(), LANE_H),
      files: barsPath(f.done(), LANE_H),
      network: barsPath(n.done(), LANE_H),
      findings: fs.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]),
      cpu: sparkPath(cpu.map((s) => ({ t: s.ts, v: s.cpuPercent })).sort((a, b) => a.t - b.t), axis, LANE_H),
    };
  }, [world, scope, findings, axis, width]);

  const sel = win ? ([axis.x(win[0]), axis.x(win[1])] as [number, number]) : undefined;
  const brush = useRef<SVGGElement>(null);
  useBrushX(brush, width, LANES.length * LANE_H, (px) => useStore.getState().setTimeWindow(px ? [axis.invert(px[0]), axis.invert(px[1])] : undefined), sel);

  // Replay: the window's end moves from the first event to the last; every view shows the world as of then.
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(10);
  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    let prev = performance.now();
    const step = (now: number) => {
      const st = useStore.getState();
      const w0 = st.timeWindow ?? [from, from];
      const end = Math.min(to, w0[1] + (now - prev) * speed);
      prev = now;
      st.setTimeWindow([from, end]);
      if (end >= to) setPlaying(false);
      else raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
    return () => cancelAnimationFrame(raf);
  }, [playing, speed, from, to]);

  // A brushed window that reached the live edge keeps following it while the capture runs (the world updates at most
  // once a second, so the window, and every view it filters, moves no more often); one ending earlier stays put.
  const edge = useRef(0);
  useEffect(() => {
    const prevEdge = edge.current;
    edge.current = world.lastTs;
    if (playing || session?.state !== 'capturing' || !prevEdge) return;
    const w = useStore.getState().timeWindow;
    if (w && w[1] >= prevEdge - 2000 && world.lastTs > w[1]) useStore.getState().setTimeWindow([w[0], world.lastTs]);
  }, [world, playing, session?.state]);

  // While capturing, a window reaching the live edge gains events: ask the engine again, at most once a second.
  const liveTick = session?.state === 'capturing' && win && win[1] >= live.lastTs - 2000 ? Math.floor(live.lastTs / 1000) : 0;
  const events = useWindowEvents(id, win, live.tail, liveTick);

  if (!from || !to) {
    return (
      <EmptyState title="Nothing on the timeline yet" testId="timeline-empty">
        Processes, file changes, connections, findings and resource use line up here on one time axis once a capture
        runs or a recording is opened. Brush a span to filter every other view to it.
      </EmptyState>
    );
  }
  return (
    <div className="timeline-view">
      <div className="toolbar">
        <button onClick={() => { if (!playing && (!win || win[1] >= to)) useStore.getState().setTimeWindow([from, from]); setPlaying(!playing); }} data-testid="replay">
          {playing ? 'Pause' : 'Replay'}
        </button>
        <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} aria-label="Replay speed">
          {[1, 10, 60, 600].map((s) => <option key={s} value={s}>×{s}</option>)}
        </select>
        <button onClick={() => useStore.getState().setTimeWindow(undefined)} disabled={!win} data-testid="clear-window">Clear window</button>
        <span className="muted small" data-testid="timeline-window">
          {win ? `Window ${formatTime(win[0])} – ${formatTime(win[1])} (${formatDuration(win[1] - win[0])}) filters every view` : `${formatTime(from)} – ${formatTime(to)} · drag across the lanes to choose a window`}
        </span>
      </div>
      <div className="timeline" ref={wrap}>
        <svg width={width + LABEL_W + 8} height={LANES.length * LANE_H + 24} data-testid="timeline-svg">
          <g transform={`translate(${LABEL_W},4)`}>
            {axis.ticks.map((t) => <line key={t.px} className="grid" x1={t.px} x2={t.px} y1={0} y2={LANES.length * LANE_H} />)}
            {LANES.map((lane, i) => (
              <g key={lane} transform={`translate(0,${i * LANE_H})`} className={`lane lane-${lane}`}>
                <text className="lane-label" x={-8} y={LANE_H / 2 + 4} textAnchor="end">{lane}</text>
                <line className="lane-base" x1={0} x2={width} y1={LANE_H} y2={LANE_H} />
                {lane === 'findings'
                  ? lanes.findings.map((f) => (
                    <g key={f.fingerprint} className={`fmark sev-fill-${f.severity}`} onClick={() => { useStore.getState().selectFinding(f.fingerprint); useStore.getState().setTab('findings'); }}>
                      <title>{`${f.severity}: ${f.ruleId} (${f.count}×)`}</title>
                      <rect x={axis.x(f.first) - 3} y={8} width={Math.max(6, axis.x(f.last) - axis.x(f.first) + 6)} height={LANE_H - 16} rx={3} />
                    </g>
                  ))
                  : lane === 'cpu' ? <path className="spark" d={lanes.cpu} />
                    : <path className="bars" d={lanes[lane]} />}
              </g>
            ))}
            <g ref={brush} className="brush" />
            {axis.ticks.map((t) => <text key={t.px} className="tick" x={t.px} y={LANES.length * LANE_H + 14} textAnchor="middle">{t.label}</text>)}
            {(live.loss?.gaps ?? []).map(([a, b]) => <rect key={a} className="gap" x={axis.x(a)} y={0} width={Math.max(2, axis.x(b) - axis.x(a))} height={LANES.length * LANE_H}><title>sensor gap: events missing</title></rect>)}
          </g>
        </svg>
      </div>
      <h4>Events {win ? 'in the window' : '(latest)'} <span className="muted small">{events.note}</span></h4>
      {events.error && <div className="callout bad">{visible(events.error)}</div>}
      <EventsList rows={events.rows} />
    </div>
  );
});

const EVENT_ROW_H = 21;

/** The events, newest first, in a scrolling box that renders only the rows in view (live lists churn fast). */
function EventsList({ rows }: { rows: RuntimeEvent[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const newest = useMemo(() => rows.slice(-2000).reverse(), [rows]);
  const height = box.current?.clientHeight || 400;
  const first = Math.max(0, Math.floor(top / EVENT_ROW_H) - 8);
  const last = Math.min(newest.length, Math.ceil((top + height) / EVENT_ROW_H) + 8);
  return (
    <div className="timeline-events-wrap" ref={box} onScroll={(e) => setTop(e.currentTarget.scrollTop)} data-testid="timeline-events-box" data-count={newest.length}>
      <div className="timeline-events-spacer" style={{ height: newest.length * EVENT_ROW_H }}>
        <table className="table compact timeline-events" data-testid="timeline-events" style={{ transform: `translateY(${first * EVENT_ROW_H}px)` }}>
          <colgroup><col className="c-time" /><col className="c-kind" /><col className="c-proc" /><col /></colgroup>
          <tbody>
            {newest.slice(first, last).map((e) => <EventRow key={`${e.seq}-${e.ts}`} e={e} />)}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One event; rows already shown are not rendered again as the list scrolls with new events. */
const EventRow = memo(function EventRow({ e }: { e: RuntimeEvent }) {
  return (
    <tr>
      <td className="mono small">{formatTime(e.ts)}</td>
      <td><span className={`fam fam-${EVENT_FAMILY[e.kind]}`}>{e.kind}</span></td>
      <td className="mono small">{visible(e.comm, 20)} ({e.tgid})</td>
      <td className="mono small">{visible(describeEvent(e), 300)}</td>
    </tr>
  );
});

/** Raw events for the brushed window from the engine (a recording holds them all); the live tail otherwise. */
function useWindowEvents(id: string, win: readonly [number, number] | undefined, tail: RuntimeEvent[], liveTick: number) {
  const [state, setState] = useState<{ rows: RuntimeEvent[]; note: string; error?: string }>({ rows: [], note: '' });
  useEffect(() => {
    if (!win) {
      const rows = tail.filter((e) => e.containerId === id || e.containerId?.startsWith(id));
      setState({ rows, note: `${rows.length} most recent from the live tail` });
      return;
    }
    let cancelled = false;
    // A window at the live edge of a capture shows its newest events (those keep arriving); any other its first.
    const newest = liveTick !== 0;
    const t = setTimeout(() => {
      getClient().call('events.query', { from: win[0], to: win[1], containerId: id, limit: 2000, newest }).then(
        (rows) => !cancelled && setState({ rows, note: rows.length >= 2000 ? `${newest ? 'newest' : 'first'} 2000 shown` : `${rows.length} events` }),
        (err) => {
          if (cancelled) return;
          const rows = tail.filter((e) => e.ts >= win[0] && e.ts <= win[1] && (e.containerId === id));
          setState({ rows, note: `${rows.length} from the live tail`, error: `The engine could not list stored events: ${describeError(err)}` });
        },
      );
    }, 200);
    return () => { cancelled = true; clearTimeout(t); };
  }, [id, win?.[0], win?.[1], win ? liveTick : tail]);
  return state;
}
