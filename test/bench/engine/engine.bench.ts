// Benchmark: engine throughput (synthetic → state → store), a 1M-event recording's size, RSS when open, and
// time-window query time. Prints figures and ratios measured side by side; asserts only that it ran.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyntheticSource } from '../../../electron/node/capture/synthetic';
import { WorldState } from '../../../electron/common/state/index';
import { RecordingStore } from '../../../electron/node/store/index';
import { Recorder } from '../../../electron/node/recorder';

const N = Number(process.env.GH_BENCH_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'gh-bench-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en')} ev/s`;
const mb = (b: number) => `${(b / (1 << 20)).toFixed(1)} MB`;

async function drain(src: SyntheticSource): Promise<number> {
  let n = 0;
  for await (const b of src.batches()) n += b.length;
  return n;
}

it(`engine: ${N.toLocaleString('en')} synthetic events through state and store`, async () => {
  // 1. Side by side: the source alone, source → state, source → state → store (the real pipeline).
  let t0 = performance.now();
  await drain(new SyntheticSource({ events: N, seed: 1 }));
  const genMs = performance.now() - t0;

  const world = new WorldState();
  t0 = performance.now();
  for await (const b of new SyntheticSource({ events: N, seed: 1 }).batches()) world.applyBatch(b);
  const stateMs = performance.now() - t0;

  const file = join(dir, 'bench.glasshouse');
  const store = RecordingStore.create(file);
  const rec = new Recorder({ source: new SyntheticSource({ events: N, seed: 1 }), store });
  t0 = performance.now();
  await rec.start();
  const summary = await rec.done;
  const e2eMs = performance.now() - t0;
  const ws = store.stats();
  const size = statSync(file).size;

  console.log(`\nthroughput (${N.toLocaleString('en')} events, ${world.processes.size} processes, ${world.files.size} paths, ${world.flows.flows().length} flows):`);
  console.log(`  synthetic source alone          ${rate(N, genMs)}`);
  console.log(`  source → state                  ${rate(N, stateMs)}   (state alone ≈ ${rate(N, Math.max(1, stateMs - genMs))})`);
  console.log(`  source → state → store (e2e)    ${rate(N, e2eMs)}   incl. final index build and close`);
  console.log(`  store flushes: ${ws.flushes}, last ${ws.lastFlushMs.toFixed(0)} ms, max ${ws.maxFlushMs.toFixed(0)} ms; lost ${summary.sourceDropped + summary.unsaved}`);
  console.log(`  e2e / source-alone ratio: ${(genMs / e2eMs).toFixed(2)}`);
  console.log(`recording size: ${mb(size)} for ${N.toLocaleString('en')} events = ${mb(size * (1_000_000 / N))} per million events`);

  // 2. Open the recording as the engine would, and query a time window over it.
  const rssBefore = process.memoryUsage().rss;
  t0 = performance.now();
  const open = RecordingStore.open(file, { readonly: true });
  const info = open.info();
  const openMs = performance.now() - t0;
  const span = info.lastTs! - info.firstTs!;
  const windows: number[] = [];
  let rows = 0;
  for (let i = 0; i < 10; i++) {
    const from = info.firstTs! + (span * i) / 10;
    const q0 = performance.now();
    rows += open.eventsInWindow({ from, to: from + 100, limit: 10_000 }).length;
    windows.push(performance.now() - q0);
  }
  const q0 = performance.now();
  const oneContainer = open.eventsInWindow({ from: info.firstTs! + span / 2, to: info.firstTs! + span / 2 + 1000, containerId: info.containers[0].id, limit: 10_000 }).length;
  const containerMs = performance.now() - q0;
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  windows.sort((a, b) => a - b);
  console.log(`open ${N.toLocaleString('en')}-event recording + info(): ${openMs.toFixed(0)} ms`);
  console.log(`time-window query (100 ms of capture, ≤10k rows, avg ${Math.round(rows / 10)} rows): median ${windows[5].toFixed(1)} ms, max ${windows[9].toFixed(1)} ms`);
  console.log(`time-window + container query (1 s, ${oneContainer} rows): ${containerMs.toFixed(1)} ms`);
  console.log(`RSS: ${mb(rssAfter)} total with the recording open (this test process also holds the ${N.toLocaleString('en')}-event in-memory state above); opening added ${mb(rssAfter - rssBefore)}`);
  open.close();
  expect(info.events).toBe(N);
});
