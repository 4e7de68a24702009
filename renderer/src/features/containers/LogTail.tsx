// Logs tab: the last lines of stdout/stderr with timestamps, searchable, optionally followed live; a line jumps to the timeline.
import { useEffect, useRef, useState } from 'react';
import type { LogLine } from '../../../../electron/common/ipc/contract';
import { getClient } from '../../api/client';
import { useStore } from '../../store';
import { windowAround } from '../../store/session/slice';
import { EmptyState } from '../../ui/EmptyState';
import { visible } from '../../ui/text';

/** Followed lines kept in the view: the newest win, so a chatty container cannot grow the page without bound. */
const MAX_FOLLOWED = 5000;

function useFollow(id: string, on: boolean, since: number | undefined) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    setLines([]);
    setEnded(false);
    setError(undefined);
    if (!on) return;
    const client = getClient();
    let followId: string | undefined;
    let closed = false;
    const off = client.on('logs.lines', (l) => {
      if (l.followId !== followId) return;
      if (l.lines.length) setLines((prev) => [...prev, ...l.lines].slice(-MAX_FOLLOWED));
      if (l.ended) setEnded(true);
    });
    client.call('logs.follow', { id, ...(since ? { since } : {}) }).then((r) => {
      followId = r.followId;
      if (closed) void client.call('logs.unfollow', { followId }).catch(() => undefined);
    }, (e: Error) => setError(e.message));
    return () => {
      closed = true;
      off();
      if (followId) void client.call('logs.unfollow', { followId }).catch(() => undefined);
    };
  }, [id, on]); // since is read once, when following starts
  return { lines, ended, error };
}

export function LogTail({ id }: { id: string }) {
  const logs = useStore((s) => s.logs[id]);
  const [q, setQ] = useState('');
  const [follow, setFollow] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    void useStore.getState().loadLogs(id);
    setFollow(false);
  }, [id]);
  const tail = logs?.data ?? [];
  const since = tail.length ? tail[tail.length - 1].ts : undefined;
  const followed = useFollow(id, follow, since);
  const all = followed.lines.length ? [...tail, ...followed.lines] : tail;
  const lines = all.filter((l) => !q || l.text.toLowerCase().includes(q.toLowerCase()));
  useEffect(() => {
    // Stay at the bottom while following, like tail -f.
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, lines.length]);
  if (!logs || (logs.loading && !logs.data)) return <div className="muted pad">Loading logs…</div>;
  if (logs.error) return <div className="callout bad">{visible(logs.error)}</div>;
  const jump = (ts: number) => {
    const st = useStore.getState();
    st.setTimeWindow(windowAround(ts));
    st.setTab('timeline');
  };
  return (
    <div className="logs">
      <div className="toolbar">
        <input placeholder="Search logs" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search logs" />
        <button onClick={() => void useStore.getState().loadLogs(id)}>Refresh</button>
        <label className="small"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="logs-follow" /> Follow</label>
        <span className="muted small">{lines.length} lines{follow ? (followed.ended ? ' · stream ended' : ' · following') : ''}</span>
        {followed.error && <span className="action-error small">{visible(followed.error)}</span>}
      </div>
      {lines.length === 0 ? <EmptyState title={q ? 'No line matches' : 'No output yet'} /> : (
        <pre className="logbox" data-testid="log-lines" ref={box}>
          {lines.map((l, i) => (
            <div key={i} className={l.stream === 'stderr' ? 'stderr' : ''}>
              {l.ts ? (
                <button className="log-ts" title="Show this moment on the timeline" onClick={() => jump(l.ts)}>
                  {new Date(l.ts).toISOString().slice(11, 23)}
                </button>
              ) : null}{' '}{visible(l.text, 2000)}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
