// The real OS keychain: gnome-keyring (unlocked, in its own D-Bus session) reached through libsecret's secret-tool by
// the CLI store, the app's token handlers and `glasshouse tickets --send`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainSecretStore, cliSecretStore } from '../../../electron/node/export/secrets';
import { createExportHandlers } from '../../../electron/node/export/app';
import { sampleReportInput } from '../../../electron/node/export/sample';
import { RecordingStore } from '../../../electron/node/store/index';
import { runCli } from '../../support/cli';
import { fakeGitHub, type FakeTracker } from './fakeTrackers';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const MISSING = ['secret-tool', 'gnome-keyring-daemon', 'dbus-run-session'].filter((c) => !has(c));

let keyring: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;
let fake: FakeTracker;

beforeAll(async () => {
  if (MISSING.length) throw new Error(`This test needs ${MISSING.join(', ')}: apt-get install libsecret-tools gnome-keyring dbus-daemon (as .ci/run does).`);
  const home = mkdtempSync(join(tmpdir(), 'gh-keyring-'));
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  const base = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: join(home, 'run') };
  // A private session bus with an unlocked login keyring; it lives until we end its process group.
  keyring = spawn('dbus-run-session', ['--', 'sh', '-c', 'eval "$(printf it | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && echo "BUS=$DBUS_SESSION_BUS_ADDRESS" && exec sleep 600'],
    { env: base, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const bus = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`the keyring did not start:\n${out}`)), 20_000);
    const on = (c: Buffer) => {
      out += c.toString();
      const m = /BUS=(\S+)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    keyring!.stdout!.on('data', on);
    keyring!.stderr!.on('data', on);
  });
  env = { ...base, DBUS_SESSION_BUS_ADDRESS: bus };
  fake = await fakeGitHub('ghs_from_the_keychain');
});

afterAll(async () => {
  await fake?.close();
  if (keyring?.pid && keyring.exitCode === null) {
    const gone = new Promise((r) => keyring!.once('exit', r));
    try { process.kill(-keyring.pid, 'SIGTERM'); } catch { /* already gone */ }
    await gone;
  }
});

describe('OS keychain (gnome-keyring via secret-tool)', () => {
  it('stores, reads and clears a token; the value is only in the keyring', async () => {
    const store = KeychainSecretStore.open(env, 'linux');
    expect(await store.get('gitlab-token')).toBeUndefined();
    const value = `glpat-${'x'.repeat(20)} $(touch /tmp/never) "quoted"`;
    await store.set('gitlab-token', value);
    expect(await store.get('gitlab-token')).toBe(value);
    // secret-tool itself finds it under the attributes Glasshouse documents.
    const direct = spawnSync('secret-tool', ['lookup', 'service', 'glasshouse', 'account', 'gitlab-token'], { env, encoding: 'utf8' });
    expect(direct.stdout).toBe(value);
    await store.delete('gitlab-token');
    expect(await store.get('gitlab-token')).toBeUndefined();
    // The CLI's chain reads the environment first and the keychain after it.
    await store.set('jira-token', 'from-keychain');
    expect(await cliSecretStore(env).store.get('jira-token')).toBe('from-keychain');
    expect(await cliSecretStore({ ...env, GLASSHOUSE_JIRA_TOKEN: 'from-env' }).store.get('jira-token')).toBe('from-env');
    await store.delete('jira-token');
  });

  it('the app handlers keep a typed token in the keychain and report only set / not set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-keyring-data-'));
    const findings = sampleReportInput().findings;
    const h = createExportHandlers({
      session: { status: { state: 'replaying', startedAt: 1, events: 0, loss: { ringDrops: 0, queueDrops: 0, corruptFrames: 0, sourceDropped: 0, unsupportedKinds: [], gaps: [] } }, world: undefined, findings: () => findings },
      dataDir, toolVersion: 'test', env: {}, store: KeychainSecretStore.open(env, 'linux'), publish: () => undefined, http: { minIntervalMs: 0 },
    });
    // Saved for the fake's address: a token is only ever sent to the server it was saved for.
    const s = await h['secrets.set']({ name: 'github-token', value: 'ghs_from_the_keychain', origin: fake.url });
    expect(s.secrets['github-token']).toEqual({ set: true, from: 'store', origin: fake.url });
    expect(s.store).toMatch(/^the OS keychain via .*secret-tool$/);
    expect(JSON.stringify(s)).not.toContain('ghs_from_the_keychain');
    const results = await h['tickets.send']({ target: { kind: 'github', project: 'acme/app', baseUrl: fake.url }, fingerprints: [findings[0].fingerprint], sendId: 'k1' });
    expect(results.map((r) => r.outcome)).toEqual(['created']);
    expect(fake.requests.find((r) => r.method === 'POST')?.headers.authorization).toBe('Bearer ghs_from_the_keychain');
    expect((await h['secrets.delete']({ name: 'github-token' })).secrets['github-token']).toEqual({ set: false });
  });

  it('`glasshouse tickets --send` takes its token from the keychain when the environment has none', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gh-keyring-rec-')), 'run.glasshouse');
    const rec = RecordingStore.create(file, { title: 'keychain run' });
    rec.saveFindings(sampleReportInput().findings.slice(1, 2));
    rec.close();
    const store = KeychainSecretStore.open(env, 'linux');
    await store.set('github-token', 'ghs_from_the_keychain');
    const before = fake.issues.length;
    const r = await runCli(['tickets', file, '--to', 'github', '--repo', 'acme/cli', '--base-url', fake.url, '--min-severity', 'info', '--send'],
      { env: { ...env, GLASSHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-keyring-cli-')) } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^created #\d+/m);
    expect(fake.issues.length).toBe(before + 1);
    expect(r.stdout + r.stderr).not.toContain('ghs_from_the_keychain');
    await store.delete('github-token');
  });
});
