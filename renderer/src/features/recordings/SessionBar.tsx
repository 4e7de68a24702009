// Session bar: start/stop a capture (selected container or all, optionally recorded), open a saved recording, and
// a banner with what the sensor missed so no view looks complete when it is not.
import { useEffect, useMemo, useState } from 'react';
import { useStore } from '../../store';
import { describeLoss, describeSession, describeUnwatched } from '../../store/session/selectors';
import { isActive } from '../../store/session/slice';
import { selectRecordedOnly } from '../../store/live/selectors';
import { formatBytes, visible } from '../../ui/text';
import { formatDateTime } from '../../ui/time';
import './recordings.css';

export function SessionBar() {
  const session = useStore((s) => s.session);
  const recent = useStore((s) => s.recent);
  const error = useStore((s) => s.sessionError);
  const selectedId = useStore((s) => s.selectedId);
  const selected = useStore((s) => (s.selectedId ? s.containers[s.selectedId] : undefined));
  const liveLoss = useStore((s) => s.live.loss);
  const frames = useStore((s) => s.live.frames);
  const win = useStore((s) => s.timeWindow);
  const recorded = useStore(selectRecordedOnly);
  const [record, setRecord] = useState(true);
  const [busy, setBusy] = useState(false);
  const [showRecent, setShowRecent] = useState(false);
  const [path, setPath] = useState('');
  useEffect(() => { void useStore.getState().loadRecent(); }, []);

  const active = isActive(session);
  const loss = useMemo(() => describeLoss(session?.loss ?? liveLoss, win), [session?.loss, liveLoss, win]);
  const unwatched = useMemo(() => describeUnwatched(session?.unwatched), [session?.unwatched]);
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    try { await fn(); } finally { setBusy(false); }
  };
  const st = useStore.getState;

  return (
    <div className="session" data-testid="session-bar">
      <div className="session-row">
        <span className={`rec-dot ${session?.state === 'capturing' ? 'on' : ''}`} aria-hidden="true" />
        <span data-testid="session-state" className={session?.state === 'error' ? 'bad' : ''}>{visible(describeSession(session), 400)}</span>
        {session?.recordingPath && <span className="muted small mono" title={session.recordingPath}>{visible(session.recordingPath.split('/').pop(), 80)}</span>}
        {active && <span className="muted small">{frames} frames</span>}
        <div className="spacer" />
        {!active ? (
          <>
            <label className="check"><input type="checkbox" checked={record} onChange={(e) => setRecord(e.target.checked)} /> save recording</label>
            <button disabled={busy || !selectedId} onClick={() => act(() => st().startCapture(selectedId ? [selectedId] : undefined, record))} data-testid="capture-selected"
              title={selected ? `Watch ${selected.name} only` : 'Select a container first'}>
              Capture {selected ? visible(selected.name, 40) : 'selected'}
            </button>
            <button disabled={busy} onClick={() => act(() => st().startCapture(undefined, record))} data-testid="capture-all">Capture all</button>
          </>
        ) : (
          <button className="danger" disabled={busy || session?.state === 'stopping'} onClick={() => act(() => st().stopCapture())} data-testid="capture-stop">Stop</button>
        )}
        <div className="recent-wrap">
          <button onClick={() => { setShowRecent(!showRecent); void st().loadRecent(); }} aria-expanded={showRecent} data-testid="open-recording">Open recording ▾</button>
          {showRecent && (
            <div className="recent-menu" data-testid="recent-list">
              {typeof window !== 'undefined' && !!window.glasshouse && (
                <button onClick={() => { setShowRecent(false); void act(() => st().openRecordingDialog()); }} data-testid="recording-open-dialog">Open a file…</button>
              )}
              <form className="open-path" onSubmit={(e) => { e.preventDefault(); if (path.trim()) { setShowRecent(false); void act(() => st().openRecording(path.trim())); } }}>
                <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="a recording in Glasshouse's recordings folder" aria-label="Recording file path" data-testid="recording-path" />
                <button type="submit" disabled={!path.trim()} data-testid="recording-path-open">Open</button>
              </form>
              {recent.length === 0 && <div className="muted pad">No saved recordings yet. Captures with “save recording” and <code>glasshouse record</code> appear here.</div>}
              {recent.map((r) => (
                <button key={r.path} className="recent-item" disabled={r.bytes === undefined} data-testid="recent-item" onClick={() => { setShowRecent(false); void act(() => st().openRecording(r.path)); }}>
                  <span>{visible(r.title ?? r.path.split('/').pop(), 80)} <span className="muted small mono">{visible(r.path.split('/').pop(), 80)}</span></span>
                  <span className="muted small">{formatDateTime(r.openedAt)}{r.events !== undefined ? ` · ${r.events.toLocaleString()} events` : ''} · {r.bytes === undefined ? 'file missing' : formatBytes(r.bytes)}</span>
                </button>
              ))}
            </div>
          )}
        </div>
      </div>
      {recorded.length > 0 && (
        <div className="recorded" data-testid="recorded-containers">
          <span className="muted small">Containers in this {session?.source === 'recording' ? 'recording' : 'capture'} that Docker no longer lists:</span>
          {recorded.slice(0, 30).map((r) => (
            <button key={r.id} className={`chip on ${r.id === selectedId ? 'active' : ''}`} onClick={() => st().select(r.id)} data-testid="recorded-container">{visible(r.name, 40)}</button>
          ))}
        </div>
      )}
      {error && <div className="session-msg bad" role="alert" data-testid="session-error">{visible(error, 600)}</div>}
      {session?.error && <div className="session-msg bad" role="alert">{visible(session.error.message, 600)} {visible(session.error.hint ?? '', 600)}</div>}
      {session?.preflight?.map((p, i) => <div key={i} className="session-msg warn">{visible(p, 600)}</div>)}
      {unwatched.length > 0 && (
        <div className="session-msg bad" role="alert" data-testid="unwatched-containers">
          {unwatched.slice(0, 20).map((u, i) => <div key={i} data-testid="unwatched-container">{visible(u, 600)}</div>)}
          {unwatched.length > 20 && <div className="muted small">and {unwatched.length - 20} more containers not watched</div>}
        </div>
      )}
      {loss.length > 0 && (
        <div className="loss" role="status" data-testid="loss-banner">
          <strong>Incomplete{win ? ' for the shown window' : ''}:</strong>
          {loss.map((l, i) => <span key={i} className={l.severity}>{l.text}</span>)}
        </div>
      )}
    </div>
  );
}
