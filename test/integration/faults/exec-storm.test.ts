// An exec storm against a tiny ring: the kernel drops and the drops are counted (sensor stats, the report's drops),
// the recording finishes and reopens whole, the helper survives, and live-view frames keep coming at their tick.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SensorGap, SensorStats } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import { LiveSource } from '../../../electron/node/capture/live';
import { Recorder } from '../../../electron/node/recorder';
import { RecordingStore } from '../../../electron/node/store/index';
import { waitFor } from '../../support/waitFor';
import { dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer } from '../sensor/support';
import { sleep } from './support';

const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'gh-fault-storm-'));
let rec: Recorder | undefined;
afterAll(async () => {
  await rec?.stop();
  await removeSensorContainers();
  rmSync(dir, { recursive: true, force: true });
});

const STORM_MS = 6000;
const TICK_MS = 50;

describe('exec storm over a 4 KiB ring', () => {
  it('counts the drops, finishes the recording, keeps the helper alive and the live view ticking', async () => {
    const c = await runSensorContainer();
    const sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER, ringBytes: 4096 });
    let stats: SensorStats | undefined;
    sensor.on('stats', (s: SensorStats) => (stats = s));
    const gaps: SensorGap[] = [];
    sensor.on('gap', (g: SensorGap) => gaps.push(g));
    const file = join(dir, 'storm.glasshouse');
    rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store: RecordingStore.create(file), tickMs: TICK_MS });
    await rec.start();
    expect(sensor.hello?.ringBytes).toBe(4096);
    const frameTimes: number[] = [];
    rec.subscribe(() => void frameTimes.push(Date.now()), { tail: 50 });

    // Four shells fork and exec /bin/true as fast as they can, for STORM_MS, each exec with a ~1 KiB argv (the
    // record's bound): a 4 KiB ring then holds three execs, so any moment the helper is not scheduled overflows it.
    const pad = 'x'.repeat(1000);
    const loops = Array.from({ length: 4 }, () => `(while :; do /bin/true ${pad}; done) &`).join(' ');
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const lags: number[] = [];
    let last = Date.now();
    const probe = setInterval(() => { const n = Date.now(); lags.push(n - last - 20); last = n; }, 20);
    await execIn(c.id, ['sh', '-c', `${loops} sleep ${STORM_MS / 1000}; kill $(jobs -p) 2>/dev/null; wait; echo done > /tmp/storm-over`]);
    const t1 = Date.now();
    clearInterval(probe);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    const maxLag = Math.max(...lags);
    // the stats frame after the storm carries its drops
    await waitFor('stats after the storm', () => stats && stats.ts > t1 && stats, 10_000);
    await sleep(1500);
    const final = stats!;
    const summary = await rec.stop();
    rec = undefined;

    // drops are counted, not hidden; the stream itself stayed sound and the helper never died
    expect(final.ringDrops).toBeGreaterThan(0);
    expect(final.corruptFrames).toBe(0);
    expect(gaps).toEqual([]);
    expect(summary.error).toBeUndefined();
    expect(summary.end.reason).toBe('stopped');
    expect(summary.sensorDrops).toBe(final.ringDrops + final.queueDrops);
    expect(summary.sourceDropped).toBe(0);
    expect(summary.unsaved).toBe(0);

    // The live view kept coming through the storm: at least a frame a second on average, and no silence longer than
    // the engine's own event loop had (a 20 ms probe timer's worst lateness) plus half a second, never 5 s. On a
    // loaded 2-core CI machine every timer of the process runs up to ~1.5 s late (measured), so the bound is on
    // frames lagging behind the process, not on the 50 ms tick itself.
    const during = frameTimes.filter((t) => t >= t0 && t <= t1);
    const intervals = during.slice(1).map((t, i) => t - during[i]);
    const maxGap = Math.max(...intervals);
    expect(during.length).toBeGreaterThan((t1 - t0) / 1000);
    expect(maxGap).toBeLessThan(Math.min(5000, Math.max(1000, maxLag + 500)));

    // the recording is finished and whole: every event the recorder took is in it, the drops are in its report
    const ro = RecordingStore.open(file, { readonly: true });
    const info = ro.info();
    ro.close();
    expect(info.meta.finishedAt).toBeDefined();
    expect(info.events).toBe(summary.events);
    const report = JSON.parse(execFileSync(process.execPath, [join(root, 'build/glasshouse.cjs'), 'report', file, '--format', 'json'], { encoding: 'utf8' }));
    expect(report.drops.ringDrops).toBe(final.ringDrops);
    expect(report.drops.finished).toBe(true);
    expect(report.events.total).toBe(summary.events);
    console.log(`[faults] storm: ${summary.events} events recorded, ${final.ringDrops} ring drops, ${final.queueDrops} queue drops, ${during.length} frames in ${t1 - t0} ms (max interval ${maxGap} ms, median ${intervals.sort((a, b) => a - b)[intervals.length >> 1]} ms); event-loop lag max ${maxLag} ms; engine CPU ${cpuMs} ms`);
  });
});
