// Chromium against `glasshouse serve` whose engine sits behind a garbling proxy: the skipped engine answer is counted
// and named in the top bar, and the readable containers are listed as usual.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBusyboxImage, removeTestContainers, runContainer, testName } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { RewritingProxy } from '../support/rewritingProxy';
import { serve, type Served } from '../support/serve';

let dir: string;
let proxy: RewritingProxy;
let srv: Served;
let browser: BrowserContext;
let bystander: { id: string; name: string };

beforeAll(async () => {
  await ensureBusyboxImage();
  bystander = await runContainer({ name: testName('e2e-answers'), args: ['--network', 'none'] });
  dir = mkdtempSync(join(tmpdir(), 'gh-e2e-answers-'));
  proxy = new RewritingProxy(join(dir, 'docker.sock'), (method, path) => {
    if (method !== 'GET' || !/^\/containers\/json(\?|$)/.test(path)) return undefined;
    return (up) => {
      const list = JSON.parse(up.body) as Array<Record<string, unknown>>;
      return { body: JSON.stringify([...list, { ...list[0], Id: 'feedface0000', Names: 5 }]) };
    };
  });
  await proxy.up();
  srv = await serve({ DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await proxy?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await removeTestContainers();
});

describe('skipped engine answers in the UI', () => {
  it('the top bar counts the malformed list entry and names it on hover; the readable rows are listed', async () => {
    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('container-row').filter({ hasText: bystander.name }).waitFor({ timeout: 15_000 });
    const pill = page.getByTestId('engine-answer-rejects');
    await pill.filter({ hasText: /^\d+ engine answers? skipped \(container list \d+\)$/ }).waitFor({ timeout: 10_000 });
    await expect(pill.getAttribute('title')).resolves.toMatch(
      /^container list: \d+ skipped\. Last: The container engine answered container list for container feedface0000 with an unexpected shape \(Names: .*\): this container is left out of the container list\./);
    await expect(page.getByTestId('container-row').filter({ hasText: 'feedface' }).count()).resolves.toBe(0);
    await screenshot(page, 'engine-answer-rejects');
  });
});
