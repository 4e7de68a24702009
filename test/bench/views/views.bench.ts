// Benchmark: the exploration views in Chromium on a 1M-event recording (synthetic source through the real Recorder
// and SQLite store, replayed by the real engine): time to first render of each view, frame times while panning the
// process tree, and frame times while the replay streams events in. Prints figures; asserts only liveness.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, newPage, screenshot } from '../../support/browser';
import { serve } from '../../support/serve';
import { writeSyntheticRecording } from '../../support/recordings';

const EVENTS = Number(process.env.GH_BENCH_VIEW_EVENTS ?? 1_000_000);

/** Records rAF frame intervals in the page until stop() is called; returns them. */
async function startFrames(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__frames = [];
    w.__stop = false;
    let prev = performance.now();
    const step = (now: number) => {
      w.__frames.push(now - prev);
      prev = now;
      if (!w.__stop) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  return () => page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__stop = true;
    return w.__frames.slice(1);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (xs: number[]) => `n=${xs.length} median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

it(`views on a ${EVENTS.toLocaleString()}-event recording`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-views-'));
  const path = join(dir, 'bench.glasshouse');
  const made = await writeSyntheticRecording(path, { events: EVENTS, seed: 5, containers: 1, batchSize: 4096 });
  console.log(`recording: ${made.events.toLocaleString()} events written in ${(made.ms / 1000).toFixed(1)} s`);

  const srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', XDG_CONFIG_HOME: dir });
  const browser = await launchBrowser();
  try {
    const page = await newPage(browser);
    await page.goto(srv.url);
    await page.getByTestId('session-bar').waitFor();

    // Live arrival: the replay streams every event through state and rules at full speed while the tree is shown.
    await page.getByTestId('open-recording').click();
    await page.getByTestId('recording-path').fill(path);
    const t0 = performance.now();
    await page.getByTestId('recording-path-open').click();
    await page.getByTestId('recorded-container').first().click();
    await page.getByTestId('tab-processes').click();
    const stopLive = await startFrames(page);
    await page.getByTestId('process-tree').and(page.locator('[data-rows]:not([data-rows="0"])')).waitFor({ timeout: 120_000 });
    const tFirstTree = performance.now() - t0;
    await page.getByTestId('session-state').filter({ hasText: 'Recording loaded' }).waitFor({ timeout: 600_000 });
    const tLoaded = performance.now() - t0;
    const liveFrames = await stopLive();
    const rate = EVENTS / (tLoaded / 1000);
    console.log(`replay → first tree rows: ${tFirstTree.toFixed(0)} ms; all ${EVENTS.toLocaleString()} events in ${(tLoaded / 1000).toFixed(1)} s (${Math.round(rate).toLocaleString()} events/s arriving)`);
    console.log(`frame times while events arrive (${Math.round(rate).toLocaleString()}/s): ${fmt(liveFrames)}; p95 < 32 ms: ${pct(liveFrames, 95) < 32 ? 'yes' : 'NO'}`);

    // The whole tree (all containers) to pan.
    await page.locator('select[aria-label=Scope]').selectOption('all');
    const rows = Number(await page.getByTestId('process-tree').getAttribute('data-rows'));
    const count = await page.getByTestId('tree-count').textContent();
    console.log(`process tree: ${rows.toLocaleString()} rows (${count})`);

    // Pan: 120 wheel steps over the canvas.
    const box = (await page.locator('[data-testid=process-tree] canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const stopPan = await startFrames(page);
    for (let i = 0; i < 120; i++) {
      await page.mouse.wheel(0, i < 80 ? 400 : -300);
      await page.waitForTimeout(8);
    }
    // Drag-pan too.
    await page.mouse.down();
    for (let i = 0; i < 40; i++) await page.mouse.move(box.x + box.width / 2 - i * 5, box.y + box.height / 2 - i * 10);
    await page.mouse.up();
    const panFrames = await stopPan();
    console.log(`frame times while panning the ${rows.toLocaleString()}-row tree: ${fmt(panFrames)}; p95 < 32 ms: ${pct(panFrames, 95) < 32 ? 'yes' : 'NO'}`);
    await screenshot(page, 'bench-tree');

    // Time to first render of each view with the full world loaded (click → the view's marker element painted).
    const views: Array<[string, string]> = [['files', 'file-tree'], ['network', 'flow-graph'], ['timeline', 'timeline-svg'], ['findings', 'findings-table'], ['resources', 'resource-charts'], ['processes', 'process-tree']];
    const line: string[] = [];
    for (const [tab, marker] of views) {
      const t = performance.now();
      await page.getByTestId(`tab-${tab}`).click();
      await page.getByTestId(marker).waitFor();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      line.push(`${tab} ${(performance.now() - t).toFixed(0)} ms`);
    }
    console.log(`first render per view (click → painted, full world): ${line.join(', ')}`);
    await page.getByTestId('tab-timeline').click();
    await screenshot(page, 'bench-timeline');
    if (page.problems.length) console.log('page problems:', page.problems);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
