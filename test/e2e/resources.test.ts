// Resource charts on real samples: a busybox busy loop under --cpus/--memory limits, captured by the real engine and
// helper; the CPU and memory charts fill with samples and draw the configured limits, pids shows its missing limit.
import type { BrowserContext } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, ensureBusyboxImage } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';
import { waitFor } from '../support/waitFor';

// Our own label: other suites clean up every dev.glasshouse.test container while this one still runs.
const LABEL = 'dev.glasshouse.resources-test';
let srv: Served;
let browser: BrowserContext;
let id = '';

beforeAll(async () => {
  await ensureBusyboxImage();
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'gh-res-')) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  if (id) await docker(['rm', '-f', id]).catch(() => undefined);
});

describe('resource charts on a real container under load', () => {
  it('shows CPU and memory samples with the configured limits drawn in', async () => {
    const name = `ghres-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    id = await docker(['run', '-d', '--name', name, '--label', `${LABEL}=1`, '--cpus', '0.5', '--memory', '64m',
      // A pure busy loop makes no system calls at all: its samples must not depend on the sensor seeing events.
      'glasshouse-test/busybox:1', 'sh', '-c', 'while :; do :; done']);

    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('container-row').filter({ hasText: name }).dispatchEvent('click');
    await page.getByTestId('detail-name').filter({ hasText: name }).waitFor();
    await page.getByTestId('capture-selected').click();
    await page.getByTestId('session-state').filter({ hasText: 'Capturing' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('tab-resources').click();

    const cpu = page.getByTestId('chart-cpu');
    const mem = page.getByTestId('chart-memory');
    // Samples arrive once a second: wait for a few, so the line has a shape.
    await waitFor('CPU samples', async () => Number(await cpu.getAttribute('data-samples')) >= 4, 45_000);
    // The busy loop is throttled by --cpus 0.5: busy, yet around half a CPU, not a whole one.
    const cpuNow = Number.parseFloat((await cpu.getByTestId('chart-last').textContent()) ?? '');
    expect(cpuNow).toBeGreaterThan(15);
    expect(cpuNow).toBeLessThan(80);
    // The limits from the container's configuration: 0.5 CPUs = 50 %, 64 MiB; each drawn as a limit line.
    await waitFor('CPU limit', async () => (await cpu.getAttribute('data-limit')) === '50');
    await expect(cpu.getByTestId('chart-limit').textContent()).resolves.toBe('limit 0.50 CPUs');
    expect(await cpu.locator('line.limit').count()).toBe(1);
    expect(await cpu.locator('path.series').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){3,}/);
    expect(Number(await mem.getAttribute('data-limit'))).toBe(64 * 1024 * 1024);
    await expect(mem.getByTestId('chart-limit').textContent()).resolves.toBe('limit 64.0 MiB');
    expect(await mem.locator('line.limit').count()).toBe(1);
    expect(Number(await mem.getAttribute('data-samples'))).toBeGreaterThanOrEqual(4);
    // No --pids-limit: the chart says so and the posture panel beside it lists the missing limit.
    await expect(page.getByTestId('chart-processes').textContent()).resolves.toContain('no pids limit');
    await page.getByTestId('posture-item').filter({ hasText: /pids|PIDs/i }).first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'resources-under-load');

    await page.getByTestId('capture-stop').click();
    await page.getByTestId('session-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    expect(page.problems).toEqual([]);
  });
});
