// Incident-response buttons for one container, each confirmed in a dialog; snapshot progress; undo isolation.
import { useEffect, useState } from 'react';
import type { ContainerState } from '../../../../electron/common/model/container';
import type { ContainerAction } from '../../../../electron/common/ipc/response';
import { useStore } from '../../store';
import { visible } from '../../ui/text';
import { wireResponseEvents } from '../terminal/responseEvents';
import './actions.css';

interface Spec { label: string; confirm: string; why: string; danger?: boolean }

const SPECS: Record<ContainerAction, Spec> = {
  pause: { label: 'Pause', confirm: 'Pause', why: 'Freezes every process of the container. Nothing is lost; Unpause resumes it.' },
  unpause: { label: 'Unpause', confirm: 'Unpause', why: 'Resumes the frozen processes.' },
  stop: { label: 'Stop', confirm: 'Stop', why: 'Sends SIGTERM, then SIGKILL after 10 s. The filesystem is kept.', danger: true },
  kill: { label: 'Kill', confirm: 'Kill', why: 'Sends SIGKILL at once. Running processes are lost; the filesystem is kept.', danger: true },
  isolate: { label: 'Isolate', confirm: 'Isolate', why: 'Disconnects the container from every network and remembers them. It keeps running, so you can watch it, but reaches nothing.', danger: true },
  unisolate: { label: 'Undo isolation', confirm: 'Reconnect', why: 'Reconnects it to the networks it was on, with the same aliases and addresses where Docker allows.' },
  snapshot: { label: 'Snapshot', confirm: 'Take snapshot', why: 'Commits the container to an image and writes a bundle (image, filesystem export, inspect JSON, recording slice, manifest.json) to the Glasshouse data folder. The container is paused for a moment during the commit.' },
  'restart-clean': { label: 'Restart clean', confirm: 'Replace it', why: 'Stops it, keeps it under a new name for analysis, and starts a fresh container from the original image and configuration.', danger: true },
};

export function ActionBar({ id, name, state }: { id: string; name: string; state: ContainerState }) {
  const r = useStore((s) => s.response[id]);
  const [asking, setAsking] = useState<ContainerAction | undefined>();
  useEffect(() => {
    wireResponseEvents();
    void useStore.getState().loadIsolation(id);
  }, [id]);

  const running = state === 'running';
  const paused = state === 'paused';
  const isolated = !!r?.isolation;
  const shown: ContainerAction[] = [
    ...(paused ? ['unpause' as const] : running ? ['pause' as const] : []),
    ...(running || paused ? ['stop' as const, 'kill' as const] : []),
    ...(isolated ? ['unisolate' as const] : running ? ['isolate' as const] : []),
    'snapshot', 'restart-clean',
  ];
  const go = (a: ContainerAction) => {
    setAsking(undefined);
    const st = useStore.getState();
    void (a === 'snapshot' ? st.takeSnapshot(id) : st.runAction(id, a));
  };

  return (
    <div className="action-bar" data-testid="action-bar">
      {shown.map((a) => (
        <button key={a} className={SPECS[a].danger ? 'action danger' : 'action'} disabled={!!r?.busy} data-testid={`action-${a}`}
          onClick={() => setAsking(a)}>
          {r?.busy === a ? `${SPECS[a].label}…` : SPECS[a].label}
        </button>
      ))}
      {isolated && <span className="badge isolated" data-testid="isolated-badge">isolated from {r!.isolation!.networks.map((n) => n.network).join(', ')}</span>}
      {r?.busy === 'snapshot' && r.progress && (
        <div className="progress" data-testid="snapshot-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(r.progress.fraction * 100)}>
          <progress max={1} value={r.progress.fraction} />
          <span className="muted small">{visible(r.progress.message, 200)}</span>
        </div>
      )}
      {r?.message && !r.busy && <span className="action-ok small" data-testid="action-message">{visible(r.message, 500)}</span>}
      {r?.error && !r.busy && <span className="action-error small" data-testid="action-error">{visible(r.error, 800)}</span>}
      {asking && (
        <div className="modal-backdrop" onClick={() => setAsking(undefined)}>
          <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog"
            onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === 'Escape' && setAsking(undefined)}>
            <h3 id="confirm-title">{SPECS[asking].label} “{visible(name, 200)}”?</h3>
            <p>{SPECS[asking].why}</p>
            <p className="muted small">The action is journaled, and kept in the recording when one is active.</p>
            <div className="modal-buttons">
              <button onClick={() => setAsking(undefined)} autoFocus>Cancel</button>
              <button className={SPECS[asking].danger ? 'danger' : ''} data-testid="confirm-yes" onClick={() => go(asking)}>{SPECS[asking].confirm}</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
