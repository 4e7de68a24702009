// One subscription per window to the engine's terminal-exit and action-progress events, feeding the store.
import { getClient } from '../../api/client';
import { useStore } from '../../store';

let wired = false;

export function wireResponseEvents(): void {
  if (wired) return;
  wired = true;
  const client = getClient();
  client.on('terminal.exit', (e) => useStore.getState().terminalExited(e));
  client.on('action.progress', (p) => useStore.getState().actionProgress(p));
  // After a reconnect the engine may still hold terminals this window had (or another window opened).
  client.onTransportState((s) => {
    if (s === 'open') void useStore.getState().syncTerminals().catch(() => undefined);
  });
}
