// Benchmark: the exploration views in Chromium against the real engine (in this process, served like `glasshouse
// serve`). (1) A 1M-event recording (synthetic source through the real Recorder and SQLite store) replayed by the real
// session: first tree rows, frames while the replay streams in, panning the tree, first render of each view.
// (2) The issue's case: a 1M-event world with a ~10 000-process tree built through the real CaptureSession (state,
// rules, live frames, websocket) by a synthetic source at full speed, then a steady 20 000 events/s on top: frame
// times on the tree (idle and while panning) and on the timeline. Prints figures, targets and met / NOT met; asserts
// only liveness.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { Engine } from '../../../electron/node/engine';
import { startServer } from '../../../electron/server/server';
import { SyntheticSource } from '../../../electron/node/capture/synthetic';
import { BaseSource, type CaptureSourceKind } from '../../../electron/node/capture/source';
import { launchBrowser, newPage, screenshot } from '../../support/browser';
import { ROOT } from '../../support/cli';
import { writeSyntheticRecording } from '../../support/recordings';

const EVENTS = Number(process.env.GH_BENCH_VIEW_EVENTS ?? 1_000_000);
const LIVE_RATE = Number(process.env.GH_BENCH_LIVE_RATE ?? 20_000);
const LIVE_PREFILL = Number(process.env.GH_BENCH_LIVE_PREFILL ?? 1_000_000);
/** Processes in the world (the issue's 10 000-process tree): the synthetic source forks 3% of events, so keep a share. */
const PROCESSES = Number(process.env.GH_BENCH_PROCESSES ?? 10_000);
const forkShare = (events: number) => Math.min(1, PROCESSES / (0.014 * events)); // ~1.4% of events end up as distinct processes (measured: pid reuse merges some)
const LIVE_SECONDS = Number(process.env.GH_BENCH_LIVE_SECONDS ?? 60);
/** Each live measurement (tree, then timeline) lasts this long, inside the paced stretch. */
const MEASURE_MS = Number(process.env.GH_BENCH_MEASURE_MS ?? 6000);
const TARGET_MS = 32;
const wsIn = { frames: 0, bytes: 0, max: 0, largest: '' };
/** What the largest websocket message held: array lengths per field of a live frame. */
const shapeOf = (text: string) => {
  try {
    const p = (JSON.parse(text) as { payload?: { delta?: Record<string, unknown>; tail?: unknown[]; findings?: unknown[] } }).payload;
    if (!p?.delta) return 'not a live frame';
    return [...Object.entries(p.delta), ['tail', p.tail], ['findings', p.findings]].map(([k, v]) => `${k} ${Array.isArray(v) ? v.length : '-'} (${(JSON.stringify(v ?? null).length / 1e3).toFixed(0)} kB${Array.isArray(v) && v.length ? `, largest item ${(Math.max(...v.map((x) => JSON.stringify(x).length)) / 1e3).toFixed(0)} kB` : ''})`).join(', ');
  } catch { return 'unparsable'; }
};
const wsSince = (w0: { frames: number; bytes: number }, ms: number) => `${Math.round((wsIn.frames - w0.frames) / (ms / 1000))} ws messages/s, ${((wsIn.bytes - w0.bytes) / (ms / 1000) / 1e6).toFixed(2)} MB/s`;

/** The synthetic workload at a steady wall-clock rate after a full-speed prefill (the world a long capture has built). */
class PacedSynthetic extends BaseSource {
  readonly kind: CaptureSourceKind = 'synthetic';
  readonly description: string;
  private readonly inner: SyntheticSource;
  /** When the paced phase began (performance.now()), once it has. */
  pacedSince = 0;
  private sent = 0;

  /** Events the paced phase is behind its schedule (the session pulls slower than the rate), 0 before it begins. */
  lag(): number {
    return this.pacedSince ? Math.max(0, this.o.prefill + ((performance.now() - this.pacedSince) / 1000) * this.o.rate - this.sent) : 0;
  }

  constructor(private readonly o: { prefill: number; rate: number; seconds: number; seed: number }) {
    super();
    const total = o.prefill + o.rate * o.seconds;
    // Timestamps at the paced rate ending about now + seconds: the prefill is the recent past of a live capture.
    this.inner = new SyntheticSource({ events: total, seed: o.seed, containers: 2, batchSize: 2000, eventsPerMs: o.rate / 1000, startTs: Date.now() - (o.prefill / o.rate) * 1000, forkShare: forkShare(total) });
    this.description = `paced synthetic ${o.rate}/s`;
  }

  async start(): Promise<void> { /* nothing to attach */ }

  async *batches(): AsyncIterable<RuntimeEvent[]> {
    let sent = 0;
    let t0 = 0;
    this.sent = 0;
    for await (const b of this.inner.batches()) {
      if (this.stopped) break;
      if (sent >= this.o.prefill) {
        if (!t0) this.pacedSince = t0 = performance.now();
        const due = t0 + ((sent - this.o.prefill) / this.o.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      sent += b.length;
      this.sent = sent;
      this.count(b);
      yield b;
    }
    this.end({ reason: this.stopped ? 'stopped' : 'exhausted' });
  }
}

/** Records rAF frame intervals in the page until stop() is called; returns them (and long tasks seen meanwhile). */
async function startFrames(page: Page): Promise<() => Promise<{ frames: number[]; longTasks: number[] }>> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __long: number[]; __stop: boolean; __obs?: PerformanceObserver };
    w.__frames = [];
    w.__long = [];
    w.__stop = false;
    w.__obs?.disconnect();
    try {
      w.__obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__long.push(e.duration); });
      w.__obs.observe({ type: 'longtask', buffered: false });
    } catch { /* no long-task timing in this browser */ }
    let prev = performance.now();
    const step = (now: number) => {
      w.__frames.push(now - prev);
      prev = now;
      if (!w.__stop) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  return () => page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __long: number[]; __stop: boolean; __obs?: PerformanceObserver };
    w.__stop = true;
    w.__obs?.disconnect();
    return { frames: w.__frames.slice(1), longTasks: w.__long.slice() };
  });
}

/** CPU profile of the page (for finding hot spots; GH_BENCH_PROFILE=1 with an unminified build): top self times. */
async function startProfile(page: Page): Promise<() => Promise<string>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop') as { profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const f = byId.get(id)!.callFrame;
      const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    return [...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n');
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const verdict = (xs: number[]) => `p95 ${pct(xs, 95).toFixed(1)} ms vs target < ${TARGET_MS} ms: ${pct(xs, 95) < TARGET_MS ? 'met' : 'NOT met'}`;
const fmt = (r: { frames: number[]; longTasks: number[] }) =>
  `n=${r.frames.length} p50 ${pct(r.frames, 50).toFixed(1)} ms, max ${Math.max(...r.frames).toFixed(1)} ms, long tasks ${r.longTasks.length} (max ${Math.max(0, ...r.longTasks).toFixed(0)} ms); ${verdict(r.frames)}`;

async function panTree(page: Page): Promise<{ frames: number[]; longTasks: number[] }> {
  const box = (await page.locator('[data-testid=process-tree] canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const stop = await startFrames(page);
  for (let i = 0; i < 120; i++) {
    await page.mouse.wheel(0, i < 80 ? 400 : -300);
    await page.waitForTimeout(8);
  }
  await page.mouse.down();
  for (let i = 0; i < 40; i++) await page.mouse.move(box.x + box.width / 2 - i * 5, box.y + box.height / 2 - i * 10);
  await page.mouse.up();
  return stop();
}

it(`views: ${EVENTS.toLocaleString()}-event recording, then ${LIVE_RATE.toLocaleString()} events/s live`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-views-'));
  const engine = new Engine({ dataDir: join(dir, 'data') });
  await engine.start();
  const server = await startServer(engine, { host: '127.0.0.1', port: 0, rendererDir: process.env.GH_BENCH_RENDERER_DIR ?? join(ROOT, 'dist', 'renderer') });
  const browser = await launchBrowser();
  const summary: string[] = [];
  try {
    const page = await newPage(browser);
    if (process.env.GH_BENCH_CONSOLE) page.on('console', (m) => console.log(`[page] ${m.text()}`));
    // Websocket frames the page receives (count and bytes), to tell decode cost from view cost.
    page.on('websocket', (ws) => ws.on('framereceived', (f) => { wsIn.frames++; wsIn.bytes += typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength; const n = typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength; if (n > wsIn.max) { wsIn.max = n; wsIn.largest = String(f.payload); } }));
    await page.goto(server.url);
    await page.getByTestId('session-bar').waitFor();

    if (EVENTS > 0) {
      const path = join(dir, 'bench.glasshouse');
      const made = await writeSyntheticRecording(path, { events: EVENTS, seed: 5, containers: 1, batchSize: 4096, forkShare: forkShare(EVENTS) });
      console.log(`recording: ${made.events.toLocaleString()} events written in ${(made.ms / 1000).toFixed(1)} s`);

      // The replay streams every event through state and rules at full speed while the tree is shown.
      await page.getByTestId('open-recording').click();
      await page.getByTestId('recording-path').fill(path);
      const t0 = performance.now();
      await page.getByTestId('recording-path-open').click();
      await page.getByTestId('recorded-container').first().click();
      await page.getByTestId('tab-processes').click();
      const stopReplay = await startFrames(page);
      const profileReplay = process.env.GH_BENCH_PROFILE ? await startProfile(page) : undefined;
      await page.getByTestId('process-tree').and(page.locator('[data-rows]:not([data-rows="0"])')).waitFor({ timeout: 120_000 });
      const tFirstTree = performance.now() - t0;
      await page.getByTestId('session-state').filter({ hasText: 'Recording loaded' }).waitFor({ timeout: 600_000 });
      const tLoaded = performance.now() - t0;
      const replay = await stopReplay();
      if (profileReplay) console.log(`profile of the replay (self time):\n${await profileReplay()}`);
      const rate = EVENTS / (tLoaded / 1000);
      console.log(`replay → first tree rows: ${tFirstTree.toFixed(0)} ms; all ${EVENTS.toLocaleString()} events in ${(tLoaded / 1000).toFixed(1)} s (${Math.round(rate).toLocaleString()} events/s arriving)`);
      console.log(`frames while the replay streams in (${Math.round(rate).toLocaleString()} events/s): ${fmt(replay)}`);
      summary.push(`replay of ${EVENTS.toLocaleString()} events at ${Math.round(rate).toLocaleString()}/s: ${verdict(replay.frames)}`);

      await page.locator('select[aria-label=Scope]').selectOption('all');
      const rows = Number(await page.getByTestId('process-tree').getAttribute('data-rows'));
      const count = await page.getByTestId('tree-count').textContent();
      console.log(`process tree: ${rows.toLocaleString()} rows (${count})`);
      const pan = await panTree(page);
      console.log(`panning the ${rows.toLocaleString()}-row tree: ${fmt(pan)}`);
      summary.push(`panning ${rows.toLocaleString()} rows: ${verdict(pan.frames)}`);
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
      console.log(`first render per view (click → painted, ${EVENTS.toLocaleString()}-event world): ${line.join(', ')}`);
      summary.push(`first render: ${line.join(', ')}`);
      await page.getByTestId('tab-timeline').click();
      await screenshot(page, 'bench-timeline');
    }

    // Live: a steady feed through the real session and websocket, after a full-speed prefill.
    if (!process.env.GH_BENCH_SKIP_LIVE) await liveFeed(engine, page, summary);
    if (page.problems.length) console.log('page problems:', page.problems);
    console.log(`\nSUMMARY\n  ${summary.join('\n  ')}`);
  } finally {
    await browser.close();
    await server.close();
    engine.stop();
  }
});

/** A steady feed through the real session, live frames and websocket after a full-speed prefill: tree and timeline frames. */
async function liveFeed(engine: Engine, page: Page & { problems: string[] }, summary: string[]): Promise<void> {
  const source = new PacedSynthetic({ prefill: LIVE_PREFILL, rate: LIVE_RATE, seconds: LIVE_SECONDS, seed: 11 });
  const tStart = performance.now();
  await engine.session.startSource(source, false);
  await page.getByTestId('session-state').filter({ hasText: 'Capturing' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('recorded-container').first().click();
  await page.getByTestId('tab-processes').click();
  await page.locator('select[aria-label=Scope]').selectOption('all');
  while (!source.pacedSince) await new Promise((r) => setTimeout(r, 100));
  const prefillMs = source.pacedSince - tStart;
  // Let the prefill's frames land and the session catch up with the schedule (a backlog would arrive faster than the
  // rate), then measure a steady stretch on the tree (idle, then panning) and one on the timeline.
  await page.waitForTimeout(2000);
  const tCatch = performance.now();
  while (source.lag() > LIVE_RATE / 2 && performance.now() - tCatch < 30_000) await new Promise((r) => setTimeout(r, 100));
  console.log(`paced feed on schedule ${((performance.now() - source.pacedSince) / 1000).toFixed(1)} s after it began (lag ${Math.round(source.lag()).toLocaleString()} events)`);
  const worldRows = Number(await page.getByTestId('process-tree').getAttribute('data-rows'));
  console.log(`live prefill: ${LIVE_PREFILL.toLocaleString()} events through the session in ${(prefillMs / 1000).toFixed(1)} s (${Math.round(LIVE_PREFILL / (prefillMs / 1000)).toLocaleString()}/s); tree ${worldRows.toLocaleString()} rows (${await page.getByTestId('tree-count').textContent()}) when the paced feed began`);
  const measureFor = MEASURE_MS;
  const framesSeen = async () => Number((/([\d,]+) frames/.exec((await page.getByTestId('session-bar').textContent()) ?? '')?.[1] ?? '0').replace(/,/g, ''));
  let tm = performance.now();
  const rateSince = (e: number) => { const now = performance.now(); const r = Math.round((source.stats().events - e) / ((now - tm) / 1000)); tm = now; return r.toLocaleString(); };
  const f0 = await framesSeen();
  const e0 = source.stats().events;
  const w0 = { ...wsIn };
  wsIn.max = 0;
  tm = performance.now();
  const stopTree = await startFrames(page);
  const profile = process.env.GH_BENCH_PROFILE ? await startProfile(page) : undefined;
  await page.waitForTimeout(measureFor);
  const liveTree = await stopTree();
  const wsTree = wsSince(w0, performance.now() - tm);
  const rTree = rateSince(e0);
  console.log(`websocket during the idle tree measure: ${wsTree}, largest ${(wsIn.max / 1e3).toFixed(0)} kB (${shapeOf(wsIn.largest)})`);
  if (profile) console.log(`profile of the live tree (self time):\n${await profile()}`);
  const treeRows = Number(await page.getByTestId('process-tree').getAttribute('data-rows'));
  const treeCount = await page.getByTestId('tree-count').textContent();
  await screenshot(page, 'bench-live-tree');
  const profilePan = process.env.GH_BENCH_PROFILE ? await startProfile(page) : undefined;
  const ePan = source.stats().events;
  tm = performance.now();
  const livePan = await panTree(page);
  const rPan = rateSince(ePan);
  if (profilePan) console.log(`profile of panning the live tree (self time):\n${await profilePan()}`);
  await page.getByTestId('tab-timeline').click();
  await page.getByTestId('timeline-svg').waitFor();
  const f1 = await framesSeen();
  const e1 = source.stats().events;
  tm = performance.now();
  const stopTl = await startFrames(page);
  const profileTl = process.env.GH_BENCH_PROFILE ? await startProfile(page) : undefined;
  await page.waitForTimeout(measureFor);
  const liveTl = await stopTl();
  const rTl = rateSince(e1);
  const f2 = await framesSeen();
  const e2 = source.stats().events;
  console.log(`arriving during the measures: tree idle ${rTree}/s, panning ${rPan}/s, timeline ${rTl}/s events; ${f1 - f0} live frames (tree), ${f2 - f1} (timeline), ${(e2 - e1).toLocaleString()} events on the timeline`);
  if (profileTl) console.log(`profile of the live timeline (self time):\n${await profileTl()}`);
  await screenshot(page, 'bench-live-timeline');
  const st = source.stats();
  const achieved = (st.events - LIVE_PREFILL) / ((performance.now() - source.pacedSince) / 1000);
  console.log(`live feed: prefill ${LIVE_PREFILL.toLocaleString()} events, then ${LIVE_RATE.toLocaleString()}/s (achieved ${Math.round(achieved).toLocaleString()}/s); tree ${treeRows.toLocaleString()} rows (${treeCount})`);
  console.log(`frames on the tree (idle) while ${LIVE_RATE.toLocaleString()} events/s arrive: ${fmt(liveTree)}`);
  console.log(`frames panning the tree while ${LIVE_RATE.toLocaleString()} events/s arrive: ${fmt(livePan)}`);
  console.log(`frames on the timeline while ${LIVE_RATE.toLocaleString()} events/s arrive: ${fmt(liveTl)}`);
  summary.push(`live ${LIVE_RATE.toLocaleString()}/s (arriving ${rTree}/s idle, ${rPan}/s panning, ${rTl}/s timeline) on a ${st.events.toLocaleString()}-event world, ${treeRows.toLocaleString()}-row tree, idle: p50 ${pct(liveTree.frames, 50).toFixed(1)} ms, ${verdict(liveTree.frames)}`);
  summary.push(`live ${LIVE_RATE.toLocaleString()}/s, panning the tree: p50 ${pct(livePan.frames, 50).toFixed(1)} ms, ${verdict(livePan.frames)}`);
  summary.push(`live ${LIVE_RATE.toLocaleString()}/s on the timeline: p50 ${pct(liveTl.frames, 50).toFixed(1)} ms, ${verdict(liveTl.frames)}`);
  await engine.session.stop();
}
