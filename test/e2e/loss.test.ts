// The loss banner of a reopened recording says what the recording could not save and why, in the real UI (browser
// host + Chromium), from a real recording file whose one bad row the store's schema rejected.
import type { BrowserContext } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../electron/node/recorder';
import { SyntheticSource } from '../../electron/node/capture/synthetic';
import { RecordingStore } from '../../electron/node/store/index';
import type { DockerDiffEntry } from '../../electron/common/state/fileTable';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';

const dir = mkdtempSync(join(tmpdir(), 'gh-loss-'));
let srv: Served;
let browser: BrowserContext;

beforeAll(async () => {
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_CONFIG_HOME: join(dir, 'config') });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('loss banner', () => {
  it('shows how many rows a reopened recording could not save, with the reason', async () => {
    // the browser host opens recordings from Glasshouse's own folder (XDG_CONFIG_HOME/glasshouse/recordings)
    mkdirSync(join(dir, 'config', 'glasshouse', 'recordings'), { recursive: true });
    const file = join(dir, 'config', 'glasshouse', 'recordings', 'lossy.glasshouse');
    // A `docker diff` answer that came back as a Buffer holding `null\n` becomes a file row with no path.
    const info = { inspect: async () => undefined, diff: async () => Buffer.from('null\n') as unknown as DockerDiffEntry[] };
    const rec = new Recorder({ source: new SyntheticSource({ events: 2000, seed: 5, containers: 1, startTs: Date.now() - 5000 }), store: RecordingStore.create(file), info });
    await rec.start();
    expect((await rec.done).unsaved).toBe(1);

    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('open-recording').click();
    await page.getByTestId('recording-path').fill(file);
    await page.getByTestId('recording-path-open').click();
    try {
      await page.getByTestId('session-state').filter({ hasText: 'Recording loaded' }).waitFor({ timeout: 30_000 });
    } catch (e) {
      await screenshot(page, 'loss-banner-failed');
      throw new Error(`${(e as Error).message}\nsession: ${await page.getByTestId('session-bar').textContent()}\nserve: ${srv.output().slice(-2000)}`);
    }
    const banner = page.getByTestId('loss-banner');
    await banner.waitFor();
    const text = await banner.textContent();
    await screenshot(page, 'loss-banner-unsaved');
    expect(text).toContain('1 event or row could not be saved in the recording (1 × file: NOT NULL constraint failed: files.path)');
    expect(page.problems).toEqual([]);
  }, 90_000);
});
