// The disk fills during a live capture (real helper, real container, a small tmpfs): the recording stops with the
// DISK_FULL sentence, every committed event is in the reopened file, and the rest is counted, not hidden.
// (test/integration/engine/diskfull.test.ts covers the same with synthetic events at volume.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sensor } from '../../../electron/node/sensor';
import { LiveSource } from '../../../electron/node/capture/live';
import { Recorder } from '../../../electron/node/recorder';
import { RecordingStore } from '../../../electron/node/store/index';
import { dockerClient, HELPER, removeSensorContainers, runSensorContainer } from '../sensor/support';
import { holes, markerSink, markerWriter, recordedMarkers } from './support';

const dir = mkdtempSync(join(tmpdir(), 'gh-fault-full-'));
let mounted = false;
let rec: Recorder | undefined;
beforeAll(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
  mounted = true;
});
afterAll(async () => {
  await rec?.stop();
  await removeSensorContainers();
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe('disk full during a live capture', () => {
  it('stops with DISK_FULL, keeps every committed event and marker, counts what it could not write', async () => {
    // markers plus an exec loop for volume
    const c = await runSensorContainer([], ['sh', '-c', `(while :; do /bin/true; done) & ${markerWriter('0.02')[2]}`]);
    const sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
    const sink = markerSink(c.id);
    sensor.on('events', sink.onEvents);
    const file = join(dir, 'full.glasshouse');
    const store = RecordingStore.create(file);
    // leave ~256 KiB free: the capture reaches the end of the disk in seconds
    const { bavail, bsize } = statfsSync(dir);
    writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 256 * 1024)));
    rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store });
    await rec.start();
    let timer: NodeJS.Timeout | undefined;
    const tooLong = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the disk did not fill within 90 s')), 90_000)));
    const summary = await Promise.race([rec.done, tooLong]).finally(() => clearTimeout(timer));
    rec = undefined;

    expect(summary.error?.code).toBe('DISK_FULL');
    expect(summary.error?.message).toContain(file);
    expect(summary.end.reason).toBe('stopped');
    const w = store.stats();
    expect(w.eventsWritten).toBeGreaterThan(0);
    const ro = RecordingStore.open(file, { readonly: true });
    const info = ro.info();
    const last = ro.eventsAfter(info.events - 1, 5).map((e) => e.id);
    ro.close();
    // exactly what was committed is in the file, ids 1..n with no hole
    expect(info.events).toBe(w.eventsWritten);
    expect(last[last.length - 1]).toBe(info.events);
    // what was taken but not written is counted under the disk-full reason
    expect(summary.unsaved).toBeGreaterThan(0);
    expect(summary.events).toBe(w.eventsWritten + w.discarded);
    expect(Object.keys(summary.unsavedReasons).some((r) => /DISK_FULL/.test(r))).toBe(true);
    // markers: the file holds the first delivered ones without a hole; the rest were delivered after the disk filled
    const recorded = recordedMarkers(file, c.id);
    expect(recorded.size).toBeGreaterThan(0);
    expect(Math.min(...recorded)).toBe(Math.min(...sink.seen));
    expect(holes(recorded)).toEqual([]);
    expect([...recorded].every((n) => sink.seen.has(n))).toBe(true);
    console.log(`[faults] disk full: ${w.eventsWritten} events committed, ${info.events} found after; markers ${recorded.size} in the file of ${sink.seen.size} delivered; unsaved ${summary.unsaved} ${JSON.stringify(summary.unsavedReasons)}`);
  }, 150_000);
});
