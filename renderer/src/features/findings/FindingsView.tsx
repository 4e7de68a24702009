// Findings tab: runtime, policy and posture findings with filters; the detail explains, links MITRE and jumps to evidence.
import { useEffect, useMemo } from 'react';
import { SEVERITIES, type Finding, type Severity } from '../../../../electron/common/model/finding';
import { useStore } from '../../store';
import { countBySeverity, filterFindings, locateEvidence, mitreUrl } from '../../store/findings/selectors';
import { scopeFor } from '../../store/live/selectors';
import { windowAround } from '../../store/session/slice';
import { visible } from '../../ui/text';
import { formatDateTime, formatTime } from '../../ui/time';
import { ExportButton } from '../export/ExportPanel';
import './findings.css';

export function SeverityBadge({ s }: { s: Severity }) {
  return <span className={`sev sev-${s}`}>{s}</span>;
}

export function FindingsView({ id }: { id: string }) {
  const findings = useStore((s) => s.findings);
  const posture = useStore((s) => s.posture[id]);
  const filter = useStore((s) => s.findingFilter);
  const selectedFp = useStore((s) => s.selectedFinding);
  const containers = useStore((s) => s.containers);
  const w = useStore((s) => s.timeWindow);
  const error = useStore((s) => s.findingsError);

  const inDocker = useStore((s) => !!s.containers[id]);
  useEffect(() => {
    // Posture needs the container's configuration from Docker; a recording's gone container has none to check.
    if (!posture && inDocker) void useStore.getState().loadPosture(id);
  }, [id, inDocker]);

  const scope = useMemo(() => scopeFor({ containers, selectedId: id }, 'service'), [containers, id]);
  const all = useMemo(() => [...Object.values(findings), ...(posture?.data ?? [])], [findings, posture?.data]);
  const rows = useMemo(() => filterFindings(all, filter, scope, w), [all, filter, scope, w]);
  const counts = useMemo(() => countBySeverity(rows), [rows]);
  const selected = selectedFp ? all.find((f) => f.fingerprint === selectedFp) : undefined;
  const set = useStore.getState().setFindingFilter;

  return (
    <div className="findings-view">
      <div className="toolbar wrap">
        <input className="grow" placeholder="Filter by rule, path, endpoint or MITRE id" value={filter.text} onChange={(e) => set({ text: e.target.value })} data-testid="findings-filter" aria-label="Filter findings" />
        <select value={filter.minSeverity} onChange={(e) => set({ minSeverity: e.target.value as Severity })} aria-label="Lowest severity">
          {SEVERITIES.map((s) => <option key={s} value={s}>{s} and worse</option>)}
        </select>
        <select value={filter.status} onChange={(e) => set({ status: e.target.value as typeof filter.status })} aria-label="Status">
          <option value="open">open</option><option value="all">all statuses</option><option value="expected">expected</option><option value="false-positive">false positives</option>
        </select>
        <select value={filter.source} onChange={(e) => set({ source: e.target.value as typeof filter.source })} aria-label="Source">
          <option value="all">all sources</option><option value="runtime">runtime rules</option><option value="policy">policy</option><option value="posture">posture</option>
        </select>
        <label className="check"><input type="checkbox" checked={filter.onlySelected} onChange={(e) => set({ onlySelected: e.target.checked })} /> this container/service only</label>
        <span className="sev-counts">{SEVERITIES.filter((s) => counts[s]).map((s) => <span key={s} className={`sev sev-${s}`}>{counts[s]} {s}</span>)}</span>
        <ExportButton containerId={id} />
      </div>
      {error && <div className="callout bad">{visible(error)}</div>}
      {posture?.error && <div className="callout bad">Posture checks could not run: {visible(posture.error)}</div>}
      <div className="findings-split">
        <div className="findings-list">
          <table className="table clickable" data-testid="findings-table">
            <thead><tr><th>severity</th><th>rule</th><th>container</th><th>count</th><th>first</th><th>last</th></tr></thead>
            <tbody>
              {rows.map((f) => (
                <tr key={f.fingerprint} className={f.fingerprint === selectedFp ? 'selected' : f.status !== 'open' ? 'quiet' : ''} data-testid="finding-row" data-rule={f.ruleId}
                  onClick={() => useStore.getState().selectFinding(f.fingerprint)} tabIndex={0}
                  onKeyDown={(e) => e.key === 'Enter' && useStore.getState().selectFinding(f.fingerprint)}>
                  <td><SeverityBadge s={f.severity} /></td>
                  <td>
                    <div>{visible(f.ruleId, 200)}</div>
                    <div className="muted small">{f.source}{f.status !== 'open' ? ` · marked ${f.status}` : ''}{f.evidence.path ? ` · ${visible(f.evidence.path, 80)}` : f.evidence.endpoint ? ` · ${visible(f.evidence.endpoint, 80)}` : ''}</div>
                  </td>
                  <td>{visible(f.container.name, 80)}{f.composeService ? <div className="muted small">{visible(f.composeService)}</div> : null}</td>
                  <td className="num">{f.count}</td>
                  <td className="mono small">{f.source === 'posture' ? '—' : formatTime(f.first)}</td>
                  <td className="mono small">{f.source === 'posture' ? '—' : formatTime(f.last)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && (
            <div className="empty small-empty" data-testid="findings-empty">
              <div className="empty-title">No findings{w ? ' in the brushed window' : ''}</div>
              {all.length > 0 ? 'Loosen the filters above to see the others.' : 'Rules report here while a capture runs; posture checks appear once the container is inspected.'}
            </div>
          )}
        </div>
        {selected && <FindingDetail f={selected} />}
      </div>
    </div>
  );
}

function FindingDetail({ f }: { f: Finding }) {
  const world = useStore((s) => s.live);
  const target = useMemo(() => locateEvidence(world, f), [world, f]);
  const reveal = (tab: 'processes' | 'files' | 'network' | 'timeline') => {
    const st = useStore.getState();
    st.setTimeWindow(windowAround(target.ts));
    st.reveal({ tab, containerId: target.containerId, processKey: target.processKey, fileKey: target.fileKey, flowKey: target.flowKey, ts: target.ts });
  };
  const mark = (status: 'open' | 'expected' | 'false-positive', scope?: 'image' | 'service') => void useStore.getState().setFindingStatus(f.fingerprint, status, scope);
  return (
    <aside className="side-detail finding-detail" data-testid="finding-detail">
      <div className="row-flex"><SeverityBadge s={f.severity} /><h3>{visible(f.title, 300)}</h3></div>
      <div className="muted small">{visible(f.ruleId)} · {f.source} · seen {f.count}× {f.source !== 'posture' && <>from {formatDateTime(f.first)} to {formatTime(f.last)}</>}</div>
      <h4>Why it matters</h4>
      <p className="prose">{visible(f.why, 4000)}</p>
      <h4>How to fix</h4>
      <p className="prose">{visible(f.fix, 4000)}</p>
      {f.mitre.length > 0 && (
        <>
          <h4>MITRE ATT&amp;CK</h4>
          <div className="mitre">
            {f.mitre.map((m) => {
              const url = mitreUrl(m);
              return url ? <a key={m} href={url} target="_blank" rel="noreferrer noopener" data-testid="mitre-link">{m}</a> : <span key={m} className="badge">{visible(m)}</span>;
            })}
          </div>
        </>
      )}
      <h4>Evidence</h4>
      {f.evidence.output && <pre className="evidence-out">{visible(f.evidence.output, 2000)}</pre>}
      {f.evidence.field && <div className="kv"><span>{visible(f.evidence.field)}</span><code>{visible(f.evidence.value ?? '')}</code></div>}
      {f.evidence.ancestry && f.evidence.ancestry.length > 0 && (
        <ol className="lineage">{f.evidence.ancestry.map((a, i) => <li key={i}><code>{visible(a.cmdline || a.exe, 300)}</code> <span className="muted small">pid {a.pid}</span></li>)}</ol>
      )}
      {f.source !== 'posture' && (
        <div className="jump">
          <button onClick={() => reveal('processes')} disabled={!target.processKey} data-testid="jump-process" title={target.processKey ? 'Show the acting process in the tree' : 'The acting process is not in the captured tree'}>
            Process{target.processKey ? '' : ' (not captured)'}
          </button>
          <button onClick={() => reveal('files')} disabled={!target.path} data-testid="jump-file">File{target.path ? `: ${visible(target.path, 40)}` : ''}</button>
          <button onClick={() => reveal('network')} disabled={!target.flowKey} data-testid="jump-flow">Connection{f.evidence.endpoint ? `: ${visible(f.evidence.endpoint, 40)}` : ''}</button>
          <button onClick={() => reveal('timeline')} data-testid="jump-time">At {formatTime(target.ts)}</button>
        </div>
      )}
      <h4>Mark</h4>
      <div className="jump">
        {f.status === 'open' ? (
          <>
            <button onClick={() => mark('expected', f.composeService ? 'service' : 'image')} data-testid="mark-expected">Expected{f.composeService ? ' for this service' : ' for this image'}</button>
            <button onClick={() => mark('false-positive')} data-testid="mark-fp">False positive</button>
          </>
        ) : (
          <button onClick={() => mark('open')} data-testid="mark-open">Reopen (marked {f.status})</button>
        )}
      </div>
    </aside>
  );
}
