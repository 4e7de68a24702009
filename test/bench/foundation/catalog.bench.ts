// Benchmark: cold start of `glasshouse serve` to the container list rendered in Chromium, and a catalog of
// 200 containers created through the Docker API that renders and stays live. Prints figures; asserts only liveness.
import { afterAll, it } from 'vitest';
import { testLabelArgs, docker, engineApi, engineSocket, ensureBusyboxImage, removeTestContainers, TEST_LABEL, TEST_OWNER_LABEL } from '../../support/docker';
import { launchBrowser, newPage, screenshot } from '../../support/browser';
import { serve } from '../../support/serve';

const N = Number(process.env.GH_BENCH_CONTAINERS ?? 200);
afterAll(() => removeTestContainers());

it(`cold start and a ${N}-container catalog`, async () => {
  await ensureBusyboxImage();
  const d = engineApi(); // the engine under test: DOCKER_HOST (npm run bench with GH_BENCH_ENGINES runs it on each)
  const browser = await launchBrowser();
  try {
    // 1. Cold start: process spawn → URL printed → page loaded → first container row painted.
    await docker(['run', '-d', ...testLabelArgs(), 'glasshouse-test/busybox:1', 'sleep', '3600']);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const srv = await serve({ DOCKER_HOST: `unix://${engineSocket()}` });
      const page = await newPage(browser);
      await page.goto(srv.url);
      await page.getByTestId('container-row').first().waitFor();
      runs.push(performance.now() - t0);
      await page.close();
      await srv.stop();
    }
    console.log(`cold start → list rendered: ${runs.map((r) => r.toFixed(0)).join(', ')} ms (median ${runs.sort((a, b) => a - b)[1].toFixed(0)} ms)`);

    // 2. 200 containers created through the API while the UI is open.
    const srv = await serve({ DOCKER_HOST: `unix://${engineSocket()}` });
    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('container-row').first().waitFor();
    const before = await page.getByTestId('container-row').count();
    const t1 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < N; i += 10) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(10, N - i) }, async (_, j) => {
        const c = await d.createContainer({
          Image: 'glasshouse-test/busybox:1', Cmd: ['sleep', '3600'], name: `gh-bench-${process.pid}-${i + j}`,
          Labels: { [TEST_LABEL]: '1', [TEST_OWNER_LABEL]: String(process.pid), 'com.docker.compose.project': `bench${(i + j) % 5}`, 'com.docker.compose.service': `svc${(i + j) % 7}` },
        });
        return c.id;
      }))));
    }
    const tCreated = performance.now();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=container-row]').length >= n, before + N, { timeout: 120_000 });
    const tRendered = performance.now();
    console.log(`${N} containers: created via API in ${(tCreated - t1).toFixed(0)} ms; all rows rendered ${(tRendered - tCreated).toFixed(0)} ms after the last create`);

    // 3. Still live: start 20 of them and see the UI follow.
    const t2 = performance.now();
    await Promise.all(ids.slice(0, 20).map((id) => d.getContainer(id).start()));
    const tStarted = performance.now();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=container-row] .dot-running').length >= 21, undefined, { timeout: 60_000 });
    console.log(`start 20: Docker took ${(tStarted - t2).toFixed(0)} ms; the UI showed all running ${(performance.now() - tStarted).toFixed(0)} ms after the last start returned`);
    const t3 = performance.now();
    const frames = await page.evaluate(() => new Promise<number[]>((r) => {
      const out: number[] = [];
      let last = performance.now();
      const tick = () => { const n = performance.now(); out.push(n - last); last = n; out.length < 60 ? requestAnimationFrame(tick) : r(out); };
      requestAnimationFrame(tick);
    }));
    frames.sort((a, b) => a - b);
    console.log(`frame time with ${before + N} rows: p50 ${frames[30].toFixed(1)} ms, p95 ${frames[56].toFixed(1)} ms (measured ${(performance.now() - t3).toFixed(0)} ms)`);
    await screenshot(page, 'bench-200-containers');
    await page.close();
    await srv.stop();
  } finally {
    await browser.close();
  }
});
