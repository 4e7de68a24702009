// The app's export handlers over a session stand-in: reports are redacted, previews mask tokens, stored tokens never come back.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTicketSink } from './tickets/index';
import type { LossCounters, SessionStatus } from '../../common/ipc/contract';
import { checkBaseUrl, createExportHandlers, type ExportableSession } from './app';
import { sampleReportInput } from './sample';
import type { SecretName, SecretStore } from './secrets';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const loss: LossCounters = { ringDrops: 0, queueDrops: 0, corruptFrames: 0, sourceDropped: 0, unsupportedKinds: [], gaps: [] };
function session(started = true): ExportableSession {
  const input = sampleReportInput();
  const status: SessionStatus = { state: 'replaying', source: 'recording', recordingPath: '/rec/shop.glasshouse', startedAt: started ? 1 : undefined, events: 10, loss };
  return { status, world: undefined, findings: (id) => input.findings.filter((f) => !id || f.container.id === id) };
}

class MemoryStore implements SecretStore {
  readonly kind = 'memory';
  readonly description = 'a test store';
  readonly data = new Map<SecretName, string>();
  async get(n: SecretName) { return this.data.get(n); }
  async set(n: SecretName, v: string) { this.data.set(n, v); }
  async delete(n: SecretName) { this.data.delete(n); }
}

function handlers(opts: { store?: SecretStore; env?: NodeJS.ProcessEnv; started?: boolean } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-exp-'));
  dirs.push(dataDir);
  return createExportHandlers({ session: session(opts.started), dataDir, toolVersion: '0.1.0', env: opts.env ?? {}, store: opts.store, publish: () => undefined });
}

describe('export handlers', () => {
  it('renders a redacted report and says what was redacted', async () => {
    const r = await handlers()['export.report']({ format: 'md' });
    expect(r.fileName).toBe('glasshouse-shop.md');
    expect(r.text).not.toContain('hunter2');
    expect(r.text).not.toContain('s3cr3t');
    expect(r.text).not.toContain('wJalrXUtnFEMI');
    expect(r.redactions.map((x) => x.kind)).toEqual(expect.arrayContaining(['url-credentials', 'credential-argument', 'environment-value']));
    expect(r.redactionSummary).toMatch(/^Redacted before export: /);
    expect(r.bytes).toBe(Buffer.byteLength(r.text ?? ''));
  });

  it('with no session there is nothing to export (a sentence, not a crash)', async () => {
    await expect(handlers({ started: false })['export.report']({ format: 'sarif' })).rejects.toThrow('There is no capture or recording to export.');
  });

  it('previews exact payloads with the token masked, and placeholders when no token is set', async () => {
    const store = new MemoryStore();
    const h = handlers({ store });
    const p0 = await h['tickets.preview']({ target: { kind: 'github', project: 'acme/shop' } });
    expect(p0.tokenSet).toBe(false);
    expect(p0.payloads.length).toBe(4);
    await h['secrets.set']({ name: 'github-token', value: 'ghp_realtokenrealtokenrealtokenrealtoken12' });
    const p = await h['tickets.preview']({ target: { kind: 'github', project: 'acme/shop' }, grouping: 'container' });
    expect(p.tokenSet).toBe(true);
    expect(p.payloads.length).toBe(2);
    const text = JSON.stringify(p);
    expect(text).not.toContain('ghp_realtoken');
    expect(text).not.toContain('hunter2');
    expect(p.payloads[0].headers.Authorization).toBe('Bearer ***');
    expect(p.payloads[0].url).toBe('https://api.github.com/repos/acme/shop/issues');
    expect(p.redactionSummary).toMatch(/Redacted before export/);
  });

  it('status says set/not set and where from, never the value', async () => {
    const store = new MemoryStore();
    const h = handlers({ store, env: { GLASSHOUSE_GITLAB_TOKEN: 'glpat-fromenvironment000000' } });
    const s = await h['secrets.set']({ name: 'jira-token', value: '  atl-secret  ' });
    expect(store.data.get('jira-token')).toBe('atl-secret');
    expect(s.secrets['jira-token']).toEqual({ set: true, from: 'store' });
    expect(s.secrets['gitlab-token']).toEqual({ set: true, from: 'environment' });
    expect(s.secrets['github-token']).toEqual({ set: false });
    expect(JSON.stringify(s)).not.toMatch(/atl-secret|glpat-/);
    expect((await h['secrets.delete']({ name: 'jira-token' })).secrets['jira-token'].set).toBe(false);
  });

  it('without a store, saving a token is refused with a sentence; sending without a token is too', async () => {
    const h = handlers();
    await expect(h['secrets.set']({ name: 'github-token', value: 'x' })).rejects.toThrow(/Tokens cannot be stored here/);
    await expect(h['tickets.send']({ target: { kind: 'github', project: 'acme/shop' }, sendId: 's1' })).rejects.toThrow('No github token is set for github.');
  });

  it('sends tokens only over https (plain http only to this machine)', () => {
    expect(checkBaseUrl('https://jira.example.com/', 'x')).toBe('https://jira.example.com');
    expect(checkBaseUrl('http://127.0.0.1:8080', 'x')).toBe('http://127.0.0.1:8080');
    expect(() => checkBaseUrl('http://jira.example.com', 'Jira address')).toThrow(/does not use https/);
    expect(() => checkBaseUrl('https://u:p@jira.example.com', 'Jira address')).toThrow(/user name or password/);
    expect(() => checkBaseUrl('not a url', 'Jira address')).toThrow(/is not a web address/);
  });
});

/** A stand-in for a host the page chooses: it records what reaches it (the token must not). */
async function listener(): Promise<{ url: string; auth: string[]; close(): Promise<void> }> {
  const auth: string[] = [];
  const server = createServer((req, res) => {
    auth.push(String(req.headers.authorization ?? req.headers['private-token'] ?? ''));
    res.writeHead(req.method === 'GET' ? 200 : 201, { 'content-type': 'application/json' });
    res.end(req.method === 'GET' ? '[]' : '{"number":7,"html_url":"x"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth, close: () => new Promise((r) => server.close(() => r())) };
}

/** The sentence and the hint of a refusal. */
async function failure(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { return `${(e as Error).message} ${(e as { hint?: string }).hint ?? ''}`; }
  throw new Error('expected a refusal');
}

describe('tokens are bound to their origin', () => {
  const picked = () => [sampleReportInput().findings[0].fingerprint];

  it('an environment token goes to the tracker it is for, not to a host the page names', async () => {
    const evil = await listener();
    try {
      for (const env of [{ GITHUB_TOKEN: 'ghp_envtokenenvtokenenvtokenenvtoken0001' }, { GH_TOKEN: 'ghp_envtokenenvtokenenvtokenenvtoken0001' }]) {
        const h = handlers({ env });
        await expect(h['tickets.send']({ target: { kind: 'github', project: 'acme/shop', baseUrl: `${evil.url}/api` }, fingerprints: picked(), sendId: 's1' }))
          .rejects.toThrow(`The GitHub token in the environment is only sent to https://api.github.com, not to ${evil.url}`);
      }
      const gl = handlers({ env: { GLASSHOUSE_GITLAB_TOKEN: 'glpat-envtoken' } });
      await expect(gl['tickets.send']({ target: { kind: 'gitlab', project: 'g/p', baseUrl: evil.url }, sendId: 's2' })).rejects.toThrow(/only sent to https:\/\/gitlab\.com/);
      const jira = handlers({ env: { GLASSHOUSE_JIRA_TOKEN: 'atl', GLASSHOUSE_JIRA_EMAIL: 'me@example.com' } });
      expect(await failure(jira['tickets.send']({ target: { kind: 'jira-server', project: 'OPS', baseUrl: evil.url }, sendId: 's3' })))
        .toMatch(new RegExp(`^The Jira token in the environment is not sent to ${evil.url}: no server was confirmed for it.*set GLASSHOUSE_JIRA_URL=${evil.url} beside the token`));
      expect(evil.auth).toEqual([]);
      // The user confirms another server beside the token: then, and only then, it goes there.
      const ok = handlers({ env: { GLASSHOUSE_GITHUB_TOKEN: 'ghp_confirmed', GLASSHOUSE_GITHUB_URL: evil.url } });
      expect((await ok['secrets.status']({})).secrets['github-token']).toEqual({ set: true, from: 'environment', origin: evil.url });
      const sent = await ok['tickets.send']({ target: { kind: 'github', project: 'acme/shop', baseUrl: `${evil.url}/api/v3` }, fingerprints: picked(), sendId: 's4' });
      expect(sent.map((r) => r.outcome)).toEqual(['created']);
      expect(evil.auth).toContain('Bearer ghp_confirmed');
    } finally {
      await evil.close();
    }
  });

  it('a saved token goes only to the server it was saved for; re-pointing it needs the token itself', async () => {
    const mine = await listener();
    const evil = await listener();
    try {
      const store = new MemoryStore();
      const h = handlers({ store });
      await h['secrets.set']({ name: 'github-token', value: 'ghp_savedfordefault' });
      expect(await failure(h['tickets.send']({ target: { kind: 'github', project: 'a/b', baseUrl: evil.url }, fingerprints: picked(), sendId: 's1' })))
        .toMatch(/^The GitHub token saved is only sent to https:\/\/api\.github\.com, not to .* type its address in the form and save the token again/);
      await h['secrets.set']({ name: 'github-token', value: 'ghp_savedformine', origin: `${mine.url}/api/v3/` });
      expect(store.data.get('github-token')).toContain(mine.url);
      await expect(h['tickets.send']({ target: { kind: 'github', project: 'a/b', baseUrl: evil.url }, fingerprints: picked(), sendId: 's2' }))
        .rejects.toThrow(`only sent to ${mine.url}, not to ${evil.url}`);
      // Bound to one server means not the default host either.
      await expect(h['tickets.send']({ target: { kind: 'github', project: 'a/b' }, fingerprints: picked(), sendId: 's3' })).rejects.toThrow(/not to https:\/\/api\.github\.com/);
      expect(evil.auth).toEqual([]);
      const sent = await h['tickets.send']({ target: { kind: 'github', project: 'a/b', baseUrl: mine.url }, fingerprints: picked(), sendId: 's4' });
      expect(sent.map((r) => r.outcome)).toEqual(['created']);
      expect(mine.auth).toContain('Bearer ghp_savedformine');
      // The stored form is never shown: the status says set, from the store, and for which server.
      expect((await h['secrets.status']({})).secrets['github-token']).toEqual({ set: true, from: 'store', origin: mine.url });
      await expect(h['secrets.set']({ name: 'github-token', value: 'x', origin: 'http://tracker.example' })).rejects.toThrow(/does not use https/);
    } finally {
      await mine.close();
      await evil.close();
    }
  });

  it('every tracker adapter refuses plain http to another machine (the CLI goes straight to them)', () => {
    const common = { mapDir: mkdtempSync(join(tmpdir(), 'gh-exp-')) };
    dirs.push(common.mapDir);
    const base = 'http://tracker.example';
    expect(() => createTicketSink({ kind: 'github', baseUrl: base, owner: 'a', repo: 'b', token: 't', ...common })).toThrow(/does not use https/);
    expect(() => createTicketSink({ kind: 'gitlab', baseUrl: base, project: 'g/p', token: 't', ...common })).toThrow(/does not use https/);
    expect(() => createTicketSink({ kind: 'jira-cloud', baseUrl: base, projectKey: 'S', email: 'e', apiToken: 't', ...common })).toThrow(/does not use https/);
    expect(() => createTicketSink({ kind: 'jira-server', baseUrl: base, projectKey: 'S', pat: 't', ...common })).toThrow(/does not use https/);
    expect(createTicketSink({ kind: 'jira-server', baseUrl: 'http://127.0.0.1:9/', projectKey: 'S', pat: 't', ...common }).destination).toBe('jira:http://127.0.0.1:9/S');
  });
});
