// A project brought up by real `docker compose` (the v2 plugin) appears in the sidebar as one project with its
// services as compose starts them, and goes when `docker compose down` removes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, engineSocket, ensureBusyboxImage, removeTestContainers, TEST_LABEL, TEST_OWNER_LABEL } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';

const project = `ghe2e${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-compose-'));
const file = join(dir, 'compose.yaml');
let srv: Served;
let browser: BrowserContext;
const compose = (args: string[]) => docker(['compose', '-p', project, '-f', file, ...args], { timeoutMs: 120_000 });

beforeAll(async () => {
  const image = await ensureBusyboxImage();
  const labels = `    labels:\n      ${TEST_LABEL}: "1"\n      ${TEST_OWNER_LABEL}: "${process.pid}"\n`;
  writeFileSync(file, `name: ${project}
services:
  api:
    image: ${image}
    command: ["sleep", "600"]
${labels}  cache:
    image: ${image}
    command: ["sleep", "600"]
${labels}`);
  srv = await serve({ DOCKER_HOST: `unix://${engineSocket()}` });
  browser = await launchBrowser();
});
afterAll(async () => {
  await compose(['down', '-t', '1']).catch(() => undefined);
  await browser?.close();
  await srv?.stop();
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

describe('a docker compose project in the sidebar', () => {
  it('shows the project with its services as compose starts them, and drops it on down', async () => {
    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('engine-status').filter({ hasText: 'Docker' }).waitFor();

    await compose(['up', '-d']);
    const group = page.locator('section.group', { has: page.locator('.group-head', { hasText: project }) });
    await group.waitFor({ timeout: 15_000 });
    await group.locator('.service-head', { hasText: 'api' }).waitFor();
    await group.locator('.service-head', { hasText: 'cache' }).waitFor();
    await expect(group.getByTestId('container-row').count()).resolves.toBe(2);
    await expect(group.locator('.group-head').textContent()).resolves.toContain('2');
    await group.getByTestId('container-row').filter({ hasText: `${project}-api-1` }).getByTestId('container-state')
      .filter({ hasText: /^\d+ s$/ }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'compose-sidebar');

    await compose(['down', '-t', '1']);
    await group.waitFor({ state: 'detached', timeout: 15_000 });
    expect(page.problems).toEqual([]);
  }, 90_000);
});
