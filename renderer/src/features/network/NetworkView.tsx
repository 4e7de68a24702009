// Network tab: a container ↔ endpoint graph, egress summary with unexpected destinations, listening sockets and flows.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Flow } from '../../../../electron/common/model/process';
import { useStore } from '../../store';
import { classifyFlow, egressSummary, flowsIn, listeningIn, scopeFor, type ScopeMode } from '../../store/live/selectors';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';
import { formatTime } from '../../ui/time';
import { layoutFlowGraph, type FlowLinkIn, type GraphNodeIn } from '../../viz/flowGraph';
import { useSize } from '../../viz/hooks';
import './network.css';

const endpointId = (f: Flow) => `ep:${f.remoteContainer ?? f.dnsName ?? f.remoteAddr}`;

export function NetworkView({ id }: { id: string }) {
  const live = useStore((s) => s.live);
  const containers = useStore((s) => s.containers);
  const w = useStore((s) => s.timeWindow);
  const selected = useStore((s) => s.selectedFlow);
  const revealSeq = useStore((s) => s.revealSeq);
  const [mode, setMode] = useState<ScopeMode>('container');
  const scope = useMemo(() => scopeFor({ containers, selectedId: id }, mode), [containers, id, mode]);
  const flows = useMemo(() => flowsIn(live, scope, w), [live.flows, scope, w]);
  const listening = useMemo(() => listeningIn(live, scope), [live.listening, scope]);
  const egress = useMemo(() => egressSummary(flows), [flows]);
  const name = (cid: string) => containers[cid]?.name ?? live.refs.get(cid)?.name ?? cid.slice(0, 12);

  const wrap = useRef<HTMLDivElement>(null);
  const size = useSize(wrap);
  const graph = useMemo(() => {
    const nodes = new Map<string, GraphNodeIn>();
    const links = new Map<string, FlowLinkIn>();
    for (const f of flows) {
      const c = `c:${f.containerId}`;
      if (!nodes.has(c)) nodes.set(c, { id: c, label: name(f.containerId), side: 'left', container: true });
      const e = endpointId(f);
      const cls = classifyFlow(f);
      const prev = nodes.get(e);
      nodes.set(e, {
        id: e, side: 'right', container: !!f.remoteContainer,
        label: f.remoteContainer ?? f.dnsName ?? f.remoteAddr,
        sub: f.remoteContainer || f.dnsName ? f.remoteAddr : undefined,
        unexpected: (prev?.unexpected ?? false) || cls.cls === 'unexpected',
      });
      // One link per container ↔ endpoint, carrying every port used between them.
      const lk = `${c}>${e}`;
      const label = `${f.proto}/${f.direction === 'inbound' ? f.localPort ?? '?' : f.remotePort}`;
      const prevLink = links.get(lk);
      if (prevLink) {
        prevLink.count += f.count;
        prevLink.failures += f.failures;
        prevLink.unexpected ||= cls.cls === 'unexpected';
        if (!prevLink.label.split(' ').includes(label)) prevLink.label += ` ${label}`;
        if (f.key === selected) prevLink.key = f.key;
      } else {
        links.set(lk, { key: f.key, from: c, to: e, count: f.count, failures: f.failures, unexpected: cls.cls === 'unexpected', inbound: f.direction === 'inbound', label });
      }
    }
    return layoutFlowGraph([...nodes.values()], [...links.values()], Math.max(560, size.width));
  }, [flows, size.width, containers, live.refs, selected]);

  const table = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    if (selected) table.current?.querySelector(`[data-key="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: 'center' });
  }, [revealSeq, flows.length > 0]);

  if (flows.length === 0 && listening.length === 0) {
    return (
      <EmptyState title="No network activity captured" testId="network-empty">
        Connections, accepted clients, listening sockets and DNS names appear here while a capture runs
        {w ? ' (the brushed time window may hide some: clear it on the timeline)' : ''}.
      </EmptyState>
    );
  }
  const sel = (k: string) => useStore.getState().selectFlow(k === selected ? undefined : k);
  return (
    <div className="net-view">
      <div className="toolbar">
        <select value={mode} onChange={(e) => setMode(e.target.value as ScopeMode)} aria-label="Scope">
          <option value="container">This container</option><option value="service">Compose service</option>
          <option value="project">Compose project</option><option value="all">All containers</option>
        </select>
        <span className="muted small">{flows.length} flows · {egress.filter((e) => e.unexpected).length} unexpected destinations · {listening.length} listening</span>
      </div>
      <div className="net-top">
        <div className="net-graph" ref={wrap}>
          <svg width={graph.width} height={graph.height} data-testid="flow-graph" role="img" aria-label="Connections between containers and remote endpoints">
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
              </marker>
            </defs>
            {graph.links.map((l) => (
              <g key={l.key} className={`flink ${l.unexpected ? 'unexpected' : ''} ${l.key === selected ? 'selected' : ''} ${l.failures === l.count ? 'failed' : ''}`} onClick={() => sel(l.key)} data-testid="flow-link">
                <path d={l.d} strokeWidth={l.width} markerEnd={l.inbound ? undefined : 'url(#arrow)'} markerStart={l.inbound ? 'url(#arrow)' : undefined} />
                <text x={l.lx} y={l.ly} textAnchor="end">{visible(l.label, 40)} ×{l.count}</text>
              </g>
            ))}
            {graph.nodes.map((n) => (
              <g key={n.id} transform={`translate(${n.x},${n.y})`} className={`fnode ${n.side} ${n.unexpected ? 'unexpected' : ''} ${n.container ? 'container' : ''}`}>
                {n.container ? <rect x={-7} y={-7} width={14} height={14} rx={3} /> : <circle r={7} />}
                <text x={n.side === 'left' ? -14 : 14} y={n.sub ? -2 : 4} textAnchor={n.side === 'left' ? 'end' : 'start'}>{visible(n.label, n.side === 'left' ? 28 : 48)}</text>
                {n.sub && <text className="sub" x={n.side === 'left' ? -14 : 14} y={12} textAnchor={n.side === 'left' ? 'end' : 'start'}>{visible(n.sub, 48)}</text>}
              </g>
            ))}
          </svg>
        </div>
        <div className="net-side">
          <h4>Egress</h4>
          <table className="table compact" data-testid="egress">
            <tbody>
              {egress.map((e) => (
                <tr key={e.destination} className={e.unexpected ? 'risk' : ''} title={e.reasons.join('; ')}>
                  <td><code>{visible(e.destination, 80)}</code>{e.unexpected && <div className="small">{visible(e.reasons.join('; '))}</div>}</td>
                  <td className="mono small">{e.ports.join(', ')}</td>
                  <td className="num">{e.count}{e.failures ? <span className="muted"> ({e.failures} failed)</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {listening.length > 0 && (
            <>
              <h4>Listening</h4>
              <table className="table compact" data-testid="listening">
                <tbody>{listening.map((l) => <tr key={l.key} data-testid="listening-row"><td className="mono">{l.proto} {visible(l.addr)}:{l.port}</td><td>{visible(l.exe.split('/').pop())}</td><td className="muted small">{name(l.containerId)}</td></tr>)}</tbody>
              </table>
            </>
          )}
        </div>
      </div>
      <h4>Flows</h4>
      <table className="table clickable" data-testid="flows-table">
        <thead><tr><th>container</th><th>dir</th><th>remote</th><th>port</th><th>name</th><th>count</th><th>failed</th><th>programs</th><th>first</th><th>last</th></tr></thead>
        <tbody ref={table}>
          {flows.map((f) => {
            const k = f.key;
            const c = classifyFlow(f);
            return (
              <tr key={k} data-key={k} className={`${k === selected ? 'selected' : ''} ${c.cls === 'unexpected' ? 'risk' : ''}`} onClick={() => sel(k)} data-testid="flow-row" title={c.reason}>
                <td>{visible(name(f.containerId), 60)}</td>
                <td>{f.direction === 'outbound' ? '→ out' : '← in'}</td>
                <td className="mono">{visible(f.remoteAddr, 64)}</td>
                <td className="mono">{f.proto}/{f.direction === 'inbound' ? f.localPort ?? '?' : f.remotePort}</td>
                <td>{f.remoteContainer ? <span className="badge">container {visible(f.remoteContainer, 60)}</span> : visible(f.dnsName ?? '', 120)}</td>
                <td className="num">{f.count}</td>
                <td className="num">{f.failures || ''}</td>
                <td className="small">{visible(f.exes.map((e) => e.split('/').pop()).join(', '), 120)}</td>
                <td className="mono small">{formatTime(f.first)}</td>
                <td className="mono small">{formatTime(f.last)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
