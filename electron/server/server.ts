// Browser host: serves the built renderer and the engine API over WebSocket on loopback, behind a random token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch } from '../common/ipc/dispatch';
import { PeerSubscriptions } from '../common/ipc/peer';
import type { EngineHandlers, EngineEvents, Envelope, EventName } from '../common/ipc/contract';
import { UserInputError } from '../common/ipc/errors';

export interface ApiHost {
  handlers: EngineHandlers;
  onEvent(listener: <E extends EventName>(event: E, payload: EngineEvents[E]) => void): () => void;
}

export interface ServeOptions {
  host?: string;
  port?: number;
  rendererDir: string;
  token?: string;
  /** Tests lower the per-peer bound (default PEER_EVENT_BUFFER_BYTES). */
  peerEventBufferBytes?: number;
}

export interface RunningServer {
  url: string;
  /** URL without the token (for logs). */
  origin: string;
  token: string;
  port: number;
  /** One entry per connected peer. */
  peers(): PeerStats[];
  close(): Promise<void>;
}

const COOKIE = 'gh_token';
/**
 * The page offers these WebSocket subprotocols: the first names the API, the others carry its tab id and the token
 * from page memory. Cookies ignore ports, so every other server on 127.0.0.1 (a container's published port under test) sees
 * the cookie; it only ever unlocks the static renderer, never the API.
 */
export const WS_PROTOCOL = 'glasshouse.v1';
export const WS_TOKEN_PREFIX = 'glasshouse.token.';
/** A tab's own random id (sessionStorage): its terminals survive a reload, and no other tab can see or drive them. */
export const WS_CLIENT_PREFIX = 'glasshouse.client.';

/** Beyond this many bytes waiting in a peer's socket, events for it are dropped (and counted) instead of queued. */
export const PEER_EVENT_BUFFER_BYTES = 4 << 20;
/** Beyond this a peer is not reading at all: it is disconnected (the page reconnects and repaints). */
export const PEER_HARD_BUFFER_BYTES = 64 << 20;

/** What one connected peer has cost: bytes waiting in its socket now, the most ever, and events dropped by name. */
export interface PeerStats { client: string; bufferedBytes: number; maxBufferedBytes: number; dropped: number; droppedByEvent: Record<string, number> }
/** The CSP for every page we serve; the renderer's index.html carries the same as a meta tag for Electron. */
export const SERVER_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
  '.woff2': 'font/woff2', '.map': 'application/json',
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Whether a bind address is this machine only (then the token never crosses a network). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The machine's own addresses (every interface): what a browser on the LAN names when the server binds a wildcard. */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '').toLowerCase()));
}

/**
 * A Host header (or an Origin's host) as [name, port]: lower-case, IPv6 without brackets, a trailing dot dropped,
 * and the default port 80 filled in; undefined when it is not a host at all.
 */
export function parseHostHeader(value: string | undefined): [string, number] | undefined {
  if (!value) return undefined;
  const m = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  const name = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
  const port = m[3] === undefined ? 80 : Number(m[3]);
  return port > 0 && port < 65536 ? [name, port] : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export function startServer(api: ApiHost, opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.rendererDir);
  let port = opts.port ?? 0;

  /**
   * Host header must name this server: blocks DNS-rebinding pages that resolve their name to 127.0.0.1. A wildcard
   * bind answers on every address of this machine (looked up per request: interfaces come and go), never on a name.
   */
  const bound = host.toLowerCase().replace(/^\[|\]$/g, '');
  const allowedName = (name: string) => {
    if (name === bound) return true;
    if (isLoopbackHost(bound) || WILDCARD.has(bound)) { if (LOOPBACK.has(name)) return true; }
    return WILDCARD.has(bound) && ownAddresses().includes(name);
  };
  const nameOk = (value: string | undefined) => {
    const hp = parseHostHeader(value);
    return !!hp && hp[1] === port && allowedName(hp[0]);
  };
  const hostOk = (req: IncomingMessage) => nameOk(req.headers.host);
  /** Origin, when sent, must be this server: blocks cross-site requests and cross-site WebSockets. */
  const originOk = (req: IncomingMessage, required: boolean) => {
    const origin = req.headers.origin;
    if (!origin) return !required;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && nameOk(u.host);
    } catch {
      return false;
    }
  };
  const tokenOk = (req: IncomingMessage, url: URL) => {
    const t = url.searchParams.get('token') ?? cookieToken(req);
    return !!t && safeEqual(t, token);
  };
  /** The API needs the token itself (query, subprotocol or Authorization header): the host-wide cookie is not enough. */
  const apiTokenOk = (req: IncomingMessage, url: URL) => {
    const offered = [
      url.searchParams.get('token'),
      ...String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
        .filter((p) => p.startsWith(WS_TOKEN_PREFIX)).map((p) => p.slice(WS_TOKEN_PREFIX.length)),
      /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1],
    ];
    return offered.some((t) => !!t && safeEqual(t, token));
  };

  const deny = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    let rel: string;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
      rel = decodeURIComponent(url.pathname);
    } catch {
      return deny(res, 400, 'Bad request: the address is not a valid URL (a broken %-escape?).\n');
    }
    if (!hostOk(req) || !originOk(req, false)) return deny(res, 403, 'Forbidden: this Glasshouse server only answers its own address.\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.\n');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      if (!apiTokenOk(req, url)) return deny(res, 401, 'The Glasshouse API needs its access token in an Authorization: Bearer header; the cookie alone is not enough.\n');
      return deny(res, 426, 'The Glasshouse API is served over a WebSocket at /api.\n');
    }
    if (!tokenOk(req, url)) {
      return deny(res, 401, 'Glasshouse needs its access token: open the full URL that `glasshouse serve` printed (it ends in ?token=...).\n');
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a strict cookie (static files only) and hand it to the page in the fragment,
      // which is never sent to a server; the page keeps it in sessionStorage and drops it from the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search || ''}#token=${token}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer',
      });
      return res.end();
    }
    if (rel === '/' || !extname(rel)) rel = '/index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return deny(res, 404, 'Not found.\n');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      return deny(res, 404, rel === '/index.html' ? 'The renderer is not built: run `npm run build` first.\n' : 'Not found.\n');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size,
      'content-security-policy': SERVER_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin', 'cross-origin-resource-policy': 'same-origin', 'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
  // No request may end the process (captures run in it): an unexpected throw answers 500 and is logged.
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      process.stderr.write(`glasshouse serve: request ${JSON.stringify(String(req.url ?? '').slice(0, 200))} failed: ${(e as Error).message}\n`);
      if (!res.headersSent) deny(res, 500, 'Internal error: the request failed; the server keeps running.\n');
      else res.destroy();
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const terminals = new TerminalOwners();
  const peers = new Set<PeerStats>();
  // Never echo the token subprotocol back; pick the API's own name (browsers fail a socket whose offer got no answer).
  const wss = new WebSocketServer({
    noServer: true, maxPayload: 1 << 20,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://localhost'); } catch { url = new URL('http://localhost/invalid'); }
    socket.on('error', () => socket.destroy());
    if (url.pathname !== '/api' || !hostOk(req) || !originOk(req, true) || !apiTokenOk(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const client = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
      .find((p) => p.startsWith(WS_CLIENT_PREFIX) && /^[A-Za-z0-9_-]{16,64}$/.test(p.slice(WS_CLIENT_PREFIX.length)))
      ?.slice(WS_CLIENT_PREFIX.length) ?? randomBytes(16).toString('base64url');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stats = serveSocket(api, ws, { client, terminals, eventBufferBytes: opts.peerEventBufferBytes ?? PEER_EVENT_BUFFER_BYTES });
      peers.add(stats);
      ws.on('close', () => peers.delete(stats));
    });
  });

  return new Promise((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new UserInputError(`Port ${port} on ${host} is already in use.`, 'Pick another with --port, or stop the program using it.')
        : err.code === 'EADDRNOTAVAIL'
          ? new UserInputError(`Cannot listen on ${host}: this machine has no such address.`, 'Use --host 127.0.0.1.')
          : err);
    });
    server.listen(port, host, () => {
      const addr = server.address();
      port = typeof addr === 'object' && addr ? addr.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      const origin = `http://${shown}:${port}`;
      resolvePromise({
        url: `${origin}/?token=${token}`, origin, token, port,
        peers: () => [...peers].map((p) => ({ ...p, droppedByEvent: { ...p.droppedByEvent } })),
        close: () => new Promise((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close();
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

/** Which peer (tab) opened each terminal: only that tab sees its output and may type into, resize, attach or close it. */
class TerminalOwners {
  private readonly owner = new Map<string, string>();
  private static readonly METHODS = new Set(['terminal.input', 'terminal.resize', 'terminal.close', 'terminal.attach']);

  /** A request naming another tab's terminal is answered as if the terminal did not exist. */
  refuse(client: string, method: unknown, params: unknown): Envelope<unknown> | undefined {
    if (typeof method !== 'string' || !TerminalOwners.METHODS.has(method)) return undefined;
    const id = (params as { terminalId?: unknown } | undefined)?.terminalId;
    if (typeof id !== 'string' || this.owner.get(id) === client) return undefined;
    return { ok: false, error: { name: 'NotFoundError', message: `There is no terminal ${JSON.stringify(id.slice(0, 64))} in this tab.`, hint: 'Open a new terminal from the Terminal tab.' } };
  }

  /** After a request: remember what this tab opened; show it only its own terminals. */
  track(client: string, method: unknown, envelope: Envelope<unknown>): Envelope<unknown> {
    if (!envelope.ok) return envelope;
    if (method === 'terminal.open') {
      const id = (envelope.result as { terminalId?: unknown })?.terminalId;
      if (typeof id === 'string') this.owner.set(id, client);
    } else if (method === 'terminal.list' && Array.isArray(envelope.result)) {
      return { ok: true, result: (envelope.result as Array<{ terminalId?: string }>).filter((t) => this.owner.get(String(t.terminalId)) === client) };
    }
    return envelope;
  }

  /** Terminal events go to the tab that opened the terminal only; other events are not terminal business. */
  accepts(client: string, event: string, payload: unknown): boolean {
    if (event !== 'terminal.output' && event !== 'terminal.exit') return true;
    const id = String((payload as { terminalId?: unknown })?.terminalId);
    const mine = this.owner.get(id) === client;
    if (event === 'terminal.exit' && mine) this.owner.delete(id);
    return mine;
  }
}

/** One browser tab: requests in, envelopes and events out, with a bounded send queue. */
function serveSocket(api: ApiHost, ws: WebSocket, o: { client: string; terminals: TerminalOwners; eventBufferBytes: number }): PeerStats {
  const peer = new PeerSubscriptions();
  const stats: PeerStats = { client: o.client, bufferedBytes: 0, maxBufferedBytes: 0, dropped: 0, droppedByEvent: {} };
  let reported = 0;
  const measure = () => {
    stats.bufferedBytes = ws.bufferedAmount;
    stats.maxBufferedBytes = Math.max(stats.maxBufferedBytes, ws.bufferedAmount);
  };
  /** Replies always go (the peer asked for them); events wait only while the peer keeps up, else they are counted. */
  const send = (text: string, droppable: string | undefined) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > PEER_HARD_BUFFER_BYTES) {
      process.stderr.write(`glasshouse serve: a browser tab stopped reading (${ws.bufferedAmount} bytes waiting); it was disconnected and will reconnect.\n`);
      ws.terminate();
      return;
    }
    if (droppable && ws.bufferedAmount + text.length > o.eventBufferBytes) {
      stats.dropped++;
      stats.droppedByEvent[droppable] = (stats.droppedByEvent[droppable] ?? 0) + 1;
      return;
    }
    ws.send(text, measure);
    measure();
  };
  const off = api.onEvent((event, payload) => {
    if (ws.readyState !== ws.OPEN || !peer.accepts(event, payload) || !o.terminals.accepts(o.client, event, payload)) return;
    send(JSON.stringify({ event, payload }), event);
  });
  const alive = setInterval(() => {
    ws.ping();
    if (stats.dropped > reported) {
      process.stderr.write(`glasshouse serve: a browser tab did not keep up and ${stats.dropped - reported} events were dropped for it (${Object.entries(stats.droppedByEvent).map(([k, v]) => `${v} × ${k}`).join(', ')} so far).\n`);
      reported = stats.dropped;
    }
  }, 20_000);
  ws.on('close', () => {
    off();
    clearInterval(alive);
    void peer.close(api.handlers);
  });
  ws.on('message', async (data, isBinary) => {
    let msg: { id?: unknown; method?: unknown; params?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(String(data));
    } catch {
      return send(JSON.stringify({ id: null, envelope: { ok: false, error: { name: 'ValidationError', message: 'Malformed request: expected JSON text.' } } }), undefined);
    }
    if (typeof msg.id !== 'number') return;
    const refused = o.terminals.refuse(o.client, msg.method, msg.params);
    const envelope = refused ?? o.terminals.track(o.client, msg.method, await dispatch(api.handlers, msg.method, msg.params));
    peer.track(msg.method, msg.params, envelope);
    send(JSON.stringify({ id: msg.id, envelope }), undefined);
  });
  return stats;
}
