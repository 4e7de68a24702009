// The application shell: status bar, container sidebar, container detail.
import { useEffect } from 'react';
import { getClient } from './api/client';
import { ContainerView } from './features/containers/ContainerView';
import { Sidebar } from './features/containers/Sidebar';
import { EngineStatusBar } from './features/engine/EngineStatusBar';
import { SessionBar } from './features/recordings/SessionBar';
import { useLiveSession } from './features/recordings/useLiveSession';
import { useStore } from './store';

export function App() {
  useLiveSession();
  useEffect(() => {
    const client = getClient();
    const { setStatus, applyDeltas, setLink } = useStore.getState();
    const load = () => {
      client.call('engine.status', {}).then(setStatus, () => undefined);
      client.call('catalog.snapshot', {}).then((snapshot) => applyDeltas([{ type: 'reset', snapshot }]), () => undefined);
    };
    const offs = [
      client.on('engine.status', setStatus),
      client.on('catalog.delta', applyDeltas),
      // Each time the link (re)opens, fetch the full state: events missed while away are not replayed.
      client.onTransportState((s) => {
        setLink(s);
        if (s === 'open') load();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, []);

  return (
    <div className="app">
      <EngineStatusBar />
      <SessionBar />
      <div className="body">
        <Sidebar />
        <ContainerView />
      </div>
    </div>
  );
}
