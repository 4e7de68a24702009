// The app's export handlers over a session stand-in: reports are redacted, previews mask tokens, stored tokens never come back.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
