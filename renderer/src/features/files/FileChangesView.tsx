// Files tab: what the container changed against its image, as a tree, with the process behind each change and drift.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FileChangeKind, FileChange } from '../../../../electron/common/model/process';
import type { FilePreview } from '../../../../electron/common/ipc/contract';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import { useStore } from '../../store';
import { filesIn, scopeFor } from '../../store/live/selectors';
import { EmptyState } from '../../ui/EmptyState';
import { formatBytes, visible } from '../../ui/text';
import { formatTime } from '../../ui/time';
import { buildFileRows, isDrift } from './fileTree';
import './files.css';

const KINDS: FileChangeKind[] = ['created', 'modified', 'deleted', 'renamed', 'permissions'];
const ROW_LIMIT = 3000;

export function FileChangesView({ id }: { id: string }) {
  const live = useStore((s) => s.live);
  const containers = useStore((s) => s.containers);
  const w = useStore((s) => s.timeWindow);
  const selected = useStore((s) => s.selectedFile);
  const revealSeq = useStore((s) => s.revealSeq);
  const [kinds, setKinds] = useState<ReadonlySet<FileChangeKind>>(new Set(KINDS));
  const [onlyDrift, setOnlyDrift] = useState(false);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());

  const scope = useMemo(() => scopeFor({ containers, selectedId: id }, 'container'), [containers, id]);
  const files = useMemo(() => filesIn(live, scope, w), [live.files, scope, w]);
  const shown = useMemo(() => (onlyDrift ? files.filter(isDrift) : files), [files, onlyDrift]);
  const rows = useMemo(() => buildFileRows(shown, kinds.size === KINDS.length ? undefined : kinds, collapsed), [shown, kinds, collapsed]);
  const drift = useMemo(() => files.filter(isDrift).length, [files]);
  const byKind = useMemo(() => Object.fromEntries(KINDS.map((k) => [k, files.filter((f) => f.kinds.includes(k)).length])), [files]);

  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!selected) return;
    list.current?.querySelector(`[data-key="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: 'center' });
  }, [revealSeq, rows.length > 0]);

  const sel = selected ? live.files.get(selected) : undefined;
  const toggle = (k: FileChangeKind) => setKinds((s) => {
    const n = new Set(s);
    if (n.has(k)) n.delete(k);
    else n.add(k);
    return n;
  });

  if (files.length === 0) {
    return (
      <EmptyState title="No file changes captured" testId="files-empty">
        Files this container creates, changes, deletes, renames or makes executable appear here while a capture runs
        {w ? ' (the brushed time window may hide some: clear it on the timeline)' : ''}.
      </EmptyState>
    );
  }
  return (
    <div className="files-view">
      <div className="toolbar wrap">
        {KINDS.map((k) => (
          <button key={k} className={`chip ${kinds.has(k) ? 'on' : ''} kind-${k}`} onClick={() => toggle(k)} aria-pressed={kinds.has(k)}>{k} <span className="muted">{byKind[k]}</span></button>
        ))}
        <button className={`chip ${onlyDrift ? 'on' : ''} drift`} onClick={() => setOnlyDrift(!onlyDrift)} aria-pressed={onlyDrift} data-testid="files-drift">
          new executables <span className="muted">{drift}</span>
        </button>
        <span className="muted small">{files.length.toLocaleString()} changed paths</span>
      </div>
      <div className="files-split">
        <div className="file-tree" ref={list} data-testid="file-tree" role="tree">
          {rows.slice(0, ROW_LIMIT).map((r) => (
            <div key={r.key} data-key={r.key} role="treeitem" aria-selected={r.key === selected}
              className={`frow ${r.dir ? 'dir' : 'file'} ${r.key === selected ? 'selected' : ''} ${r.drift && !r.dir ? 'drift' : ''}`}
              style={{ paddingLeft: 8 + r.depth * 16 }} data-testid={r.dir ? 'file-dir' : 'file-row'} data-path={r.change?.path}
              onClick={() => (r.dir
                ? setCollapsed((c) => { const n = new Set(c); if (n.has(r.key)) n.delete(r.key); else n.add(r.key); return n; })
                : useStore.getState().selectFile(r.key))}>
              {r.dir ? (
                <>
                  <span className="chev">{collapsed.has(r.key) ? '▸' : '▾'}</span>
                  <span className="mono">{visible(r.label, 200)}/</span>
                  <span className="muted small">{r.files}</span>
                  {r.drift > 0 && <span className="drift-tag">{r.drift} new exec</span>}
                </>
              ) : (
                <>
                  <span className="mono fname">{visible(r.label, 300)}</span>
                  {r.change!.kinds.map((k) => <span key={k} className={`kind kind-${k}`}>{k}</span>)}
                  {r.drift > 0 && <span className="drift-tag">executable</span>}
                  <span className="muted small right">{visible(r.change!.exe?.split('/').pop() ?? '', 40)} · {formatTime(r.change!.last)}</span>
                </>
              )}
            </div>
          ))}
          {rows.length > ROW_LIMIT && <div className="muted pad">{(rows.length - ROW_LIMIT).toLocaleString()} more rows: narrow with the filters or collapse directories.</div>}
        </div>
        {sel && <FileDetail f={sel} />}
      </div>
    </div>
  );
}

function FileDetail({ f }: { f: FileChange }) {
  const proc = useStore((s) => (f.processKey ? s.live.processes.get(f.processKey) : undefined));
  const [preview, setPreview] = useState<{ data?: FilePreview; error?: string; loading?: boolean }>({});
  useEffect(() => setPreview({}), [f.path, f.containerId]);
  const load = async () => {
    setPreview({ loading: true });
    try {
      setPreview({ data: await getClient().call('file.preview', { id: f.containerId, path: f.path }) });
    } catch (err) {
      setPreview({ error: describeError(err) });
    }
  };
  return (
    <aside className="side-detail" data-testid="file-detail">
      <h3 className="mono" data-testid="file-detail-path">{visible(f.path, 1000)}</h3>
      <div className="kv"><span>changes</span><span>{f.kinds.map((k) => <span key={k} className={`kind kind-${k}`}>{k}</span>)}</span></div>
      {f.renamedFrom && <div className="kv"><span>renamed from</span><code>{visible(f.renamedFrom, 1000)}</code></div>}
      {f.mode !== undefined && <div className="kv"><span>mode</span><code>{f.mode.toString(8).padStart(4, '0')}</code></div>}
      {isDrift(f) && <div className="callout warn">A new executable in the container: drift from its image. Images should carry every program a container runs.</div>}
      <div className="kv"><span>first / last</span><code>{formatTime(f.first)} – {formatTime(f.last)}</code></div>
      <div className="kv"><span>by</span>
        {proc ? <button className="link" data-testid="file-process" onClick={() => useStore.getState().reveal({ tab: 'processes', processKey: proc.key })}>{visible(proc.argv.join(' ') || proc.exe, 200)} (pid {proc.tgid})</button>
          : <code>{visible(f.exe ?? (f.inDiff ? 'seen in docker diff (process unknown)' : 'unknown'), 200)}</code>}
      </div>
      {f.inDiff && <div className="muted small">Also listed by <code>docker diff</code> against the image.</div>}
      {!f.kinds.includes('deleted') && (
        <div className="preview">
          <button onClick={() => void load()} disabled={preview.loading} data-testid="file-preview-btn">{preview.loading ? 'Loading…' : 'Preview'}</button>
          {preview.error && <div className="callout bad">{visible(preview.error)}</div>}
          {preview.data && (preview.data.text !== undefined
            ? <pre className="logbox" data-testid="file-preview">{visible(preview.data.text.replace(/\n/g, '\u2028'), 20_000).replace(/\u2028/g, '\n')}{preview.data.truncated ? '\n… (truncated)' : ''}</pre>
            : <div className="muted">{preview.data.binary ? 'Binary file' : 'No preview'} · {formatBytes(preview.data.bytes)}</div>)}
        </div>
      )}
    </aside>
  );
}
