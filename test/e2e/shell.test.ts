// The whole app in Chromium against the real engine: catalog live, detail facts, hostile text inert, token enforced.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLabelArgs, docker, ensureBusyboxImage, removeTestContainers, testName, TEST_LABEL } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';
import { waitFor } from '../support/waitFor';

let srv: Served;
let browser: BrowserContext;

beforeAll(async () => {
  await ensureBusyboxImage();
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeTestContainers();
});

describe('browser host end to end', () => {
  it('lists a container the test starts, updates when it stops, and shows its inspect facts', async () => {
    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('engine-status').filter({ hasText: 'Docker' }).waitFor();
    await expect(page.getByTestId('engine-endpoint').textContent()).resolves.toContain('unix:///var/run/docker.sock');

    const name = testName('e2e');
    const id = await docker(['run', '-d', '--name', name, ...testLabelArgs(), '--label', 'com.docker.compose.project=e2eshop',
      '--label', 'com.docker.compose.service=api', '--cap-add', 'NET_ADMIN', '--memory', '32m', 'glasshouse-test/busybox:1', 'sleep', '600']);
    const row = page.getByTestId('container-row').filter({ hasText: name });
    await row.waitFor({ timeout: 10_000 });
    await row.getByTestId('container-state').filter({ hasText: /^\d+ s$/ }).waitFor({ timeout: 10_000 });
    await expect(page.locator('.group-head', { hasText: 'e2eshop' }).count()).resolves.toBe(1);

    await row.click();
    await page.getByTestId('detail-name').filter({ hasText: name }).waitFor();
    await page.getByTestId('fact-capadd').filter({ hasText: 'NET_ADMIN' }).waitFor();
    await expect(page.getByTestId('fact-memory').textContent()).resolves.toContain('32.0 MiB');
    await expect(page.getByTestId('fact-privileged').textContent()).resolves.toContain('no');
    await screenshot(page, 'catalog-detail');

    await page.getByTestId('tab-processes').click();
    await page.getByTestId('process-list').filter({ hasText: 'sleep 600' }).waitFor();
    await screenshot(page, 'processes');

    await docker(['stop', '-t', '1', id]);
    await row.getByTestId('container-state').filter({ hasText: 'exited' }).waitFor({ timeout: 10_000 });
    await docker(['rm', id]);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(page.problems).toEqual([]);
  });

  it('renders hostile names, labels and ANSI escapes as inert text', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const name = testName('hostile');
    await docker(['run', '-d', '--name', name, ...testLabelArgs(), '--label', `com.docker.compose.project=${hostile}`,
      '--label', `com.docker.compose.service=\u001b[31mRED\u001b[0m`, '--label', `note=<script>alert(2)</script>`,
      'glasshouse-test/busybox:1', 'sleep', '600']);
    const page = await newPage(browser);
    await page.goto(srv.url);
    const row = page.getByTestId('container-row').filter({ hasText: name });
    await row.waitFor();
    await expect(page.locator('.group-head', { hasText: hostile }).count()).resolves.toBe(1);
    await expect(page.locator('.service-head', { hasText: '␛[31mRED␛[0m' }).count()).resolves.toBe(1);
    await row.click();
    await page.getByTestId('labels').filter({ hasText: '<script>alert(2)</script>' }).waitFor();
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    await expect(page.locator('#root script').count()).resolves.toBe(0);
    await screenshot(page, 'hostile-text');
    expect(page.problems).toEqual([]);
  });

  it('refuses requests without the token, and from other sites', async () => {
    // Plain HTTP clients without the browser's cookie jar.
    const res = await fetch(srv.origin + '/', { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/needs its access token/);
    const cross = await fetch(`${srv.origin}/?token=${srv.token}`, { headers: { origin: 'http://evil.example' }, redirect: 'manual' });
    expect(cross.status).toBe(403);
    const page = await newPage(browser);
    // A page from another origin cannot open the API socket even though the browser sends the cookie-less request.
    await page.goto('about:blank');
    const opened = await page.evaluate((u) => new Promise<string>((r) => {
      const ws = new WebSocket(u);
      ws.onopen = () => r('open');
      ws.onerror = () => r('refused');
    }), srv.origin.replace('http', 'ws') + '/api');
    expect(opened).toBe('refused');

    // Same site, with the cookie: the app's own tab reaches the API with the token it keeps in sessionStorage, a
    // second tab that only has the cookie (what every other 127.0.0.1 port receives too) does not.
    const app = await newPage(browser);
    await app.goto(srv.url);
    await app.getByTestId('engine-status').waitFor();
    expect(app.url()).toBe(`${srv.origin}/`); // token gone from the address bar
    const probe = (p: typeof app, withToken: boolean) => p.evaluate(({ u, withToken }) => new Promise<string>((r) => {
      const t = sessionStorage.getItem('glasshouse.token');
      const ws = new WebSocket(u, ['glasshouse.v1', ...(withToken && t ? [`glasshouse.token.${t}`] : [])]);
      ws.onopen = () => { ws.close(); r('open'); };
      ws.onerror = () => r('refused');
    }), { u: srv.origin.replace('http', 'ws') + '/api', withToken });
    expect(await probe(app, true)).toBe('open');
    expect(await probe(app, false)).toBe('refused');
    const cookieOnly = await newPage(browser);
    await cookieOnly.goto(`${srv.origin}/`);
    expect(await cookieOnly.evaluate(() => sessionStorage.getItem('glasshouse.token'))).toBeNull();
    await cookieOnly.getByTestId('engine-status').filter({ hasText: 'This tab has no access token' }).waitFor();
    expect(await probe(cookieOnly, true)).toBe('refused');
  });

  it('says in the UI when Docker cannot be reached, and keeps running', async () => {
    const bad = await serve({ DOCKER_HOST: 'unix:///tmp/gh-e2e-missing.sock' });
    try {
      await waitFor('the CLI to say why', () => /Docker: Docker engine not reachable at unix:\/\/\/tmp\/gh-e2e-missing\.sock\./.test(bad.output()));
      const page = await newPage(browser);
      await page.goto(bad.url);
      await page.getByTestId('engine-status').filter({ hasText: 'Docker engine not reachable at unix:///tmp/gh-e2e-missing.sock.' }).waitFor();
      await expect(page.getByTestId('engine-hint').textContent()).resolves.toMatch(/Is Docker running\?/);
      await screenshot(page, 'docker-unreachable');
      expect(bad.child.exitCode).toBeNull();
    } finally {
      await bad.stop();
    }
  });
});
