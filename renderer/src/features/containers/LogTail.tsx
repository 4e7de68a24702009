// Logs tab: the last lines of stdout/stderr with timestamps, searchable.
import { useEffect, useState } from 'react';
import { useStore } from '../../store';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';

export function LogTail({ id }: { id: string }) {
  const logs = useStore((s) => s.logs[id]);
  const [q, setQ] = useState('');
  useEffect(() => {
    void useStore.getState().loadLogs(id);
  }, [id]);
  if (!logs || (logs.loading && !logs.data)) return <div className="muted pad">Loading logs…</div>;
  if (logs.error) return <div className="callout bad">{visible(logs.error)}</div>;
  const lines = (logs.data ?? []).filter((l) => !q || l.text.toLowerCase().includes(q.toLowerCase()));
  return (
    <div className="logs">
      <div className="toolbar">
        <input placeholder="Search logs" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search logs" />
        <button onClick={() => void useStore.getState().loadLogs(id)}>Refresh</button>
        <span className="muted small">{lines.length} lines</span>
      </div>
      {lines.length === 0 ? <EmptyState title={q ? 'No line matches' : 'No output yet'} /> : (
        <pre className="logbox" data-testid="log-lines">
          {lines.map((l, i) => (
            <div key={i} className={l.stream === 'stderr' ? 'stderr' : ''}>
              <span className="muted">{l.ts ? new Date(l.ts).toISOString().slice(11, 23) : ''} </span>{visible(l.text, 2000)}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
