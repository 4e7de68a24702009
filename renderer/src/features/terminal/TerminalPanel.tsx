// Terminal tab: the container's shells, each an xterm.js view; open several, pick the shell, see why one cannot open.
import { useEffect, useMemo, useState } from 'react';
import { useStore } from '../../store';
import { terminalsOf } from '../../store/terminal/slice';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';
import { TerminalView } from './TerminalView';
import { wireResponseEvents } from './responseEvents';
import './terminal.css';

const SHELLS = ['', 'bash', 'ash', 'sh'] as const;
/** A first guess before the view is measured; xterm's fit addon corrects it at once. */
const START_SIZE = { cols: 100, rows: 30 };

export function TerminalPanel({ id, running }: { id: string; running: boolean }) {
  // Select the stable record and filter here: a selector returning a fresh array would re-render forever.
  const all = useStore((s) => s.terminals);
  const list = useMemo(() => terminalsOf(all, id), [all, id]);
  const active = useStore((s) => s.activeTerminal[id]);
  const error = useStore((s) => s.terminalError[id]);
  const opening = useStore((s) => !!s.terminalOpening[id]);
  const [shell, setShell] = useState('');

  useEffect(() => {
    wireResponseEvents();
    void useStore.getState().syncTerminals().catch(() => undefined);
  }, []);

  const open = () => void useStore.getState().openTerminal(id, START_SIZE, shell || undefined);
  const current = list.find((t) => t.info.terminalId === active) ?? list[0];

  return (
    <div className="terminal-panel">
      <div className="toolbar">
        <div className="term-tabs" role="tablist" aria-label="Terminals">
          {list.map((t, i) => (
            <span key={t.info.terminalId} className={`term-tab${t === current ? ' active' : ''}${t.exit ? ' ended' : ''}`}>
              <button role="tab" aria-selected={t === current} data-testid="terminal-tab"
                onClick={() => useStore.getState().showTerminal(id, t.info.terminalId)}>
                {i + 1}: {t.info.shell}{t.exit ? ' (ended)' : ''}
              </button>
              <button className="term-close" aria-label={`Close terminal ${i + 1}`} title="Close"
                onClick={() => void useStore.getState().closeTerminal(t.info.terminalId)}>×</button>
            </span>
          ))}
        </div>
        <span className="spacer" />
        <label className="muted small">
          Shell{' '}
          <select value={shell} onChange={(e) => setShell(e.target.value)} aria-label="Shell" data-testid="terminal-shell">
            {SHELLS.map((s) => <option key={s} value={s}>{s || 'auto (bash, ash, sh)'}</option>)}
          </select>
        </label>
        <button onClick={open} disabled={opening || !running} data-testid="terminal-open">{opening ? 'Opening…' : 'New terminal'}</button>
      </div>
      {error && <div className="callout bad" data-testid="terminal-error">{visible(error, 1000)}</div>}
      {!running && list.length === 0 && (
        <EmptyState title="The container is not running" testId="terminal-not-running">A shell can only start in a running container.</EmptyState>
      )}
      {running && list.length === 0 && !error && (
        <EmptyState title="No terminal yet" testId="terminal-empty">
          Open a shell inside the container. What you type shows up in the process tree as coming from this exec.
          Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes.
        </EmptyState>
      )}
      {current && (
        <>
          {current.exit && (
            <div className="callout warn" data-testid="terminal-ended">
              The shell ended{current.exit.code !== null ? ` with code ${current.exit.code}` : ''}.{current.exit.message ? ` ${visible(current.exit.message)}` : ''}
            </div>
          )}
          <TerminalView key={current.info.terminalId} terminalId={current.info.terminalId} ended={!!current.exit} />
        </>
      )}
    </div>
  );
}
