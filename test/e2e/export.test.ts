// Findings out from the app in real Chromium: a live capture with planted secrets exported as SARIF and HTML (downloads),
// a GitHub ticket previewed (redacted, token masked) and sent to a local fake GitHub, then deduplicated on a second send.
// The token is typed into the app and kept in the real OS keychain (gnome-keyring via secret-tool) when this machine has one.
import type { BrowserContext, Page } from 'playwright-core';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, ensureBusyboxImage, execIn } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { CLI, ROOT } from '../support/cli';
import { fakeGitHub, type FakeTracker } from '../integration/export/fakeTrackers';

const LABEL = 'dev.glasshouse.export-test';
const GH_TOKEN = 'e2e-token-Zq81xV';
// Secrets planted in the evidence: a GitHub token in an assignment, a password argument, an AWS secret.
const PLANTED_GHP = `ghp_${'A1b2C3d4E5'.repeat(4)}`;
const PLANTED_PASSWORD = 'hunter2planted';
const PLANTED_AWS = 'wJalrXUtnFEMIK7MDENGbPxRfiCYPLANTED';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const KEYCHAIN = has('secret-tool') && has('gnome-keyring-daemon') && has('dbus-run-session');

interface Host { url: string; child: ChildProcess; output: () => string; stop(): Promise<void> }

/** `glasshouse serve` in its own D-Bus session with an unlocked gnome-keyring (the real keychain), else plain. */
function serveHost(env: Record<string, string>): Promise<Host> {
  const args = [CLI, 'serve', '--port', '0'];
  const child = KEYCHAIN
    ? spawn('dbus-run-session', ['--', 'sh', '-c', 'eval "$(printf e2e | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && exec "$0" "$@"', process.execPath, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, detached: true })
    : spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve printed no URL:\n${out}`)), 30_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(out);
      if (!m) return;
      clearTimeout(t);
      resolve({
        url: m[0], child, output: () => out,
        // The whole group (dbus-run-session, its bus, the keyring and serve) is ours: end it by its id.
        stop: () => new Promise((r) => {
          if (child.exitCode !== null) return r();
          child.once('exit', () => r());
          try { process.kill(-child.pid!, 'SIGTERM'); } catch { r(); }
        }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}

let host: Host;
let browser: BrowserContext;
let github: FakeTracker;
let home: string;

beforeAll(async () => {
  await ensureBusyboxImage();
  github = await fakeGitHub(GH_TOKEN);
  home = mkdtempSync(join(tmpdir(), 'gh-export-e2e-'));
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  const env: Record<string, string> = {
    DOCKER_HOST: 'unix:///var/run/docker.sock', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'), GLASSHOUSE_GITHUB_TOKEN: '', GITHUB_TOKEN: '', GH_TOKEN: '',
  };
  // Without a keychain on this machine the engine can only read the token from its environment.
  // It is bound to the fake's address beside it: a token is only sent to the server it is for.
  if (!KEYCHAIN) Object.assign(env, { GLASSHOUSE_GITHUB_TOKEN: GH_TOKEN, GLASSHOUSE_GITHUB_URL: github.url });
  host = await serveHost(env);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await github?.close();
  const ids = (await docker(['ps', '-aq', '--filter', `label=${LABEL}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
});

async function download(page: Page, format: string): Promise<{ name: string; text: string }> {
  await page.getByTestId('export-format').selectOption(format);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('export-run').click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

function expectNoPlantedSecret(text: string, what: string): void {
  for (const s of [PLANTED_GHP, PLANTED_PASSWORD, PLANTED_AWS, GH_TOKEN]) expect(text.includes(s), `${what} leaks ${s.slice(0, 8)}…`).toBe(false);
}

describe('findings out from the app', () => {
  it('exports SARIF and HTML redacted, previews a GitHub ticket, sends it and dedupes the second send', async () => {
    const name = `ghexport-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
    const id = await docker(['run', '-d', '--name', name, '--label', `${LABEL}=1`, 'glasshouse-test/busybox:1', 'sleep', '3600']);

    const page = await newPage(browser);
    await page.goto(host.url);
    await page.getByTestId('container-row').filter({ hasText: name }).dispatchEvent('click');
    await page.getByTestId('detail-name').filter({ hasText: name }).waitFor();
    await page.getByTestId('capture-selected').click();
    await page.getByTestId('session-state').filter({ hasText: 'Capturing' }).waitFor({ timeout: 60_000 }).catch(async (e) => {
      await screenshot(page, 'export-capture-failed');
      throw new Error(`capture did not start: ${await page.getByTestId('session-bar').textContent()}\n${host.output().slice(-2000)}\n${e}`);
    });
    await new Promise((r) => setTimeout(r, 1500)); // the helper attaches to the container's cgroup
    // Drop and execute a binary and write below /etc, with secrets on the command lines that the evidence keeps.
    await execIn(id, ['sh', '-c', `API_TOKEN=${PLANTED_GHP} AWS_SECRET_ACCESS_KEY=${PLANTED_AWS}; cp /bin/busybox /tmp/x; /tmp/x true --password ${PLANTED_PASSWORD}; echo pwned > /etc/gh-export-e2e`]);

    await page.getByTestId('tab-findings').click();
    const dropRow = page.getByTestId('finding-row').filter({ hasText: /Drop and execute/ });
    await dropRow.first().waitFor({ timeout: 30_000 });
    // The planted secrets are in the evidence as captured (so redaction has something to do).
    await dropRow.first().click();
    await expect.poll(async () => (await page.getByTestId('finding-detail').textContent()) ?? '').toContain(PLANTED_PASSWORD);

    await page.getByTestId('export-open').click();
    await page.getByTestId('export-panel').waitFor();

    // SARIF: a real download, valid shape, the right rule, nothing secret.
    const sarif = await download(page, 'sarif');
    expect(sarif.name).toMatch(/^glasshouse-.+\.sarif$/);
    const log = JSON.parse(sarif.text) as { version: string; runs: Array<{ results: Array<{ ruleId: string; message: { text: string } }> }> };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.runs[0].results)).toMatch(/drop|execut/i);
    expectNoPlantedSecret(sarif.text, 'SARIF');
    const result = page.getByTestId('export-result');
    await expect.poll(async () => (await result.getByTestId('export-redactions').textContent()) ?? '').toMatch(/^Redacted before export: .*credential-argument/);

    // HTML: self-contained, names the container, shows the redaction markers, nothing secret.
    const html = await download(page, 'html');
    expect(html.name).toMatch(/\.html$/);
    expect(html.text).toMatch(/^<!doctype html>/i);
    expect(html.text).toContain(name);
    expect(html.text).toContain('[REDACTED');
    expectNoPlantedSecret(html.text, 'HTML');
    await screenshot(page, 'export-report');

    // Tickets: GitHub at the local fake, one chosen finding.
    await page.getByTestId('ticket-kind').selectOption('github');
    await page.getByTestId('ticket-project').fill('acme/shop');
    await page.getByTestId('ticket-base-url').fill(github.url);
    await page.getByTestId('ticket-grouping').selectOption('finding');
    if (KEYCHAIN) {
      await expect.poll(async () => page.getByTestId('secret-state-github-token').textContent()).toBe('not set');
      await page.getByTestId('secret-input-github-token').fill(GH_TOKEN);
      await page.getByTestId('secret-save-github-token').click();
      await expect.poll(async () => page.getByTestId('secret-state-github-token').textContent(), { timeout: 15_000 }).toBe('set (stored)');
      expect(await page.getByTestId('secret-input-github-token').inputValue()).toBe('');
      // Saved with the form's server address: it is sent there and nowhere else, and the page says so.
      expect(await page.getByTestId('secret-origin-github-token').textContent()).toBe(`only for ${github.url}`);
      expect(await page.getByTestId('secret-store').textContent()).toContain('Where tokens are kept: the OS keychain via');
    } else {
      await expect.poll(async () => page.getByTestId('secret-state-github-token').textContent()).toBe('set (from the environment)');
    }
    const boxes = page.getByTestId('ticket-finding');
    for (let i = 0; i < await boxes.count(); i++) {
      const row = boxes.nth(i);
      const label = (await row.locator('xpath=..').textContent()) ?? '';
      if (!/Drop and execute/.test(label) && await row.isChecked()) await row.uncheck();
    }
    await page.getByTestId('ticket-preview').click();
    const payload = page.getByTestId('ticket-payload');
    await payload.first().waitFor({ timeout: 15_000 });
    expect(await payload.count()).toBe(1);
    const shown = (await payload.first().textContent()) ?? '';
    expect(shown).toContain('Authorization: Bearer ***');
    expect(shown.split('\n').length).toBeGreaterThan(10); // shown as it is sent: real line breaks, not ␊ symbols
    expect(shown).toContain('"glasshouse-fp-');
    expect(shown).toContain('[REDACTED');
    expectNoPlantedSecret(shown, 'ticket preview');
    expect(await page.getByTestId('ticket-preview-list').textContent()).toContain(`POST ${github.url}/repos/acme/shop/issues`);
    await screenshot(page, 'export-ticket-preview');

    await page.getByTestId('ticket-send').click();
    await expect.poll(async () => page.getByTestId('ticket-result').first().getAttribute('data-outcome'), { timeout: 30_000 })
      .toBe('created');
    expect(await page.getByTestId('ticket-result').first().textContent()).toContain('#1');
    expect(github.issues).toHaveLength(1);
    const sent = github.requests.filter((r) => r.method === 'POST');
    expect(sent).toHaveLength(1);
    // The token the fake accepted came from the keychain (or environment), never from the page.
    expect(sent[0].headers.authorization).toBe(`Bearer ${GH_TOKEN}`);
    const issue = github.issues[0].body as { title: string; body: string; labels: string[] };
    expect(issue.title).toMatch(/Drop and execute/);
    expect(issue.labels).toEqual(expect.arrayContaining(['security', expect.stringMatching(/^glasshouse-fp-[0-9a-f]{12}$/)]));
    expectNoPlantedSecret(JSON.stringify(issue), 'created issue');

    // A second send finds the ticket in the local map: nothing new is created.
    await page.getByTestId('ticket-send').click();
    await expect.poll(async () => page.getByTestId('ticket-result').first().getAttribute('data-outcome'), { timeout: 30_000 }).toBe('existing');
    expect(await page.getByTestId('ticket-result').first().textContent()).toMatch(/Already exists.*#1.*local ticket map/s);
    expect(github.issues).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

    // A refusal is shown per ticket as the tracker's sentence plus what to do, and nothing is created.
    for (let i = 0; i < await boxes.count(); i++) {
      const row = boxes.nth(i);
      const label = (await row.locator('xpath=..').textContent()) ?? '';
      if (/Runs as root/.test(label) !== await row.isChecked()) await row.setChecked(/Runs as root/.test(label));
    }
    await page.getByTestId('ticket-preview').click();
    await expect.poll(async () => (await page.getByTestId('ticket-payload').first().textContent()) ?? '').toMatch(/Runs as root/);
    github.forced.push({ status: 403, body: { message: 'Resource not accessible by integration' } });
    await page.getByTestId('ticket-send').click();
    await expect.poll(async () => page.getByTestId('ticket-result').first().getAttribute('data-outcome'), { timeout: 30_000 }).toBe('failed');
    expect(await page.getByTestId('ticket-result').first().textContent())
      .toMatch(/GitHub refused to search for existing tickets in acme\/shop \(HTTP 403: Resource not accessible by integration\)\. The token may not create issues in acme\/shop/);
    expect(github.issues).toHaveLength(1);

    // The token never reached the page.
    expect(await page.content()).not.toContain(GH_TOKEN);
    await screenshot(page, 'export-ticket-sent');
    expect(page.problems).toEqual([]);
  });
});
