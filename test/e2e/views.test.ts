// The exploration views in Chromium against the real engine, helper and containers: a web server's CGI shell drops
// and runs a binary, writes below /etc and connects to another container; every view shows it, findings drill down
// to the right process, path and flow; hostile names, arguments and paths render as inert text.
import type { BrowserContext } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, ensureBusyboxImage, execIn } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';
import { waitFor } from '../support/waitFor';

// Our own label: other suites clean up every dev.glasshouse.test container while this one still runs.
const VIEWS_LABEL = 'dev.glasshouse.views-test';
async function runContainer(o: { cmd: string[]; labels?: Record<string, string> }): Promise<{ id: string; name: string }> {
  const name = `ghviews-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const labels = Object.entries({ [VIEWS_LABEL]: '1', ...(o.labels ?? {}) }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return { id: await docker(['run', '-d', '--name', name, ...labels, 'glasshouse-test/busybox:1', ...o.cmd]), name };
}
async function removeViewContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${VIEWS_LABEL}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
}

let srv: Served;
let browser: BrowserContext;

beforeAll(async () => {
  await ensureBusyboxImage();
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'gh-views-')) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeViewContainers();
});

const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

describe('exploration views on a real capture', () => {
  it('shows the scenario in every view and drills from findings to the node, path and flow', async () => {
    const peer = await runContainer({ cmd: ['sh', '-c', 'mkdir -p /www && echo peer > /www/index.html && exec httpd -f -p 8080 -h /www'] });
    const peerIp = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', peer.id])).trim();
    // The CGI script is what the "web server spawns a shell" story needs: httpd forks it for a request.
    const cgi = [
      '#!/bin/sh', 'echo Content-Type: text/plain', 'echo',
      'sh -c "cp /bin/busybox /tmp/x; chmod +x /tmp/x; /tmp/x true; echo pwned > /etc/gh-e2e"',
      `nc -w 2 ${peerIp} 8080 </dev/null`,
      // hostile program names, arguments and paths: HTML, ANSI escapes, very long, non-UTF-8
      `cp /bin/busybox '/tmp/${HOSTILE_NAME}'; '/tmp/${HOSTILE_NAME}' 2>/dev/null`,
      "e=$(printf '\\033[31mRED\\033[0m'); cp /bin/busybox \"/tmp/$e\"; \"/tmp/$e\" 2>/dev/null",
      `/tmp/x echo $(head -c 3000 /dev/zero | tr '\\0' A) "$(printf 'bad\\377\\376utf8')" '<script>alert(2)</script>' >/dev/null`,
      'echo done',
    ].join('\n');
    const web = await runContainer({
      labels: { 'com.docker.compose.project': 'viewshop', 'com.docker.compose.service': 'web' },
      cmd: ['sh', '-c', `mkdir -p /www/cgi-bin && cat > /www/cgi-bin/run <<'EOF'\n${cgi}\nEOF\nchmod +x /www/cgi-bin/run && exec httpd -f -p 8080 -h /www`],
    });

    const page = await newPage(browser);
    await page.goto(srv.url);
    // Other suites churn containers on this shared engine, so the list re-renders often: click without waiting for stillness.
    await page.getByTestId('container-row').filter({ hasText: web.name }).dispatchEvent('click');
    await page.getByTestId('detail-name').filter({ hasText: web.name }).waitFor();
    await page.getByTestId('capture-selected').click();
    await page.getByTestId('session-state').filter({ hasText: 'Capturing' }).waitFor({ timeout: 60_000 }).catch(async (e) => {
      await screenshot(page, 'views-capture-failed');
      throw new Error(`capture did not start; the session bar says: ${await page.getByTestId('session-bar').textContent()}\n${srv.output().slice(-2000)}\n${e}`);
    });
    await new Promise((r) => setTimeout(r, 1500)); // the helper attaches to the container's cgroup
    expect(await execIn(web.id, ['wget', '-q', '-O-', 'http://127.0.0.1:8080/cgi-bin/run'])).toContain('done');

    // Findings: the scenario's rules, worst first, with MITRE links in the detail.
    await page.getByTestId('tab-findings').click();
    const dropRow = page.getByTestId('finding-row').filter({ hasText: /Drop and execute/ });
    await dropRow.first().waitFor({ timeout: 30_000 });
    await page.getByTestId('finding-row').filter({ hasText: 'Write below etc' }).first().waitFor({ timeout: 30_000 });
    await dropRow.first().click();
    const detail = page.getByTestId('finding-detail');
    await detail.waitFor();
    const mitre = detail.getByTestId('mitre-link').first();
    expect(await mitre.getAttribute('href')).toMatch(/^https:\/\/attack\.mitre\.org\/techniques\/T\d{4}\/(\d{3}\/)?$/);
    expect(await mitre.getAttribute('rel')).toBe('noreferrer noopener');
    await screenshot(page, 'views-findings');

    // → the process node: the dropped binary, selected in the tree, with its command line.
    await detail.getByTestId('jump-process').click();
    await page.getByTestId('process-detail').waitFor();
    await expect(page.getByTestId('process-cmdline').textContent()).resolves.toMatch(/^\/tmp\/x true$|^x true$/);
    const selectedRow = Number(await page.getByTestId('process-tree').getAttribute('data-selected-row'));
    expect(selectedRow).toBeGreaterThan(0);
    await screenshot(page, 'views-processes');

    // → the shell the CGI script started (httpd → /cgi-bin/run → sh): "Shell spawned by a server process" leads to it.
    await page.getByTestId('tab-findings').click();
    const shellRow = page.getByTestId('finding-row').filter({ hasText: 'Shell spawned by a server process' }).first();
    await shellRow.waitFor({ timeout: 30_000 });
    await shellRow.click();
    await page.getByTestId('finding-detail').getByTestId('jump-process').click();
    await page.getByTestId('process-cmdline').filter({ hasText: /^sh -c cp \/bin\/busybox \/tmp\/x;/ }).waitFor();
    await expect(page.getByTestId('process-parent').textContent()).resolves.toMatch(/^run \(\d+\)$/);
    expect(Number(await page.getByTestId('process-tree').getAttribute('data-selected-row'))).toBeGreaterThan(0);
    await screenshot(page, 'views-server-shell');

    // → the file: the dropped binary's path, flagged as drift.
    await page.getByTestId('tab-findings').click();
    await page.getByTestId('finding-row').filter({ hasText: 'Write below etc' }).first().click();
    await page.getByTestId('finding-detail').getByTestId('jump-file').click();
    await expect(page.getByTestId('file-detail-path').textContent()).resolves.toBe('/etc/gh-e2e');
    await page.getByTestId('file-row').filter({ hasText: 'x' }).first().waitFor();
    expect(await page.locator('[data-testid=file-row][data-path="/tmp/x"] .drift-tag').count()).toBe(1);
    await page.getByTestId('file-preview-btn').click();
    await page.getByTestId('file-preview').filter({ hasText: 'pwned' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'views-files');

    // → the flow: netcat's connection to the peer container, selected in the flows table.
    await page.getByTestId('tab-findings').click();
    const nc = page.getByTestId('finding-row').filter({ hasText: /[Nn]etcat/ }).first();
    await nc.waitFor({ timeout: 30_000 });
    await nc.click();
    await page.getByTestId('finding-detail').getByTestId('jump-flow').click();
    const flowRow = page.locator('[data-testid=flow-row].selected');
    await flowRow.waitFor();
    await expect(flowRow.textContent()).resolves.toContain(peerIp);
    await expect(flowRow.textContent()).resolves.toContain('8080');
    await screenshot(page, 'views-network');

    // Timeline: lanes drawn, the jump set a window that the other views honour; clearing it restores all.
    await page.getByTestId('tab-timeline').click();
    await page.getByTestId('timeline-window').filter({ hasText: 'filters every view' }).waitFor();
    expect(await page.locator('.lane-processes .bars').getAttribute('d')).toMatch(/^M/);
    await screenshot(page, 'views-timeline');
    await page.getByTestId('clear-window').click();

    await page.getByTestId('tab-resources').click();
    await page.getByTestId('posture-item').first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'views-resources');

    // Hostile text stays text: no element was injected, and the escapes show as symbols.
    await page.getByTestId('tab-files').click();
    await page.getByTestId('file-row').filter({ hasText: HOSTILE_NAME }).first().waitFor();
    await page.getByTestId('file-row').filter({ hasText: '␛[31mRED␛[0m' }).first().waitFor();
    await page.getByTestId('tab-processes').click();
    await page.getByTestId('tree-search').fill('AAAA');
    await waitFor('search hits the long argv', async () => /1 match/.test((await page.getByTestId('tree-count').textContent()) ?? ''));
    // The web server's CGI child is in the tree under httpd (the canvas is searched through its count).
    await page.getByTestId('tree-search').fill('cgi-bin/run');
    await waitFor('the CGI process in the tree', async () => /[1-9]\d* match/.test((await page.getByTestId('tree-count').textContent()) ?? ''));
    await page.getByTestId('tab-timeline').click();
    await page.getByTestId('timeline-events').waitFor();
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    await expect(page.locator('#root script').count()).resolves.toBe(0);
    await screenshot(page, 'views-hostile');

    // A window brushed up to the live edge follows it: an event made after the brush shows in the events list below.
    const overlay = (await page.locator('[data-testid=timeline-svg] .overlay').boundingBox())!;
    await page.mouse.move(overlay.x + overlay.width * 0.5, overlay.y + overlay.height / 2);
    await page.mouse.down();
    await page.mouse.move(overlay.x + overlay.width + 20, overlay.y + overlay.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.getByTestId('timeline-window').filter({ hasText: 'filters every view' }).waitFor();
    await new Promise((r) => setTimeout(r, 2500)); // later than the brushed end, so only a following window holds it
    const marker = `gh-live-${process.pid}`;
    await execIn(web.id, ['sh', '-c', `cat /tmp/${marker} 2>/dev/null; true`]);
    await page.getByTestId('timeline-events').filter({ hasText: marker }).waitFor({ timeout: 20_000 }).catch(async (e) => {
      await screenshot(page, 'views-live-window-failed');
      throw new Error(`the events list did not show an event made while capturing (window: ${await page.getByTestId('timeline-window').textContent()})\n${e}`);
    });
    await screenshot(page, 'views-live-window');
    await page.getByTestId('clear-window').click();

    // Mark as expected: the finding leaves the open list.
    await page.getByTestId('tab-findings').click();
    await page.getByTestId('finding-row').filter({ hasText: 'Write below etc' }).first().click();
    await page.getByTestId('mark-expected').click();
    await page.getByTestId('finding-row').filter({ hasText: 'Write below etc' }).first().waitFor({ state: 'detached' });

    await page.getByTestId('capture-stop').click();
    await page.getByTestId('session-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    expect(page.problems).toEqual([]);
  });
});
