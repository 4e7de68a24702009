// Benchmark: engine throughput (synthetic → state → store), recording size, RSS of a separate process with the
// recording open, and time-window query time — each against its target (met / NOT met), format 2 (chunked, writer
// thread) beside format 1 (a JSON row per event, the first store, re-created here) in one run. Prints medians;
// asserts only that it ran without loss.
import { afterAll, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { SyntheticSource } from '../../../electron/node/capture/synthetic';
import { WorldState } from '../../../electron/common/state/index';
import { RecordingStore } from '../../../electron/node/store/index';
import { APPLICATION_ID, MIGRATIONS } from '../../../electron/node/store/schema';
import { endpointOf, pathOf } from '../../../electron/node/store/eventCodec';
import { EVENT_KINDS, type RuntimeEvent } from '../../../electron/common/model/event';
import { Recorder } from '../../../electron/node/recorder';

const N = Number(process.env.GH_BENCH_EVENTS ?? 1_000_000);
const REPS = Number(process.env.GH_BENCH_REPS ?? 3);
const OLD = process.env.GH_BENCH_OLD !== '0';
/** Format 1 writes ~15k events/s: it records fewer events so the whole run stays within a few minutes. */
const N_OLD = Math.min(N, Number(process.env.GH_BENCH_OLD_EVENTS ?? 200_000));
// Targets from issue 4, and what the previous session measured (load 13–17 on 2 cores), printed beside today's.
const TARGET = { rate: 200_000, rssMb: 300, windowMs: 50 };
const LAST = { rate: 17_600, windowMs: 145, containerMs: 377, rssMb: 134, sizeMb: 37.9 };
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'gh-bench-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en').padStart(9)} ev/s`;
const mb = (b: number) => `${(b / (1 << 20)).toFixed(1)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (user + system, ms) of one thread of this process; 0 once the thread has exited. */
function threadCpuMs(tid: number | string): number {
  try {
    const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // fields 14 and 15 (utime, stime) in 10 ms ticks
  } catch {
    return 0;
  }
}
const threadIds = () => new Set(readdirSync('/proc/self/task'));

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The previous store's write path (format 1): one JSON row per event, 64 rows per INSERT, indexes built at close. */
async function recordFormat1(path: string, n: number): Promise<void> {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32000');
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.transaction(() => {
    MIGRATIONS[0](db);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO meta (key, value) VALUES ('format', 'glasshouse-recording'), ('created_at', '0'), ('created_by', 'bench')").run();
  })();
  const cols = '(?, ?, ?, ?, ?, ?, ?, ?)';
  const many = db.prepare(`INSERT INTO events (seq, ts, kind, container, tgid, path, endpoint, data) VALUES ${Array(64).fill(cols).join(', ')}`);
  const one = db.prepare(`INSERT INTO events (seq, ts, kind, container, tgid, path, endpoint, data) VALUES ${cols}`);
  const addContainer = db.prepare('INSERT INTO containers (container_id, name) VALUES (?, ?)');
  const rows = new Map<string, number>();
  const kindCode = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i]));
  const world = new WorldState();
  let queue: RuntimeEvent[] = [];
  const flush = db.transaction((events: RuntimeEvent[]) => {
    const args: unknown[] = [];
    for (const e of events) {
      const cid = e.containerId;
      let row = cid === undefined ? null : rows.get(cid);
      if (row === undefined) rows.set(cid!, (row = Number(addContainer.run(cid, cid!.slice(0, 12)).lastInsertRowid)));
      e.containerId = undefined;
      const data = JSON.stringify(e);
      e.containerId = cid;
      args.push(e.seq, e.ts, kindCode[e.kind], row, e.tgid, pathOf(e), endpointOf(e), data);
      if (args.length === 64 * 8) many.run(args.splice(0));
    }
    for (let j = 0; j < args.length; j += 8) one.run(args.slice(j, j + 8));
  });
  for await (const b of new SyntheticSource({ events: n, seed: 1 }).batches()) {
    world.applyBatch(b);
    queue.push(...b);
    if (queue.length >= 20_000) { flush(queue); queue = []; }
  }
  flush(queue);
  for (const sql of ['CREATE INDEX events_container_ts ON events (container, ts)', 'CREATE INDEX events_kind_ts ON events (kind, ts)',
    'CREATE INDEX events_path ON events (path) WHERE path IS NOT NULL', 'CREATE INDEX events_endpoint ON events (endpoint) WHERE endpoint IS NOT NULL']) db.exec(sql);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** A separate Node process opens the recording read-only, queries it, and reports its RSS and query times. */
function probeScript(): string {
  const entry = join(dir, 'probe.ts');
  writeFileSync(entry, `
    import { RecordingStore } from ${JSON.stringify(join(root, 'electron/node/store/index'))};
    const t0 = performance.now();
    const s = RecordingStore.open(process.argv[2], { readonly: true });
    const info = s.info();
    const openMs = performance.now() - t0;
    const span = info.lastTs - info.firstTs;
    const win = [], cont = [];
    let rows = 0;
    for (let i = 0; i < 20; i++) {
      const from = info.firstTs + (span * (i % 10)) / 10;
      let q = performance.now();
      rows += s.eventsInWindow({ from, to: from + 100, limit: 10_000 }).length;
      win.push(performance.now() - q);
      q = performance.now();
      s.eventsInWindow({ from, to: from + 1000, containerId: info.containers[i % info.containers.length].id, kinds: ['connect', 'open'], limit: 10_000 });
      cont.push(performance.now() - q);
    }
    const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    global.gc && global.gc();
    console.log(JSON.stringify({ events: info.events, openMs, windowMs: med(win), windowMax: Math.max(...win), rows: rows / 20,
      containerMs: med(cont), rss: process.memoryUsage().rss }));
    s.close();
  `);
  const out = join(dir, 'probe.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['better-sqlite3'], logLevel: 'error' });
  return out;
}

interface Probe { events: number; openMs: number; windowMs: number; windowMax: number; rows: number; containerMs: number; rss: number }
function probe(script: string, file: string): Probe {
  const runs = Array.from({ length: REPS }, () => JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, file],
    { env: { ...process.env, NODE_PATH: join(root, 'node_modules') }, encoding: 'utf8' })) as Probe);
  const m = (k: keyof Probe) => median(runs.map((r) => r[k]));
  return { events: runs[0].events, openMs: m('openMs'), windowMs: m('windowMs'), windowMax: m('windowMax'), rows: m('rows'), containerMs: m('containerMs'), rss: m('rss') };
}

it(`engine: ${N.toLocaleString('en')} synthetic events through state and store (format 2 vs format 1)`, async () => {
  const gen: number[] = [];
  const state: number[] = [];
  const e2e: number[] = [];
  const writerBusy: number[] = [];
  // CPU seconds per thread: unlike wall time, they barely move with the machine's load, so they give the rate this
  // pipeline sustains when both cores are its own (the slower of its two threads bounds it).
  const mainCpu: number[] = [];
  const writerCpu: number[] = [];
  const stateCpu: number[] = [];
  let lost = 0;
  let lastFile = '';
  let flushInfo = '';
  for (let r = 0; r < REPS; r++) {
    gen.push(await timed(async () => { for await (const _ of new SyntheticSource({ events: N, seed: 1 }).batches()); }));
    const world = new WorldState();
    const c0 = threadCpuMs(process.pid);
    state.push(await timed(async () => { for await (const b of new SyntheticSource({ events: N, seed: 1 }).batches()) world.applyBatch(b); }));
    stateCpu.push(threadCpuMs(process.pid) - c0);
    lastFile = join(dir, `new-${r}.glasshouse`);
    const before = threadIds();
    const store = RecordingStore.create(lastFile);
    const writerTids = [...threadIds()].filter((t) => !before.has(t));
    let writerMs = 0;
    const sampleWriter = () => { writerMs = Math.max(writerMs, writerTids.reduce((a, t) => a + threadCpuMs(t), 0)); };
    const sampler = setInterval(sampleWriter, 50);
    const rec = new Recorder({ source: new SyntheticSource({ events: N, seed: 1 }), store, observer: { onBatch: () => undefined, beforeClose: sampleWriter } });
    const m0 = threadCpuMs(process.pid);
    e2e.push(await timed(async () => {
      await rec.start();
      const s = await rec.done;
      lost += s.sourceDropped + s.unsaved;
    }));
    clearInterval(sampler);
    mainCpu.push(threadCpuMs(process.pid) - m0);
    writerCpu.push(writerMs);
    const ws = store.stats();
    writerBusy.push(ws.writerBusyMs ?? NaN);
    flushInfo = `writer transactions ${ws.flushes}, max ${ws.maxFlushMs.toFixed(0)} ms, busy ${(ws.writerBusyMs ?? 0).toFixed(0)} ms in all (on the writer thread)`;
    if (r < REPS - 1) rmSync(lastFile);
  }
  const oldFile = join(dir, 'old.glasshouse');
  const oldMs = OLD ? await timed(() => recordFormat1(oldFile, N_OLD)) : NaN;

  const genMs = median(gen);
  const stateMs = median(state);
  const newMs = median(e2e);
  const newRate = N / (newMs / 1000);
  const oldRate = N_OLD / (oldMs / 1000);
  console.log(`\nthroughput, ${N.toLocaleString('en')} events, median of ${REPS} (load average now ${(await import('node:os')).loadavg()[0].toFixed(1)} on 2 cores):`);
  console.log(`  synthetic source alone                 ${rate(N, genMs)}   runs: ${gen.map((x) => rate(N, x).trim()).join(', ')}`);
  console.log(`  source → state                         ${rate(N, stateMs)}   runs: ${state.map((x) => rate(N, x).trim()).join(', ')}`);
  console.log(`  source → state → store, format 2 (new) ${rate(N, newMs)}   runs: ${e2e.map((x) => rate(N, x).trim()).join(', ')}; incl. close; lost ${lost}`);
  if (OLD) console.log(`  source → state → store, format 1 (old) ${rate(N_OLD, oldMs)}   (one run of ${N_OLD.toLocaleString('en')} events)`);
  console.log(`  new e2e / source alone: ${(genMs / newMs).toFixed(2)};  new e2e / (source → state): ${(stateMs / newMs).toFixed(2)}${OLD ? `;  new / old: ${(newRate / oldRate).toFixed(1)}×` : ''}`);
  console.log(`  ${flushInfo}`);
  const capacity = N / (Math.max(median(mainCpu), median(writerCpu)) / 1000);
  console.log(`  CPU per run: source → state ${(median(stateCpu) / 1000).toFixed(2)} s; e2e main thread ${(median(mainCpu) / 1000).toFixed(2)} s ` +
    `(runs ${mainCpu.map((x) => (x / 1000).toFixed(2)).join(', ')}), writer thread ${(median(writerCpu) / 1000).toFixed(2)} s ` +
    `(runs ${writerCpu.map((x) => (x / 1000).toFixed(2)).join(', ')}) → CPU-bound rate with two free cores ≈ ${rate(N, N / capacity * 1000).trim()}`);
  console.log(`  FIGURE e2e synthetic → state → store: ${Math.round(newRate).toLocaleString('en')} events/s, lost ${lost} ` +
    `(target ≥ ${TARGET.rate.toLocaleString('en')} with no loss: ${verdict(newRate >= TARGET.rate && lost === 0)}; last session ${LAST.rate.toLocaleString('en')}); ` +
    `CPU-bound ${Math.round(capacity).toLocaleString('en')} events/s (${verdict(capacity >= TARGET.rate)} on a quiet machine)`);

  const newSize = statSync(lastFile).size;
  const per = (b: number, n: number) => (b * (1_000_000 / n)) / (1 << 20);
  console.log(`  FIGURE recording size per million events: new ${per(newSize, N).toFixed(1)} MB` +
    `${OLD ? `, format 1 ${per(statSync(oldFile).size, N_OLD).toFixed(1)} MB (${(per(statSync(oldFile).size, N_OLD) / per(newSize, N)).toFixed(0)}× larger)` : ''}` +
    ` (no target; last session ${LAST.sizeMb} MB)`);

  const script = probeScript();
  const show = (label: string, p: Probe) => console.log(`  ${label}: RSS ${mb(p.rss)}, open+info ${p.openMs.toFixed(0)} ms, ` +
    `100 ms window (${Math.round(p.rows)} rows) median ${p.windowMs.toFixed(1)} ms / worst ${p.windowMax.toFixed(1)} ms, ` +
    `1 s window + container + 2 kinds ${p.containerMs.toFixed(1)} ms`);
  console.log(`separate process with the recording open (median of ${REPS}):`);
  const pNew = probe(script, lastFile);
  show(`new, ${N.toLocaleString('en')} events`, pNew);
  if (OLD) show(`format 1, ${N_OLD.toLocaleString('en')} events`, probe(script, oldFile));
  const rssMb = pNew.rss / (1 << 20);
  console.log(`  FIGURE RSS with the ${N.toLocaleString('en')}-event recording open: ${rssMb.toFixed(0)} MB ` +
    `(target ≤ ${TARGET.rssMb} MB: ${verdict(rssMb <= TARGET.rssMb)}; last session ${LAST.rssMb} MB)`);
  console.log(`  FIGURE 100 ms time-window query: median ${pNew.windowMs.toFixed(1)} ms ` +
    `(target ≤ ${TARGET.windowMs} ms: ${verdict(pNew.windowMs <= TARGET.windowMs)}; last session ${LAST.windowMs} ms)`);
  console.log(`  FIGURE 1 s window + container + 2 kinds: median ${pNew.containerMs.toFixed(1)} ms ` +
    `(same target ≤ ${TARGET.windowMs} ms: ${verdict(pNew.containerMs <= TARGET.windowMs)}; last session ${LAST.containerMs} ms)`);
  expect(pNew.events).toBe(N);
  expect(lost).toBe(0);
});
