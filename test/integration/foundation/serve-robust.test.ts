// The real `glasshouse serve` process: a malformed URL gets 400 and the process lives on; a wildcard bind answers on
// this machine's own address, refuses a spoofed Host, and warns that the token travels in clear text.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, ROOT } from '../../support/cli';

let child: ChildProcess | undefined;
afterAll(() => { if (child && child.exitCode === null) child.kill('SIGTERM'); });

function serveOn(host: string): Promise<{ port: number; token: string; output: () => string }> {
  child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', host], { cwd: ROOT, env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', GLASSHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-serve-robust-')) } });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve printed no URL:\n${out}`)), 30_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /http:\/\/[^/\s]+:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out);
      if (m) { clearTimeout(t); resolve({ port: Number(m[1]), token: m[2], output: () => out }); }
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}

function raw(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => c.end(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`));
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

describe('glasshouse serve (real process)', () => {
  it('answers 400 to a malformed URL and keeps serving; a wildcard bind takes own addresses, refuses spoofed hosts, warns', async () => {
    const own = Object.values(networkInterfaces()).flatMap((l) => l ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
    expect(own, 'a non-loopback IPv4 address').toBeTruthy();
    const srv = await serveOn('0.0.0.0');
    expect(srv.output()).toMatch(/Warning: listening on 0\.0\.0\.0, not loopback\..*the token and everything on the page travel in clear text/s);
    for (const path of ['/%E0%A4%A', `/%E0%A4%A?token=${srv.token}`, '/assets/%ZZ']) {
      expect(await raw(srv.port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${srv.port}`])).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(child!.exitCode).toBeNull();
    expect(await raw(srv.port, [`GET /?token=${srv.token} HTTP/1.1`, `Host: ${own}:${srv.port}`])).toMatch(/^HTTP\/1\.1 303 /);
    expect(await raw(srv.port, [`GET /?token=${srv.token} HTTP/1.1`, `Host: LOCALHOST:${srv.port}`])).toMatch(/^HTTP\/1\.1 303 /);
    expect(await raw(srv.port, [`GET /?token=${srv.token} HTTP/1.1`, `Host: attacker.example:${srv.port}`])).toMatch(/^HTTP\/1\.1 403 /);
    expect(await raw(srv.port, [`GET /?token=${srv.token} HTTP/1.1`, `Host: 198.51.100.7:${srv.port}`])).toMatch(/^HTTP\/1\.1 403 /);
    // The cookie a published container port on this host would receive, replayed with a forged Origin: no API.
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api`, ['glasshouse.v1'], { origin: `http://127.0.0.1:${srv.port}`, headers: { cookie: `gh_token=${srv.token}` } });
      ws.once('open', () => { ws.close(); resolve('open'); });
      ws.once('unexpected-response', (_q, res) => resolve(`HTTP ${res.statusCode}`));
      ws.once('error', (e) => resolve(e.message));
    });
    expect(refused).toBe('HTTP 403');
    expect(child!.exitCode).toBeNull();
  });
});
