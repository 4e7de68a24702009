import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineHandlers } from '../common/ipc/contract';
import { networkInterfaces } from 'node:os';
import { parseHostHeader, startServer, type ApiHost, type RunningServer } from './server';

// The unit under test is the server: its engine is a plain in-process handler set.
const listeners = new Set<(e: any, p: any) => void>();
const terminals = new Map<string, Record<string, unknown>>();
const typed: string[] = [];
const emit = (event: string, payload: unknown) => { for (const l of listeners) l(event, payload); };
const api: ApiHost = {
  handlers: {
    'engine.status': async () => ({ connection: 'connected', version: 'test' }),
    'catalog.snapshot': async () => ({ containers: [] }),
    // Terminals as the engine keeps them: one table for every peer (the server decides who may see which).
    'terminal.open': async ({ id }: { id: string }) => {
      const info = { terminalId: `t${terminals.size + 1}`, containerId: id, containerName: id, shell: 'sh', cols: 80, rows: 24, openedAt: 1 };
      terminals.set(info.terminalId, info);
      return info;
    },
    'terminal.list': async () => [...terminals.values()],
    'terminal.attach': async ({ terminalId }: { terminalId: string }) => ({ info: terminals.get(terminalId), scrollback: `scrollback of ${terminalId}` }),
    'terminal.input': async ({ terminalId, data }: { terminalId: string; data: string }) => { typed.push(`${terminalId}:${data}`); return {}; },
  } as unknown as EngineHandlers,
  onEvent: (l) => { listeners.add(l as any); return () => listeners.delete(l as any); },
};

let srv: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>gh</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, '..', 'secret.txt'), 'secret');
  srv = await startServer(api, { rendererDir: dir, port: 0 });
});
afterAll(() => srv.close());

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, headers: { host: `127.0.0.1:${srv.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function ws(opts: { token?: string; origin?: string; host?: string; cookie?: string; protocols?: string[] }): Promise<WebSocket> {
  const url = `ws://127.0.0.1:${srv.port}/api${opts.token ? `?token=${opts.token}` : ''}`;
  const sock = new WebSocket(url, opts.protocols ?? [], {
    headers: { ...(opts.host ? { host: opts.host } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}) },
    origin: opts.origin ?? `http://127.0.0.1:${srv.port}`,
  });
  return new Promise((resolve, reject) => {
    sock.once('open', () => resolve(sock));
    sock.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    sock.once('error', reject);
  });
}

/** A raw request line, for URLs a URL-normalising client would not send as they are. */
function raw(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(srv.port, '127.0.0.1', () => c.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`));
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

describe('browser host', () => {
  it('binds loopback and prints a URL with a long random token', () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });
  it('refuses pages without the token, and trades the token for a strict cookie', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get(`/?token=wrong${srv.token.slice(5)}`)).status).toBe(401);
    const ok = await get(`/?token=${srv.token}`);
    expect(ok.status).toBe(303);
    // The token goes on to the page in the fragment (never sent to a server); the cookie only unlocks static files.
    expect(ok.headers.location).toBe(`/#token=${srv.token}`);
    expect(ok.headers['set-cookie'][0]).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get('/', { cookie: `gh_token=${srv.token}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
  it('rejects a foreign Host header (DNS rebinding) and foreign Origin', async () => {
    expect((await get(`/?token=${srv.token}`, { host: `evil.example:${srv.port}` })).status).toBe(403);
    expect((await get('/', { cookie: `gh_token=${srv.token}`, origin: 'http://evil.example' })).status).toBe(403);
  });
  it('the cookie alone never opens the API: a replayed cookie with a forged Origin is refused', async () => {
    // What a container's published port on 127.0.0.1 receives from the browser, replayed by a non-browser client.
    const cookie = `gh_token=${srv.token}`;
    await expect(ws({ cookie })).rejects.toThrow(/403/);
    await expect(ws({ cookie, protocols: ['glasshouse.v1'] })).rejects.toThrow(/403/);
    await expect(ws({ cookie, protocols: ['glasshouse.v1', `glasshouse.token.x${srv.token.slice(1)}`] })).rejects.toThrow(/403/);
    expect((await get('/api', { cookie })).status).toBe(401);
    expect((await get('/api/engine.status', { cookie })).body).toMatch(/needs its access token in an Authorization: Bearer header/);
    expect((await get('/api', { authorization: `Bearer ${srv.token}` })).status).toBe(426);
    // The page's way: the token from page memory as a subprotocol; the server answers with the API's name only.
    const sock = await ws({ protocols: ['glasshouse.v1', `glasshouse.token.${srv.token}`] });
    expect(sock.protocol).toBe('glasshouse.v1');
    const reply = new Promise<any>((r) => sock.once('message', (m) => r(JSON.parse(String(m)))));
    sock.send(JSON.stringify({ id: 1, method: 'engine.status', params: {} }));
    expect((await reply).envelope.ok).toBe(true);
    sock.close();
  });
  it('answers a malformed URL with 400 and keeps serving', async () => {
    for (const path of ['/%E0%A4%A', '/assets/%ZZ.js', `/%E0%A4%A?token=${srv.token}`, '/%']) {
      expect(await raw(path)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(await raw('/ bad')).toMatch(/^HTTP\/1\.1 400 /);
    expect((await get('/', { cookie: `gh_token=${srv.token}` })).status).toBe(200);
  });
  it('normalises Host: case, a trailing dot, IPv6 brackets and the default port 80', async () => {
    expect(parseHostHeader('LOCALHOST')).toEqual(['localhost', 80]);
    expect(parseHostHeader('127.0.0.1.:8080')).toEqual(['127.0.0.1', 8080]);
    expect(parseHostHeader('[::1]:7420')).toEqual(['::1', 7420]);
    expect(parseHostHeader('evil.example:99999')).toBeUndefined();
    expect(parseHostHeader('a b')).toBeUndefined();
    expect((await get('/', { cookie: `gh_token=${srv.token}`, host: `LOCALHOST:${srv.port}` })).status).toBe(200);
    expect((await get('/', { cookie: `gh_token=${srv.token}`, host: `localhost.:${srv.port}`, origin: `http://LocalHost:${srv.port}` })).status).toBe(200);
    expect((await get('/', { cookie: `gh_token=${srv.token}`, host: 'localhost' })).status).toBe(403); // port 80 is not this server
  });
  it('a wildcard bind answers on the machine\'s own addresses and refuses spoofed hosts', async () => {
    const own = Object.values(networkInterfaces()).flatMap((l) => l ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
    expect(own, 'this machine has a non-loopback IPv4 address').toBeTruthy();
    const lan = await startServer(api, { rendererDir: dir, port: 0, host: '0.0.0.0' });
    try {
      const at = (host: string, origin?: string) => new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: lan.port, path: '/', headers: { host, cookie: `gh_token=${lan.token}`, ...(origin ? { origin } : {}) } },
          (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      expect(await at(`${own}:${lan.port}`)).toBe(200);
      expect(await at(`${own}:${lan.port}`, `http://${own}:${lan.port}`)).toBe(200);
      expect(await at(`127.0.0.1:${lan.port}`)).toBe(200);
      expect(await at(`198.51.100.7:${lan.port}`)).toBe(403);
      expect(await at(`attacker.example:${lan.port}`)).toBe(403);
      expect(await at(`${own}:${lan.port}`, 'http://attacker.example')).toBe(403);
    } finally {
      await lan.close();
    }
  });
  it('terminals belong to the tab that opened them: output, input, attach and list are refused to other peers', async () => {
    const token = `glasshouse.token.${srv.token}`;
    const tabA = ['glasshouse.v1', 'glasshouse.client.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', token];
    const tabB = ['glasshouse.v1', 'glasshouse.client.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', token];
    const client = async (protocols: string[]) => {
      const sock = await ws({ protocols });
      const got: any[] = [];
      sock.on('message', (m) => got.push(JSON.parse(String(m))));
      let id = 0;
      const call = (method: string, params: unknown) => new Promise<any>((resolve) => {
        const n = ++id;
        const onMsg = (m: WebSocket.RawData) => { const j = JSON.parse(String(m)); if (j.id === n) { sock.off('message', onMsg); resolve(j.envelope); } };
        sock.on('message', onMsg);
        sock.send(JSON.stringify({ id: n, method, params }));
      });
      return { sock, got, call };
    };
    const a = await client(tabA);
    const b = await client(tabB);
    const opened = await a.call('terminal.open', { id: 'web-1', cols: 80, rows: 24 });
    const tid = opened.result.terminalId as string;
    emit('terminal.output', { terminalId: tid, data: 'root@web-1:/# ' });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.got.filter((m) => m.event === 'terminal.output')).toHaveLength(1);
    expect(b.got.filter((m) => m.event === 'terminal.output')).toHaveLength(0);
    for (const [method, params] of [['terminal.attach', { terminalId: tid }], ['terminal.input', { terminalId: tid, data: 'id\n' }]] as const) {
      const refused = await b.call(method, params);
      expect(refused.ok, method).toBe(false);
      expect(refused.error.message).toBe(`There is no terminal "${tid}" in this tab.`);
    }
    expect(typed).toEqual([]);
    expect((await b.call('terminal.list', {})).result).toEqual([]);
    expect((await a.call('terminal.list', {})).result.map((t: { terminalId: string }) => t.terminalId)).toEqual([tid]);
    // A reload is the same tab (same sessionStorage id): its terminal comes back.
    a.sock.close();
    const again = await client(tabA);
    expect((await again.call('terminal.attach', { terminalId: tid })).result.scrollback).toBe(`scrollback of ${tid}`);
    expect((await again.call('terminal.input', { terminalId: tid, data: 'id\n' })).ok).toBe(true);
    expect(typed).toEqual([`${tid}:id\n`]);
    emit('terminal.exit', { terminalId: tid, code: 0 });
    await new Promise((r) => setTimeout(r, 100));
    expect(again.got.filter((m) => m.event === 'terminal.exit')).toHaveLength(1);
    expect(b.got.filter((m) => m.event === 'terminal.exit')).toHaveLength(0);
    again.sock.close();
    b.sock.close();
  });
  it('a peer that stops reading gets a bounded queue: events beyond it are dropped and counted', async () => {
    const small = await startServer(api, { rendererDir: dir, port: 0, peerEventBufferBytes: 256 << 10 });
    try {
      const sock = new WebSocket(`ws://127.0.0.1:${small.port}/api`, ['glasshouse.v1', `glasshouse.token.${small.token}`], { origin: `http://127.0.0.1:${small.port}` });
      await new Promise((r, j) => { sock.once('open', r); sock.once('error', j); });
      // The client stops reading: TCP fills, then the server's socket buffer grows.
      (sock as unknown as { _socket: { pause(): void } })._socket.pause();
      const chunk = 'x'.repeat(64 << 10);
      for (let i = 0; i < 800; i++) {
        emit('engine.status', { connection: 'connected', version: chunk });
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 50));
      const [peer] = small.peers();
      expect(peer.dropped).toBeGreaterThan(0);
      expect(peer.droppedByEvent['engine.status']).toBe(peer.dropped);
      // 800 × 64 KiB = 50 MiB were offered; what waits stays under the bound plus one message.
      expect(peer.maxBufferedBytes).toBeLessThanOrEqual((256 << 10) + chunk.length + 200);
      sock.terminate();
    } finally {
      await small.close();
    }
  });
  it('never serves files outside the renderer folder', async () => {
    const r = await get('/..%2fsecret.txt', { cookie: `gh_token=${srv.token}` });
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('secret');
  });
  it('WebSocket: refuses missing token, cross-site origin and foreign host; serves calls and events', async () => {
    await expect(ws({})).rejects.toThrow(/403/);
    await expect(ws({ token: srv.token, origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(ws({ token: srv.token, host: `attacker.test:${srv.port}` })).rejects.toThrow(/403/);
    const sock = await ws({ token: srv.token });
    const replies: any[] = [];
    sock.on('message', (m) => replies.push(JSON.parse(String(m))));
    sock.send(JSON.stringify({ id: 1, method: 'engine.status', params: {} }));
    sock.send(JSON.stringify({ id: 2, method: 'container.kill', params: {} }));
    sock.send('not json');
    await new Promise((r) => setTimeout(r, 200));
    for (const l of listeners) l('engine.status', { connection: 'disconnected', version: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(replies.find((r) => r.id === 1).envelope).toEqual({ ok: true, result: { connection: 'connected', version: 'test' } });
    expect(replies.find((r) => r.id === 2).envelope.error.name).toBe('ValidationError');
    expect(replies.find((r) => r.id === null).envelope.error.message).toMatch(/Malformed/);
    expect(replies.find((r) => r.event === 'engine.status').payload.connection).toBe('disconnected');
    sock.close();
  });
});
