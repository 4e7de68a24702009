// `glasshouse tickets` end to end: a real recording file, the built CLI, and a local fake of GitHub's documented API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleReportInput } from '../../../electron/node/export/sample';
import { RecordingStore } from '../../../electron/node/store/index';
import { runCli } from '../../support/cli';
import { fakeGitHub, type FakeTracker } from './fakeTrackers';

let fake: FakeTracker | undefined;
afterEach(async () => fake?.close());

function recordingWithFindings(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gh-tickets-')), 'run.glasshouse');
  const store = RecordingStore.create(file, { title: 'ci run' });
  store.saveFindings(sampleReportInput().findings);
  store.close();
  return file;
}

describe('glasshouse tickets', () => {
  it('previews without a token or any request, sends once with one, and never files the same finding twice', async () => {
    fake = await fakeGitHub('ghs_cli_token');
    const file = recordingWithFindings();
    const data = mkdtempSync(join(tmpdir(), 'gh-tickets-data-'));
    const args = ['tickets', file, '--to', 'github', '--repo', 'acme/shop', '--base-url', fake.url, '--min-severity', 'info'];

    const preview = await runCli(args, { env: { GLASSHOUSE_DATA_DIR: data } });
    expect(preview.code, preview.stderr).toBe(0);
    const payloads = JSON.parse(preview.stdout);
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads[0]).toMatchObject({ method: 'POST', url: `${fake.url}/repos/acme/shop/issues` });
    expect(preview.stderr).toMatch(/previewed above; add --send/);
    expect(fake.requests).toHaveLength(0);

    const noToken = await runCli([...args, '--send'], { env: { GLASSHOUSE_DATA_DIR: data } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/No github token is set\. Set GLASSHOUSE_GITHUB_TOKEN/);

    const sent = await runCli([...args, '--send'], { env: { GLASSHOUSE_DATA_DIR: data, GLASSHOUSE_GITHUB_TOKEN: 'ghs_cli_token' } });
    expect(sent.code, sent.stderr).toBe(0);
    expect(fake.issues).toHaveLength(payloads.length);
    expect(sent.stderr).toMatch(/^created /m);
    expect(sent.stdout + sent.stderr).not.toContain('ghs_cli_token');

    const again = await runCli([...args, '--send'], { env: { GLASSHOUSE_DATA_DIR: data, GLASSHOUSE_GITHUB_TOKEN: 'ghs_cli_token' } });
    expect(again.code).toBe(0);
    expect(fake.issues).toHaveLength(payloads.length);
    expect(again.stderr).toMatch(/already filed as .* \(found via local-map\)/);
  });

  it('refuses a plain-http tracker address other than this machine, before any token is read or sent', async () => {
    const file = recordingWithFindings();
    for (const [to, target] of [['github', ['--repo', 'a/b']], ['gitlab', ['--project', 'g/p']], ['jira-cloud', ['--project', 'SEC']], ['jira-server', ['--project', 'OPS']]] as const) {
      const r = await runCli(['tickets', file, '--to', to, ...target, '--base-url', 'http://tracker.example', '--min-severity', 'info', '--send'],
        { env: { GLASSHOUSE_GITHUB_TOKEN: 'ghs_x', GLASSHOUSE_GITLAB_TOKEN: 'glpat-x', GLASSHOUSE_JIRA_TOKEN: 'atl', GLASSHOUSE_JIRA_EMAIL: 'me@example.com' } });
      expect(r.code, `${to}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/http:\/\/tracker\.example does not use https, so the token would travel in clear text/);
    }
  });

  it('says what is missing', async () => {
    const file = recordingWithFindings();
    expect((await runCli(['tickets', file, '--to', 'github'])).stderr).toMatch(/--to github needs --repo OWNER\/REPO/);
    expect((await runCli(['tickets', file, '--to', 'trello'])).stderr).toMatch(/"trello" is not a ticket tracker/);
    expect((await runCli(['tickets', '/etc/hostname', '--to', 'github', '--repo', 'a/b'])).stderr).toMatch(/\/etc\/hostname/);
  });
});
