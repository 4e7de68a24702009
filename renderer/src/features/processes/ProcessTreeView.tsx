// Processes tab: the live process tree (canvas, d3 layout and zoom) with search, collapse, follow-newest and details;
// falls back to `docker top` when no capture session has seen this container.
import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
import type { ProcessNode } from '../../../../electron/common/model/process';
import { useStore } from '../../store';
import { scopeFor, type Scope, type ScopeMode, type TimeWindow } from '../../store/live/selectors';
import { processChangesSince, type LiveWorld } from '../../store/live/slice';
import { severityByProcess } from '../../store/findings/selectors';
import { ProcessList } from '../containers/ProcessList';
import { visible } from '../../ui/text';
import { useSize, useZoom, type Pan } from '../../viz/hooks';
import { ancestorKeys, paintProcessTree, ProcessForest, rowAt, ROW_H, INDENT } from '../../viz/processTree';
import { formatTime } from '../../ui/time';
import './processes.css';

const USERS: Record<number, string> = { 0: 'root', 65534: 'nobody', 33: 'www-data', 101: 'nginx', 1000: 'uid 1000' };
const userName = (uid: number) => USERS[uid] ?? `uid ${uid}`;

export function ProcessTreeView({ id }: { id: string }) {
  const live = useStore((s) => s.live);
  const containers = useStore((s) => s.containers);
  const selectedId = useStore((s) => s.selectedId);
  const findings = useStore((s) => s.findings);
  const w = useStore((s) => s.timeWindow);
  const selected = useStore((s) => s.selectedProcess);
  const revealSeq = useStore((s) => s.revealSeq);
  const [mode, setMode] = useState<ScopeMode>('container');
  const [search, setSearch] = useState('');
  const [hideExited, setHideExited] = useState(false);
  const [follow, setFollow] = useState(false);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [hover, setHover] = useState<{ key: string; x: number; y: number } | undefined>();

  const scope = useMemo(() => scopeFor({ containers, selectedId }, mode), [containers, selectedId, mode]);
  // The tree follows the live world incrementally: only the processes a frame changed are re-placed.
  const forest = useForest(live, scope, w);
  const labelOf = (cid: string) => containers[cid]?.name ?? live.refs.get(cid)?.name ?? cid.slice(0, 12);
  const roots = useMemo(() => [...(scope ?? [])].map((cid) => ({ id: cid, label: labelOf(cid) })), [scope, containers, live.refs]);
  const layout = useMemo(() => forest.layout({ roots, collapsed, search, hideExited, labelOf }), [forest, forest.version, roots, collapsed, search, hideExited]);
  const severity = useMemo(() => severityByProcess(live, Object.values(findings)), [live.processes, findings]);

  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = useSize(wrap);
  const pan = useRef<Pan>({ k: 1, x: 24, y: 8 });
  const paintArgs = useRef({ layout, severity, selected, hover: hover?.key, size });
  paintArgs.current = { layout, severity, selected, hover: hover?.key, size };
  const frame = useRef(0);
  const paint = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const c = canvas.current;
      const a = paintArgs.current;
      const ctx = c?.getContext('2d');
      if (!c || !ctx || a.size.width === 0) return;
      paintProcessTree(ctx, a.layout, { width: a.size.width, height: a.size.height, ...pan.current, selected: a.selected, hover: a.hover, severity: a.severity, userName, safe: visible });
    });
  };
  const zoom = useZoom(canvas, (t) => { pan.current = t; paint(); }, [0.25, 2.5]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(size.width * dpr));
    c.height = Math.max(1, Math.round(size.height * dpr));
    paint();
  }, [size.width, size.height]);
  useEffect(paint, [layout, severity, selected, hover?.key]);

  const scrollToRow = (row: number, animate = true) => {
    if (row < 0) return;
    const r = layout.rows[row];
    zoom.centerOn(r.depth * INDENT, row * ROW_H + ROW_H / 2, Math.min(160, size.width / 4), size.height / 2, animate);
  };
  // Follow the newest process as the tree grows.
  useEffect(() => {
    if (follow) scrollToRow(layout.newest, false);
  }, [follow, layout]);
  // A reveal (from a finding) expands the path to the process, then centres it once it is laid out.
  const pendingReveal = useRef<string | undefined>(undefined);
  const lastReveal = useRef(revealSeq);
  useEffect(() => {
    if (revealSeq === lastReveal.current) return;
    lastReveal.current = revealSeq;
    if (!selected) return;
    pendingReveal.current = selected;
    setFollow(false);
    setSearch('');
    const up = ancestorKeys(live.processes, selected);
    if (up.some((k) => collapsed.has(k))) setCollapsed((c) => new Set([...c].filter((k) => !up.includes(k))));
  }, [revealSeq]);
  useEffect(() => {
    const key = pendingReveal.current;
    if (!key || size.height === 0 || !layout.byKey.has(key)) return;
    pendingReveal.current = undefined;
    scrollToRow(layout.byKey.get(key)!, false);
  }, [layout, size.height]);

  const rowFromEvent = (e: React.MouseEvent) => {
    const rect = (e.target as HTMLElement).getBoundingClientRect();
    return rowAt(layout, pan.current, e.clientY - rect.top);
  };
  const onClick = (e: React.MouseEvent) => {
    const i = rowFromEvent(e);
    if (i < 0) return;
    const r = layout.rows[i];
    const rect = (e.target as HTMLElement).getBoundingClientRect();
    const xWorld = (e.clientX - rect.left - pan.current.x) / pan.current.k;
    // Clicking the +/− toggle (left of the glyph) or a container root collapses/expands.
    if (r.childCount > 0 && (r.root || xWorld < r.depth * INDENT + 2)) {
      setCollapsed((c) => {
        const n = new Set(c);
        if (n.has(r.key)) n.delete(r.key);
        else n.add(r.key);
        return n;
      });
      return;
    }
    if (r.proc) useStore.getState().selectProcess(r.key);
  };
  const onMove = (e: React.MouseEvent) => {
    const i = rowFromEvent(e);
    const r = i >= 0 ? layout.rows[i] : undefined;
    const rect = (e.target as HTMLElement).getBoundingClientRect();
    if (r?.proc) setHover({ key: r.key, x: e.clientX - rect.left, y: e.clientY - rect.top });
    else if (hover) setHover(undefined);
  };
  const onKey = (e: React.KeyboardEvent) => {
    const cur = selected ? layout.byKey.get(selected) ?? -1 : -1;
    let next = -1;
    if (e.key === 'ArrowDown') next = Math.min(layout.rows.length - 1, cur + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, cur - 1);
    else return;
    e.preventDefault();
    while (next >= 0 && next < layout.rows.length && !layout.rows[next].proc) next += e.key === 'ArrowDown' ? 1 : -1;
    const r = layout.rows[next];
    if (r?.proc) {
      useStore.getState().selectProcess(r.key);
      scrollToRow(next, false);
    }
  };

  const sel = selected ? live.processes.get(selected) : undefined;
  const hov = hover ? live.processes.get(hover.key) : undefined;
  const haveTree = forest.size > 0;
  const exited = forest.exited;

  return (
    <div className="proc-view">
      <div className="toolbar">
        <input className="grow" placeholder="Search program, pid or arguments" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="tree-search" aria-label="Search processes" />
        <select value={mode} onChange={(e) => setMode(e.target.value as ScopeMode)} aria-label="Scope">
          <option value="container">This container</option>
          <option value="service">Compose service</option>
          <option value="project">Compose project</option>
          <option value="all">All containers</option>
        </select>
        <label className="check"><input type="checkbox" checked={hideExited} onChange={(e) => setHideExited(e.target.checked)} /> hide exited</label>
        <label className="check"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="tree-follow" /> follow newest</label>
        <button onClick={() => setCollapsed(new Set())}>Expand all</button>
        <button onClick={() => setCollapsed(new Set(layout.rows.filter((r) => r.proc && r.childCount > 0 && r.depth >= 1).map((r) => r.key)))}>Collapse</button>
        <button onClick={() => zoom.reset()}>Reset view</button>
        <span className="muted small" data-testid="tree-count">
          {forest.size.toLocaleString()} processes · {exited.toLocaleString()} exited{search ? ` · ${layout.matches} match${layout.matches === 1 ? '' : 'es'}` : ''}
        </span>
      </div>
      <div className="proc-split">
        <div className="proc-canvas-wrap" ref={wrap} data-testid="process-tree" data-rows={layout.rows.length} data-selected-row={selected ? layout.byKey.get(selected) ?? -1 : -1}>
          <canvas ref={canvas} tabIndex={0} onClick={onClick} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)} onKeyDown={onKey}
            aria-label={`Process tree with ${forest.size} processes; arrow keys move the selection`} />
          {!haveTree && (
            <div className="proc-empty">
              <div className="muted pad">No captured processes for this scope{w ? ' in the brushed window' : ''}. Start a capture in the bar above to see the live tree; meanwhile, <code>docker top</code>:</div>
              <ProcessList id={id} />
            </div>
          )}
          {hov && hover && (
            <div className="tree-tip" style={{ left: Math.min(hover.x + 14, size.width - 360), top: hover.y + 14 }} data-testid="tree-tip">
              <div className="mono">{visible(hov.argv.join(' ') || hov.exe, 600)}</div>
              <div className="muted small">{visible(hov.exe, 300)} · pid {hov.tgid} · {userName(hov.uid)}{hov.cwd ? ` · cwd ${visible(hov.cwd, 200)}` : ''}</div>
            </div>
          )}
        </div>
        {sel && <ProcessDetail p={sel} onSelect={(k) => useStore.getState().selectProcess(k)} />}
      </div>
    </div>
  );
}

/**
 * The process forest for a scope and time window, kept in step with the live world by the keys each revision
 * changed (a new scope, window or session rebuilds it). Returns the same forest object; its version says when it changed.
 */
function useForest(live: LiveWorld, scope: Scope, w: TimeWindow | undefined): ProcessForest {
  const state = useRef<{ forest: ProcessForest; scope: Scope; w: TimeWindow | undefined; rev: number } | undefined>(undefined);
  let st = state.current;
  const changes = st && st.scope === scope && st.w === w ? processChangesSince(live, st.rev) : undefined;
  if (!st || changes === undefined) {
    const accept = (p: ProcessNode) => (!scope || (p.containerId !== undefined && scope.has(p.containerId))) && (!w || (p.start <= w[1] && (p.exit ?? Infinity) >= w[0]));
    st = state.current = { forest: new ProcessForest(accept), scope, w, rev: live.rev };
    st.forest.apply(live.processes);
  } else if (changes.length) {
    st.forest.apply(live.processes, changes);
  }
  st.rev = live.rev;
  return st.forest;
}

function ProcessDetail({ p, onSelect }: { p: ProcessNode; onSelect: (key: string) => void }) {
  const processes = useStore((s) => s.live.processes);
  const parent = p.parentKey ? processes.get(p.parentKey) : undefined;
  const children = useMemo(() => [...processes.values()].filter((c) => c.parentKey === p.key).slice(0, 50), [processes, p.key]);
  return (
    <aside className="side-detail" data-testid="process-detail">
      <h3 className="mono">{visible(p.exe || p.comm, 300)}</h3>
      <div className="kv"><span>pid</span><code>{p.tgid}</code></div>
      <div className="kv"><span>user</span><code>{userName(p.uid)}</code></div>
      <div className="kv"><span>command</span><code data-testid="process-cmdline">{visible(p.argv.join(' '), 2000)}</code></div>
      {p.cwd && <div className="kv"><span>cwd</span><code>{visible(p.cwd, 500)}</code></div>}
      <div className="kv"><span>started</span><code>{formatTime(p.start)}{p.seeded ? ' (already running)' : p.inferred ? ' (first seen)' : ''}{p.fromExec ? ' · docker exec' : ''}</code></div>
      {p.exit !== undefined && <div className="kv"><span>exited</span><code>{formatTime(p.exit)} · {p.exitSignal ? `signal ${p.exitSignal}` : `code ${p.exitCode ?? '?'}`}</code></div>}
      {p.threads ? <div className="kv"><span>threads</span><code>{p.threads + 1}</code></div> : null}
      {parent && <div className="kv"><span>parent</span><button className="link" onClick={() => onSelect(parent.key)} data-testid="process-parent">{visible(parent.comm)} ({parent.tgid})</button></div>}
      {p.lineage.length > 0 && (
        <>
          <h4>exec lineage (same pid)</h4>
          <ol className="lineage">
            {p.lineage.map((l, i) => (
              <Fragment key={i}>
                <li><code>{visible(l.argv.join(' ') || l.exe, 300)}</code> <span className="muted small">{formatTime(l.ts)}</span></li>
                {i === 0 && p.lineageOmitted ? <li className="muted small" data-testid="lineage-omitted">… {p.lineageOmitted} more programs (the recording has every exec)</li> : null}
              </Fragment>
            ))}
            <li><code>{visible(p.argv.join(' ') || p.exe, 300)}</code></li>
          </ol>
        </>
      )}
      {children.length > 0 && (
        <>
          <h4>children</h4>
          <ul className="plain">
            {children.map((c) => <li key={c.key}><button className="link" onClick={() => onSelect(c.key)}>{visible(c.comm)} ({c.tgid})</button> <span className="muted small">{visible(c.argv.slice(1).join(' '), 80)}</span></li>)}
          </ul>
        </>
      )}
    </aside>
  );
}
