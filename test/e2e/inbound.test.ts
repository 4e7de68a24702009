// Two inbound flows from one client to two local ports are two rows in the network view, live and when the saved
// recording is opened again: a busybox container serves HTTP on ports 80 and 443, the real engine and helper capture
// it, and the host (one client address: the bridge gateway) connects to each port.
import type { BrowserContext, Page } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, ensureBusyboxImage } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';
import { waitFor } from '../support/waitFor';

// Our own label: other suites clean up every dev.glasshouse.test container while this one still runs.
const LABEL = 'dev.glasshouse.inbound-test';
let srv: Served;
let browser: BrowserContext;
let id = '';

beforeAll(async () => {
  await ensureBusyboxImage();
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'gh-inbound-')) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  if (id) await docker(['rm', '-f', id]).catch(() => undefined);
});

/** One HTTP request from this (host) process; resolves with the body. */
function fetchFromHost(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

/** The inbound rows of the flows table, as "remote port" pairs. */
async function inboundRows(page: Page): Promise<Array<{ remote: string; port: string }>> {
  return page.locator('[data-testid=flow-row]').evaluateAll((rows) => rows
    .map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? ''))
    .filter((cells) => cells[1].includes('in'))
    .map((cells) => ({ remote: cells[2], port: cells[3] })));
}

describe('inbound flows in the network view', () => {
  it('shows two inbound flows from one client to local ports 80 and 443 as two rows, also in the re-opened recording', async () => {
    const name = `ghinbound-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    id = await docker(['run', '-d', '--name', name, '--label', `${LABEL}=1`, 'glasshouse-test/busybox:1', 'sh', '-c',
      'mkdir -p /www && echo keys > /www/index.html && exec sleep 600']);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const page = await newPage(browser);
    await page.goto(srv.url);
    // Other suites churn containers on this shared engine, so the list re-renders often: click without waiting for stillness.
    await page.getByTestId('container-row').filter({ hasText: name }).dispatchEvent('click');
    await page.getByTestId('detail-name').filter({ hasText: name }).waitFor();
    await page.getByTestId('capture-selected').click();
    await page.getByTestId('session-state').filter({ hasText: 'Capturing' }).waitFor({ timeout: 60_000 }).catch(async (e) => {
      await screenshot(page, 'inbound-capture-failed');
      throw new Error(`capture did not start; the session bar says: ${await page.getByTestId('session-bar').textContent()}\n${srv.output().slice(-2000)}\n${e}`);
    });
    await new Promise((r) => setTimeout(r, 1500)); // the helper attaches to the container's cgroup
    // The servers start once the capture runs: a server already blocked in accept() when the sensor attached would
    // have its first connection's accept unseen (its syscall entry came before the sensor).
    await docker(['exec', id, 'httpd', '-p', '80', '-h', '/www']);
    await docker(['exec', id, 'httpd', '-p', '443', '-h', '/www']);

    // One client (this host, seen by the container as the bridge gateway), two local ports.
    expect((await fetchFromHost(`http://${ip}:80/`)).trim()).toBe('keys');
    expect((await fetchFromHost(`http://${ip}:443/`)).trim()).toBe('keys');

    await page.getByTestId('tab-network').click();
    let rows: Array<{ remote: string; port: string }> = [];
    await waitFor('two inbound rows', async () => (rows = await inboundRows(page)).length >= 2, 30_000).catch(async (e) => {
      await screenshot(page, 'inbound-rows-missing');
      throw new Error(`the flows table shows ${JSON.stringify(rows)}, not one row per local port\n${e}`);
    });
    expect(rows.map((r) => r.port).sort()).toEqual(['tcp/443', 'tcp/80']);
    expect(rows[0].remote).toBe(rows[1].remote); // the same client: only the local port tells them apart
    await page.getByTestId('listening-row').filter({ hasText: ':443' }).waitFor({ timeout: 30_000 });
    const sockets = await page.locator('[data-testid=listening-row] td:first-child').allTextContents();
    expect(sockets.filter((t) => /:(80|443)$/.test(t.trim())).map((t) => t.trim().split(':').pop()).sort()).toEqual(['443', '80']);
    await screenshot(page, 'inbound-live');

    // A third connection to 80 updates that row in place: still two rows.
    await fetchFromHost(`http://${ip}:80/`);
    await page.locator('[data-testid=flow-row]').filter({ hasText: 'tcp/80' }).locator('td.num').first().filter({ hasText: /^2$/ })
      .waitFor({ timeout: 30_000 });
    expect((await inboundRows(page)).map((r) => r.port).sort()).toEqual(['tcp/443', 'tcp/80']);

    await page.getByTestId('capture-stop').click();
    await page.getByTestId('session-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 30_000 });

    // The saved recording, opened again: the same two rows.
    await page.getByTestId('open-recording').click();
    await page.getByTestId('recent-item').first().click();
    await page.getByTestId('session-state').filter({ hasText: 'Recording loaded' }).waitFor({ timeout: 60_000 }).catch(async (e) => {
      await screenshot(page, 'inbound-reopen-failed');
      throw new Error(`the recording did not load; the session bar says: ${await page.getByTestId('session-bar').textContent()}\n${e}`);
    });
    await page.getByTestId('container-row').filter({ hasText: name }).dispatchEvent('click');
    await page.getByTestId('tab-network').click();
    await waitFor('two inbound rows in the recording', async () => (rows = await inboundRows(page)).length >= 2, 30_000).catch(async (e) => {
      await screenshot(page, 'inbound-reopened-rows-missing');
      throw new Error(`the re-opened recording shows ${JSON.stringify(rows)}\n${e}`);
    });
    expect(rows.map((r) => r.port).sort()).toEqual(['tcp/443', 'tcp/80']);
    await screenshot(page, 'inbound-reopened');
    expect(page.problems).toEqual([]);
  });
});
