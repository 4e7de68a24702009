// Sidebar: containers grouped by compose project and service, filterable, navigable with the keyboard.
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { formatUptime } from '../../../../electron/common/catalog/group';
import { useStore } from '../../store';
import { selectGroups, visibleOrder } from '../../store/catalog/selectors';
import { EmptyState } from '../../ui/EmptyState';
import { StateDot } from '../../ui/StateDot';
import { visible } from '../../ui/text';

export function Sidebar() {
  const groups = useStore(selectGroups);
  const selectedId = useStore((s) => s.selectedId);
  const filter = useStore((s) => s.filter);
  const collapsed = useStore((s) => s.collapsed);
  const loaded = useStore((s) => s.catalogLoaded);
  const total = useStore((s) => Object.keys(s.containers).length);
  const filterRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

  // "/" focuses the filter from anywhere, like most developer tools.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === '/' && t.tagName !== 'INPUT' && t.tagName !== 'TEXTAREA' && !t.closest('.xterm')) {
        e.preventDefault();
        filterRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onListKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const { selectedId: cur, select, collapsed: col } = useStore.getState();
    const order = visibleOrder(selectGroups(useStore.getState()), col);
    if (!order.length) return;
    const i = cur ? order.indexOf(cur) : -1;
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? order.length - 1
      : e.key === 'ArrowDown' ? Math.min(order.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
    select(order[next]);
    listRef.current?.querySelector<HTMLElement>(`[data-id="${order[next]}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  const now = Date.now();
  return (
    <nav className="sidebar" aria-label="Containers">
      <input
        ref={filterRef}
        className="filter"
        placeholder="Filter containers  ( / )"
        value={filter}
        aria-label="Filter containers"
        onChange={(e) => useStore.getState().setFilter(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            listRef.current?.focus();
            onListKey(e);
          }
          if (e.key === 'Escape') useStore.getState().setFilter('');
        }}
      />
      <div className="groups" ref={listRef} tabIndex={0} onKeyDown={onListKey} role="listbox" aria-label="Container list" data-testid="container-list">
        {!loaded && <div className="muted pad">Loading containers…</div>}
        {loaded && total === 0 && (
          <EmptyState title="No containers yet" testId="no-containers">
            Start one and it appears here at once, e.g. <code>docker run -d --name web nginx</code> or <code>docker compose up -d</code>.
          </EmptyState>
        )}
        {loaded && total > 0 && groups.length === 0 && <div className="muted pad">No container matches “{visible(filter)}”.</div>}
        {groups.map((g) => {
          const key = g.project ?? '';
          return (
            <section key={key || '(standalone)'} className="group">
              <button className="group-head" onClick={() => useStore.getState().toggleProject(key)} aria-expanded={!collapsed[key]}>
                <span className="chev">{collapsed[key] ? '▸' : '▾'}</span>
                {g.project === null ? <span className="muted">Standalone</span> : <span>{visible(g.project)}</span>}
                <span className="muted small">{g.services.reduce((n, s) => n + s.containers.length, 0)}</span>
              </button>
              {!collapsed[key] && g.services.map((s) => (
                <div key={s.service ?? ''} className="service">
                  {s.service !== null && <div className="service-head">{visible(s.service)}</div>}
                  {s.containers.map((c) => (
                    <div
                      key={c.id}
                      data-id={c.id}
                      data-testid="container-row"
                      role="option"
                      aria-selected={c.id === selectedId}
                      className={`row${c.id === selectedId ? ' selected' : ''}`}
                      onClick={() => useStore.getState().select(c.id)}
                    >
                      <StateDot state={c.state} />
                      <div className="row-main">
                        <div className="row-name" data-testid="container-name">{visible(c.name, 200)}</div>
                        <div className="row-sub">{visible(c.image, 200)}</div>
                      </div>
                      <div className="row-meta" data-testid="container-state">
                        {c.state === 'running' && c.startedAt ? formatUptime(now - c.startedAt) : c.state}
                      </div>
                    </div>
                  ))}
                </div>
              ))}
            </section>
          );
        })}
      </div>
    </nav>
  );
}
