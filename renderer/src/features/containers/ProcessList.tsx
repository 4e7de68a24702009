// Processes tab (catalog level): the engine's process list for the container via `docker top`.
import { useEffect } from 'react';
import { useStore } from '../../store';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';

export function ProcessList({ id }: { id: string }) {
  const p = useStore((s) => s.processes[id]);
  const state = useStore((s) => s.containers[id]?.state);
  useEffect(() => {
    void useStore.getState().loadProcesses(id);
  }, [id, state]);
  if (!p || (p.loading && !p.data)) return <div className="muted pad">Loading processes…</div>;
  if (p.error) return <div className="callout bad">{visible(p.error)}</div>;
  if (!p.data?.rows.length) return <EmptyState title="No processes">The container is not running.</EmptyState>;
  return (
    <div>
      <div className="toolbar"><button onClick={() => void useStore.getState().loadProcesses(id)}>Refresh</button></div>
      <table className="table" data-testid="process-list">
        <thead><tr>{p.data.titles.map((t) => <th key={t}>{visible(t)}</th>)}</tr></thead>
        <tbody>{p.data.rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}><code>{visible(c, 400)}</code></td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}
