// Kernel admission of new containers (cgroup_mkdir), measured against the helper before it, in one run:
//  1. the workload cost of the helper with admission on vs the previous helper (open+close and fork+exec loops,
//     paired rounds old/new, each round a fresh sensor), targets ≤ 1.3× and ≤ 1.05× of the old helper's cost;
//  2. the time from `docker run` to the first captured event of the new container, and whether its t = 0 write
//     was seen: the old helper is told to watch on the engine's `start` event (how the engine did it before);
//     the new one admits the cgroup in the kernel as runc creates it.
// The old helper is built from git (GH_BENCH_OLD_REV, default the parent of the admission commit) into a
// temporary folder; it speaks the same wire schema minus the admission records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { CONTAINER_CGROUP_PREFIXES, Sensor } from '../../../electron/node/sensor';
import { HELPER, removeSensorContainers, runSensorContainer, ensureSensorImage, SENSOR_LABEL } from '../../integration/sensor/support';
import { fmt, installWorkload, medianSpread, runWorkload } from './support';

const ROOT = join(__dirname, '../../..');
const OLD_REV = process.env.GH_BENCH_OLD_REV ?? '20a25d4~1';
const ROUNDS = Number(process.env.GH_BENCH_ROUNDS ?? 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OWNER = `${SENSOR_LABEL}.owner=${process.pid}`;

function buildOldHelper(dir: string): string {
  const tar = execFileSync('git', ['-C', ROOT, 'archive', OLD_REV, 'native'], { maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  execFileSync('make', ['-s', '-C', join(dir, 'native')], { stdio: 'ignore' });
  return join(dir, 'native/build/glasshouse-helper');
}

type Variant = { name: string; helper: string; admit: boolean };

async function withSensor<T>(v: Variant, watch: string[], fn: (s: Sensor, events: RuntimeEvent[]) => Promise<T>): Promise<T> {
  const sensor = new Sensor({ mode: 'local', helperPath: v.helper });
  const events: RuntimeEvent[] = [];
  sensor.on('events', (e: RuntimeEvent[]) => { for (const x of e) events.push(x); });
  sensor.on('error', () => undefined);
  await sensor.start();
  if (v.admit) sensor.admitNewContainers(CONTAINER_CGROUP_PREFIXES);
  for (const id of watch) await sensor.watchContainer(id);
  try {
    return await fn(sensor, events);
  } finally {
    await sensor.stop();
    await sleep(1500); // the helper detaches its hooks after its stream ends
  }
}

describe('kernel admission of new containers vs the helper before it', () => {
  let oldV: Variant, newV: Variant, dir: string;
  const summary: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-old-helper-'));
    oldV = { name: `old (${OLD_REV})`, helper: buildOldHelper(dir), admit: false };
    newV = { name: 'new (admission on)', helper: HELPER, admit: true };
  }, 300_000);
  afterAll(async () => {
    await removeSensorContainers();
    rmSync(dir, { recursive: true, force: true });
    console.log(`\nADMISSION (${new Date().toISOString()}, load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()})\n${summary.join('\n')}`);
  });

  for (const w of [{ mode: 'openclose', n: 200_000, target: 1.3 }, { mode: 'forkexec', n: 2_000, target: 1.05 }]) {
    it(`${w.mode}: paired old/new rounds`, async () => {
      const c = await runSensorContainer();
      await installWorkload(c.id);
      const perOp = async () => { const r = await runWorkload(c, w.mode, w.n); return r.cpuUs / r.ops; };
      await perOp(); // warm up
      const ratios: number[] = [], olds: number[] = [], news: number[] = [], nones: number[] = [];
      for (let i = 0; i < (ROUNDS || 6); i++) {
        nones.push(await perOp());
        const o = await withSensor(oldV, [c.id], perOp);
        const n = await withSensor(newV, [c.id], perOp);
        olds.push(o);
        news.push(n);
        ratios.push(n / o);
      }
      const r = medianSpread(ratios), o = medianSpread(olds), nw = medianSpread(news), none = medianSpread(nones);
      const line = `${w.mode.padEnd(9)} none ${fmt(none.median * 1000, 0)} ns/op | old helper ${fmt(o.median / none.median)}x, new helper ${fmt(nw.median / none.median)}x of none | ` +
        `new/old ${fmt(r.median)}x median of ${ratios.length} paired rounds [${fmt(r.min)}–${fmt(r.max)}] (target ≤ ${w.target}x: ${r.median <= w.target ? 'met' : 'NOT met'})`;
      console.log(`ADMISSION ${line}`);
      summary.push(line);
    }, 900_000);
  }

  it('time from docker run to the first event of the new container', async () => {
    const image = await ensureSensorImage();
    const results: Record<string, { firstMs: number[]; markSeen: number; runs: number }> = {};
    for (let round = 0; round < (ROUNDS || 4); round++) {
      for (const v of [oldV, newV]) {
        const res = (results[v.name] ??= { firstMs: [], markSeen: 0, runs: 0 });
        await withSensor(v, [], async (sensor, events) => {
          // the engine before admission: watch a container when its start event arrives
          const follower = v.admit ? undefined : spawn('docker', ['events', '--filter', `label=${OWNER}`, '--filter', 'event=start', '--format', '{{.ID}}']);
          follower?.stdout.on('data', (b: Buffer) => { for (const id of b.toString().split('\n').filter(Boolean)) void sensor.watchContainer(id).catch(() => undefined); });
          await sleep(300);
          const mark = `/tmp/t0-${round}-${v.admit ? 'n' : 'o'}`;
          const t0 = Date.now();
          const id = execFileSync('docker', ['run', '-d', '--rm', '--label', `${SENSOR_LABEL}=1`, '--label', OWNER, image,
            'sh', '-c', `echo 0 > ${mark}; i=1; while [ $i -le 20 ]; do echo $i > /tmp/tick; sleep 0.1; i=$((i+1)); done`]).toString().trim();
          await sleep(3500);
          follower?.kill();
          const mine = events.filter((e) => e.containerId === id);
          res.runs++;
          if (mine.length) res.firstMs.push(Math.min(...mine.map((e) => e.ts)) - t0);
          else res.firstMs.push(Infinity);
          if (mine.some((e) => e.kind === 'open' && 'path' in e && e.path === mark)) res.markSeen++;
        });
      }
    }
    for (const [name, r] of Object.entries(results)) {
      const med = [...r.firstMs].sort((a, b) => a - b)[Math.floor(r.firstMs.length / 2)];
      const line = `first event ${name.padEnd(22)}: median ${Number.isFinite(med) ? `${fmt(med, 0)} ms` : '∞'} after \`docker run\` ` +
        `[${r.firstMs.map((x) => (Number.isFinite(x) ? fmt(x, 0) : '∞')).join(' ')}]; t = 0 write seen in ${r.markSeen}/${r.runs} runs`;
      console.log(`ADMISSION ${line}`);
      summary.push(line);
    }
    expect(results[newV.name].markSeen).toBe(results[newV.name].runs);
  }, 900_000);
});
