// Browser-host transport: one WebSocket to `glasshouse serve`, reconnecting; the token travels in the handshake.
import type { Envelope, EventName } from '../../../electron/common/ipc/contract';
import type { Transport, TransportState } from './transport';

const TOKEN_KEY = 'glasshouse.token';

/**
 * The access token from the URL fragment the server redirected to (never sent to a server), kept in this tab's
 * sessionStorage so a reload keeps working, and dropped from the address bar. The host-wide cookie is not enough
 * for the API: every other server on 127.0.0.1 receives it.
 */
function pageToken(): string | undefined {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    try { sessionStorage.setItem(TOKEN_KEY, m[1]); } catch { /* storage off: kept in memory for this page only */ }
    history.replaceState(history.state, '', location.pathname + location.search);
    return m[1];
  }
  try { return sessionStorage.getItem(TOKEN_KEY) ?? undefined; } catch { return undefined; }
}

const CLIENT_KEY = 'glasshouse.client';

/** This tab's own id: the server gives its terminals to it alone, and a reload (same sessionStorage) gets them back. */
function tabId(): string {
  try {
    const kept = sessionStorage.getItem(CLIENT_KEY);
    if (kept && /^[0-9a-f]{32}$/.test(kept)) return kept;
  } catch { /* storage off: a fresh id per page */ }
  const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  try { sessionStorage.setItem(CLIENT_KEY, id); } catch { /* kept for this page only */ }
  return id;
}

export function createWsTransport(url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`): Transport {
  const token = pageToken();
  // Subprotocol names are the one handshake field a page can set: the API's name, then the token.
  const protocols = ['glasshouse.v1', `glasshouse.client.${tabId()}`, ...(token ? [`glasshouse.token.${token}`] : [])];
  let ws: WebSocket | undefined;
  let nextId = 1;
  let state: TransportState = 'connecting';
  let retry = 500;
  const pending = new Map<number, (e: Envelope<unknown>) => void>();
  const eventListeners = new Set<(e: EventName, p: unknown) => void>();
  const stateListeners = new Set<(s: TransportState) => void>();
  const queue: string[] = [];

  const setState = (s: TransportState) => {
    state = s;
    for (const l of stateListeners) l(s);
  };

  const open = () => {
    ws = new WebSocket(url, protocols);
    ws.onopen = () => {
      retry = 500;
      setState('open');
      for (const m of queue.splice(0)) ws?.send(m);
    };
    ws.onmessage = (m) => {
      let msg: { id?: number; envelope?: Envelope<unknown>; event?: EventName; payload?: unknown };
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (typeof msg.id === 'number' && msg.envelope) {
        pending.get(msg.id)?.(msg.envelope);
        pending.delete(msg.id);
      } else if (msg.event) {
        for (const l of eventListeners) l(msg.event, msg.payload);
      }
    };
    ws.onclose = () => {
      for (const [, resolve] of pending) {
        resolve({ ok: false, error: { name: 'GlasshouseError', message: 'Lost the connection to the Glasshouse server.', hint: 'Is `glasshouse serve` still running?' } });
      }
      pending.clear();
      setState('closed');
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  const NO_TOKEN: Envelope<unknown> = {
    ok: false,
    error: { name: 'PermissionDeniedError', message: 'This tab has no Glasshouse access token.', hint: 'Open the full URL that `glasshouse serve` printed (it ends in ?token=…).' },
  };
  if (token) open();
  else state = 'no-token';

  return {
    call(method, params) {
      if (!token) return Promise.resolve(NO_TOKEN);
      const id = nextId++;
      const text = JSON.stringify({ id, method, params });
      return new Promise((resolve) => {
        pending.set(id, resolve);
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      });
    },
    onEvent(l) {
      eventListeners.add(l);
      return () => eventListeners.delete(l);
    },
    onState(l) {
      stateListeners.add(l);
      l(state);
      return () => stateListeners.delete(l);
    },
  };
}
