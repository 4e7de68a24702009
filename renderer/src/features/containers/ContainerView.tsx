// Container detail: header with identity and state, and the tabs every view of Glasshouse hangs off.
import { useEffect, type KeyboardEvent } from 'react';
import { formatUptime } from '../../../../electron/common/catalog/group';
import { useStore } from '../../store';
import { selectSelected } from '../../store/catalog/selectors';
import { selectRecordedOnly } from '../../store/live/selectors';
import { TABS, type Tab } from '../../store/ui/slice';
import { EmptyState } from '../../ui/EmptyState';
import { StateDot } from '../../ui/StateDot';
import { shortId, visible } from '../../ui/text';
import { LogTail } from './LogTail';
import { ActionBar } from '../actions/ActionBar';
import { TerminalPanel } from '../terminal/TerminalPanel';
import { Overview } from './Overview';
import { FileChangesView } from '../files/FileChangesView';
import { FindingsView } from '../findings/FindingsView';
import { NetworkView } from '../network/NetworkView';
import { ProcessTreeView } from '../processes/ProcessTreeView';
import { ResourcesView } from '../resources/ResourcesView';
import { TimelineView } from '../timeline/TimelineView';

const LABEL: Record<Tab, string> = {
  overview: 'Overview', processes: 'Processes', files: 'Files', network: 'Network', timeline: 'Timeline',
  findings: 'Findings', resources: 'Resources', terminal: 'Terminal', logs: 'Logs',
};

/** Views that need the runtime sensor and recordings; each says plainly what it will show and why it is empty. */
const SENSOR_VIEWS: Partial<Record<Tab, string>> = {};

export function ContainerView() {
  // A replayed recording's containers may be gone from Docker: the session still knows them.
  const recorded = useStore(selectRecordedOnly);
  const selectedId = useStore((s) => s.selectedId);
  const c = useStore(selectSelected) ?? recorded.find((r) => r.id === selectedId);
  // Response actions act on the Docker container, so only on one Docker still has (not a replayed one).
  const selectedIsLive = !!useStore(selectSelected);
  const tab = useStore((s) => s.tab);
  const detail = useStore((s) => (c ? s.inspect[c.id] : undefined));

  useEffect(() => {
    if (c) void useStore.getState().loadInspect(c.id);
  }, [c?.id, c?.state]);

  if (!c) {
    return (
      <main className="main">
        <EmptyState title="Pick a container" testId="pick-container">
          Choose one on the left (↑/↓ to move, / to filter) to see its configuration, processes and logs.
        </EmptyState>
      </main>
    );
  }

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    if (e.key === 'ArrowRight') useStore.getState().setTab(TABS[(i + 1) % TABS.length]);
    if (e.key === 'ArrowLeft') useStore.getState().setTab(TABS[(i + TABS.length - 1) % TABS.length]);
  };

  return (
    <main className="main" data-testid="container-view">
      <div className="detail-head">
        <StateDot state={c.state} />
        <h2 data-testid="detail-name">{visible(c.name, 300)}</h2>
        <span className="muted mono">{shortId(c.id)}</span>
        <span className="badge">{c.state}{c.state === 'running' && c.startedAt ? ` · up ${formatUptime(Date.now() - c.startedAt)}` : ''}</span>
        <span className="muted">{visible(c.image, 300)}</span>
        {c.composeProject && <span className="badge">{visible(c.composeProject)} / {visible(c.composeService ?? '')}</span>}
      </div>
      {selectedIsLive && <ActionBar id={c.id} name={c.name} state={c.state} />}
      <div className="tabs" role="tablist" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={t === tab} tabIndex={t === tab ? 0 : -1} className={t === tab ? 'tab active' : 'tab'}
            data-testid={`tab-${t}`} onClick={() => useStore.getState().setTab(t)}>
            {LABEL[t]}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel">
        {tab === 'overview' && (detail?.error ? <div className="callout bad">{visible(detail.error)}</div>
          : detail?.data ? <Overview detail={detail.data} /> : <div className="muted pad">Loading…</div>)}
        {tab === 'processes' && <ProcessTreeView id={c.id} />}
        {tab === 'files' && <FileChangesView id={c.id} />}
        {tab === 'network' && <NetworkView id={c.id} />}
        {tab === 'timeline' && <TimelineView id={c.id} />}
        {tab === 'findings' && <FindingsView id={c.id} />}
        {tab === 'resources' && <ResourcesView id={c.id} />}
        {tab === 'logs' && <LogTail id={c.id} />}
        {tab === 'terminal' && <TerminalPanel id={c.id} running={c.state === 'running'} />}
        {SENSOR_VIEWS[tab] && (
          <EmptyState title={`${LABEL[tab]}: not available in this build yet`} testId={`empty-${tab}`}>
            {SENSOR_VIEWS[tab]} This view needs the runtime sensor, which this build does not connect yet.
          </EmptyState>
        )}
      </div>
    </main>
  );
}
