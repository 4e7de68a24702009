// Export & tickets: the session as SARIF/Markdown/HTML/CSV/JSON (with what was redacted), and tickets with an exact preview first.
import { useEffect, useMemo, useState } from 'react';
import { EXPORT_FORMATS, TRACKER_KINDS, type ExportFormat, type ExportResult, type SecretName, type TrackerKind } from '../../../../electron/common/ipc/contract';
import { SEVERITY_RANK, type Finding } from '../../../../electron/common/model/finding';
import { useStore } from '../../store';
import { secretsFor, type TicketGrouping } from '../../store/export/slice';
import { formatBytes, visible } from '../../ui/text';
import './export.css';

const FORMAT_NAMES: Record<ExportFormat, string> = { sarif: 'SARIF 2.1.0', md: 'Markdown', html: 'HTML report', csv: 'CSV', json: 'JSON (glasshouse.report/v1)' };
const TRACKER_NAMES: Record<TrackerKind, string> = { github: 'GitHub Issues', gitlab: 'GitLab issues', 'jira-cloud': 'Jira Cloud', 'jira-server': 'Jira Server / Data Center' };
const PROJECT_LABEL: Record<TrackerKind, [string, string]> = {
  github: ['Repository', 'owner/repo'], gitlab: ['Project', 'group/project or numeric id'],
  'jira-cloud': ['Project key', 'SEC'], 'jira-server': ['Project key', 'SEC'],
};
const BASE_HINT: Record<TrackerKind, string> = {
  github: 'https://api.github.com (GitHub Enterprise: https://HOST/api/v3)', gitlab: 'https://gitlab.com',
  'jira-cloud': 'https://SITE.atlassian.net', 'jira-server': 'https://jira.example.com',
};
const SECRET_LABEL: Record<SecretName, string> = { 'github-token': 'GitHub token', 'gitlab-token': 'GitLab token', 'jira-token': 'Jira API token', 'jira-email': 'Jira account email' };

/** In the browser host the report becomes a download; Electron's main saves it through a native dialog instead. */
function download(r: ExportResult): void {
  const url = URL.createObjectURL(new Blob([r.text ?? ''], { type: r.mediaType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = r.fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Headers and JSON body as the tracker receives them; each line made visible, line breaks kept. */
function payloadText(headers: Record<string, string>, body: unknown): string {
  const text = `${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${JSON.stringify(body, null, 2)}`;
  return text.slice(0, 200_000).split('\n').map((l) => visible(l, 20_000)).join('\n');
}

export function ExportButton({ containerId }: { containerId: string }) {
  const open = useStore((s) => s.exportOpen);
  return (
    <>
      <button onClick={() => useStore.getState().openExport(true)} data-testid="export-open" title="Export the findings as a report, or file them as tickets">Export &amp; tickets…</button>
      {open && <ExportPanel containerId={containerId} />}
    </>
  );
}

export function ExportPanel({ containerId }: { containerId: string }) {
  const close = () => useStore.getState().openExport(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') close(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="export-overlay" onClick={(e) => { if (e.target === e.currentTarget) close(); }}>
      <div className="export-panel" role="dialog" aria-modal="true" aria-label="Export and tickets" data-testid="export-panel">
        <div className="row-flex"><h3>Export &amp; tickets</h3><div className="spacer" /><button onClick={close} data-testid="export-close" aria-label="Close">✕</button></div>
        <p className="muted small">Secrets found in the evidence (tokens and passwords in command lines, environment values, auth headers) are always redacted before anything leaves this machine.</p>
        <ReportSection containerId={containerId} />
        <TicketSection containerId={containerId} />
      </div>
    </div>
  );
}

function ReportSection({ containerId }: { containerId: string }) {
  const [format, setFormat] = useState<ExportFormat>('sarif');
  const [scope, setScope] = useState<'all' | 'container'>('all');
  const busy = useStore((s) => s.exportBusy);
  const result = useStore((s) => s.exportResult);
  const error = useStore((s) => s.exportError);
  const inElectron = typeof window !== 'undefined' && !!window.glasshouse;
  const run = async () => {
    const r = await useStore.getState().runExport(format, scope === 'container' ? containerId : undefined, inElectron);
    if (r && !inElectron && r.text !== undefined) download(r);
  };
  return (
    <section className="export-section" data-testid="export-report">
      <h4>Report</h4>
      <div className="toolbar wrap">
        <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} aria-label="Report format" data-testid="export-format">
          {EXPORT_FORMATS.map((f) => <option key={f} value={f}>{FORMAT_NAMES[f]}</option>)}
        </select>
        <select value={scope} onChange={(e) => setScope(e.target.value as 'all' | 'container')} aria-label="Which containers" data-testid="export-scope">
          <option value="all">every container in this session</option>
          <option value="container">this container only</option>
        </select>
        <button onClick={() => void run()} disabled={busy} data-testid="export-run">{busy ? 'Exporting…' : inElectron ? 'Save as…' : 'Download'}</button>
      </div>
      {error && <div className="callout bad" role="alert" data-testid="export-error">{visible(error, 600)}</div>}
      {result && !result.canceled && (
        <div className="callout" data-testid="export-result">
          <div><strong>{visible(result.savedTo ?? result.fileName, 300)}</strong> · {formatBytes(result.bytes)} · {result.findings} finding{result.findings === 1 ? '' : 's'}</div>
          <div className={result.redactions.length ? 'warn' : 'muted'} data-testid="export-redactions">{visible(result.redactionSummary, 600)}</div>
          {result.redactions.length > 0 && (
            <details>
              <summary className="small">Where ({result.redactions.length})</summary>
              <ul className="redaction-list small mono" data-testid="export-redaction-list">
                {result.redactions.slice(0, 200).map((n, i) => <li key={i}>{visible(n.kind)} × {n.count} at {visible(n.where, 200)}</li>)}
              </ul>
            </details>
          )}
        </div>
      )}
    </section>
  );
}

function SecretRow({ name }: { name: SecretName }) {
  const st = useStore((s) => s.secretStatus);
  const [value, setValue] = useState('');
  const info = st?.secrets[name];
  const label = info?.set ? `set (${info.from === 'environment' ? 'from the environment' : 'stored'})` : 'not set';
  const save = async () => {
    // The value leaves the form for the engine's store and is cleared here either way: the page keeps no copy.
    const v = value;
    setValue('');
    await useStore.getState().saveSecret(name, v);
  };
  return (
    <div className="secret-row" data-testid={`secret-${name}`}>
      <span className="secret-name">{SECRET_LABEL[name]}</span>
      <span className={info?.set ? 'ok' : 'muted'} data-testid={`secret-state-${name}`}>{label}</span>
      {info?.set && info.origin && <span className="muted small" data-testid={`secret-origin-${name}`}>only for {visible(info.origin, 200)}</span>}
      {st?.writable && (
        <form className="row-flex" onSubmit={(e) => { e.preventDefault(); if (value.trim()) void save(); }}>
          <input type={name === 'jira-email' ? 'email' : 'password'} autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)}
            placeholder={info?.set ? 'replace…' : name === 'jira-email' ? 'you@example.com' : 'paste token'} aria-label={SECRET_LABEL[name]} data-testid={`secret-input-${name}`} />
          <button type="submit" disabled={!value.trim()} data-testid={`secret-save-${name}`}>Save</button>
          {info?.set && info.from === 'store' && <button type="button" onClick={() => void useStore.getState().deleteSecret(name)} data-testid={`secret-delete-${name}`}>Remove</button>}
        </form>
      )}
    </div>
  );
}

function TicketSection({ containerId }: { containerId: string }) {
  const form = useStore((s) => s.ticketForm);
  const st = useStore((s) => s.secretStatus);
  const secretError = useStore((s) => s.secretError);
  const preview = useStore((s) => s.ticketPreview);
  const busy = useStore((s) => s.ticketBusy);
  const error = useStore((s) => s.ticketError);
  const results = useStore((s) => s.ticketResults);
  const total = useStore((s) => s.ticketTotal);
  const findings = useStore((s) => s.findings);
  const [onlyThis, setOnlyThis] = useState(false);
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(new Set());
  const set = useStore.getState().setTicketForm;

  const open = useMemo(() => Object.values(findings)
    .filter((f) => f.status === 'open' && (!onlyThis || f.container.id === containerId))
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.first - b.first), [findings, onlyThis, containerId]);
  const chosen = open.filter((f) => !excluded.has(f.fingerprint)).map((f) => f.fingerprint);
  const toggle = (f: Finding) => {
    const next = new Set(excluded);
    if (next.has(f.fingerprint)) next.delete(f.fingerprint); else next.add(f.fingerprint);
    setExcluded(next);
    useStore.setState({ ticketPreview: undefined, ticketResults: [] });
  };
  const [label, placeholder] = PROJECT_LABEL[form.kind];

  return (
    <section className="export-section" data-testid="export-tickets">
      <h4>Tickets</h4>
      <div className="ticket-grid">
        <label>Tracker
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as TrackerKind })} data-testid="ticket-kind">
            {TRACKER_KINDS.map((k) => <option key={k} value={k}>{TRACKER_NAMES[k]}</option>)}
          </select>
        </label>
        <label>{label}<input value={form.project} onChange={(e) => set({ project: e.target.value })} placeholder={placeholder} data-testid="ticket-project" /></label>
        <label>Server address{form.kind.startsWith('jira') ? '' : ' (optional)'}
          <input value={form.baseUrl} onChange={(e) => set({ baseUrl: e.target.value })} placeholder={BASE_HINT[form.kind]} data-testid="ticket-base-url" />
        </label>
        {form.kind.startsWith('jira') && <label>Issue type<input value={form.issueType} onChange={(e) => set({ issueType: e.target.value })} placeholder="Bug" data-testid="ticket-issue-type" /></label>}
        <label>One ticket per
          <select value={form.grouping} onChange={(e) => set({ grouping: e.target.value as TicketGrouping })} data-testid="ticket-grouping">
            <option value="finding">finding</option><option value="container">container</option><option value="recording">session (one ticket)</option>
          </select>
        </label>
      </div>
      <div className="secrets" data-testid="ticket-secrets">
        {secretsFor(form.kind).map((n) => <SecretRow key={n} name={n} />)}
        {st && <div className="muted small" data-testid="secret-store">Where tokens are kept: {st.writable ? visible(st.store) : 'only the environment of the engine'}. A stored token is never shown again.</div>}
        {st?.note && <div className="callout warn small" data-testid="secret-note">{visible(st.note, 600)}</div>}
        {secretError && <div className="callout bad small" role="alert" data-testid="secret-error">{visible(secretError, 600)}</div>}
      </div>
      <div className="row-flex">
        <span className="muted small">{chosen.length} of {open.length} open findings chosen</span>
        <label className="check small"><input type="checkbox" checked={onlyThis} onChange={(e) => setOnlyThis(e.target.checked)} data-testid="ticket-only-this" /> this container only</label>
      </div>
      <ul className="ticket-findings" data-testid="ticket-findings">
        {open.map((f) => (
          <li key={f.fingerprint}>
            <label className="check"><input type="checkbox" checked={!excluded.has(f.fingerprint)} onChange={() => toggle(f)} data-testid="ticket-finding" data-fp={f.fingerprint} />
              <span className={`sev sev-${f.severity}`}>{f.severity}</span> {visible(f.title, 160)} <span className="muted small">{visible(f.container.name, 60)}</span></label>
          </li>
        ))}
        {open.length === 0 && <li className="muted">No open findings in this session.</li>}
      </ul>
      <div className="toolbar">
        <button onClick={() => void useStore.getState().previewTickets(chosen)} disabled={!!busy || !chosen.length || !form.project.trim()} data-testid="ticket-preview">
          {busy === 'preview' ? 'Preparing…' : 'Preview exact payload'}
        </button>
        <button className="primary" onClick={() => void useStore.getState().sendTickets(chosen)} disabled={!!busy || !preview || !preview.tokenSet} data-testid="ticket-send"
          title={!preview ? 'Preview first: you send exactly what you saw' : !preview.tokenSet ? 'Save the token first' : `Create ${preview.payloads.length} ticket(s) in ${preview.destination}`}>
          {busy === 'send' ? 'Sending…' : preview ? `Send ${preview.payloads.length} ticket${preview.payloads.length === 1 ? '' : 's'}` : 'Send'}
        </button>
      </div>
      {error && <div className="callout bad" role="alert" data-testid="ticket-error">{visible(error, 800)}</div>}
      {busy === 'send' && <div className="muted" data-testid="ticket-progress">Sent {results.length} of {total}…</div>}
      {results.length > 0 && (
        <ul className="ticket-results" data-testid="ticket-results">
          {results.map((r) => (
            <li key={r.fingerprint} data-testid="ticket-result" data-outcome={r.outcome} className={r.outcome === 'failed' ? 'bad' : r.outcome === 'created' ? 'ok' : ''}>
              {r.outcome === 'created' ? 'Created' : r.outcome === 'existing' ? 'Already exists (not filed again)' : 'Failed'}
              {r.key ? <> <strong>{visible(r.key, 40)}</strong></> : null}
              {r.url ? <> <a href={r.url} target="_blank" rel="noreferrer noopener">{visible(r.url, 200)}</a></> : null}
              {r.via ? <span className="muted small"> · found {r.via === 'local-map' ? 'in the local ticket map' : 'by searching the tracker'}</span> : null}
              <div className="small">{visible(r.title, 300)}</div>
              {r.error && <div className="small">{visible(r.error, 800)}</div>}
            </li>
          ))}
        </ul>
      )}
      {preview && (
        <div className="ticket-preview" data-testid="ticket-preview-list">
          <div className="muted small">{preview.payloads.length} request(s) to {visible(preview.destination, 200)} — exactly what will be sent (tokens masked). {visible(preview.redactionSummary, 400)}
            {!preview.tokenSet && <strong className="warn"> No token is set for this tracker yet.</strong>}</div>
          {preview.payloads.map((p) => (
            <details key={p.fingerprint} open={preview.payloads.length <= 3}>
              <summary><span className="mono small">{p.method} {visible(p.url, 300)}</span> — {visible(p.title, 200)}</summary>
              <pre className="payload" data-testid="ticket-payload">{payloadText(p.headers, p.body)}</pre>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}
