// The helper container SIGKILLed, then SIGSTOPped, mid-capture: the sensor marks each gap with its reason and
// restarts the helper, and every marker event delivered before each fault is in the reopened recording.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorGap } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import type { ContainerHelperRun, LocalHelperRun } from '../../../electron/node/sensor/transport';
import { LiveSource } from '../../../electron/node/capture/live';
import { Recorder } from '../../../electron/node/recorder';
import { RecordingStore } from '../../../electron/node/store/index';
import { docker } from '../../support/docker';
import { waitFor } from '../../support/waitFor';
import { dockerClient, HELPER, removeSensorContainers, runSensorContainer } from '../sensor/support';
import { holes, markerSink, markerWriter, missing, recordedMarkers } from './support';

const dir = mkdtempSync(join(tmpdir(), 'gh-fault-helper-'));
let sensor: Sensor | undefined;
afterAll(async () => {
  await sensor?.stop();
  await removeSensorContainers();
  rmSync(dir, { recursive: true, force: true });
});

const helperIdOf = (s: Sensor) => (s.helper as ContainerHelperRun | undefined)?.containerId ?? '';

describe('helper faults mid-capture', () => {
  it('SIGKILL and SIGSTOP of the helper container: gaps marked, helper restarted, no delivered marker lost', async () => {
    const c = await runSensorContainer([], markerWriter());
    sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER, stallMs: 8000 });
    const sink = markerSink(c.id);
    sensor.on('events', sink.onEvents);
    const gaps: SensorGap[] = [];
    sensor.on('gap', (g: SensorGap) => gaps.push(g));
    const file = join(dir, 'helper-faults.glasshouse');
    const rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store: RecordingStore.create(file) });
    await rec.start();
    const helperId = () => (sensor!.helper as ContainerHelperRun | undefined)?.containerId ?? '';
    const moreMarkers = (n: number) => {
      const from = sink.seen.size;
      return waitFor(`${n} more markers`, () => sink.seen.size >= from + n, 30_000);
    };

    await moreMarkers(20);
    const first = helperId();
    const beforeKill = new Set(sink.seen);
    await docker(['kill', '-s', 'KILL', first]);
    const killedAt = Date.now();
    await waitFor('the gap of the killed helper', () => gaps.length === 1, 30_000);
    expect(gaps[0].reason).toMatch(/^sensor helper exited.*; restarted$/);
    // coverage ended at the kill (the last frame came before it), not seconds later when the exit was noticed
    expect(gaps[0].from).toBeLessThanOrEqual(killedAt);
    await moreMarkers(20);
    const second = helperId();
    expect(second).not.toBe(first);

    const beforeStop = new Set(sink.seen);
    await docker(['kill', '-s', 'STOP', second]);
    const stoppedAt = Date.now();
    await waitFor('the gap of the stopped helper', () => gaps.length === 2, 40_000);
    // the stall is noticed after stallMs of silence, and the gap starts at the last frame, not at the kill
    expect(gaps[1].reason).toMatch(/^sensor helper sent nothing for \d+ s \(stopped or hung\); killed and restarted$/);
    expect(gaps[1].from).toBeLessThanOrEqual(stoppedAt);
    expect(helperId()).not.toBe(second);
    await moreMarkers(20);
    const delivered = new Set(sink.seen);

    // A third SIGKILL, and the capture stops while the sensor is still bringing the helper back: that gap is
    // not lost either, it runs to the stop.
    const third = helperId();
    await docker(['kill', '-s', 'KILL', third]);
    await waitFor('the third helper\'s exit noticed', () => helperId() !== third, 30_000, 20);
    const summary = await rec.stop();
    expect(gaps).toHaveLength(3);
    expect(gaps[2].reason).toMatch(/; restarted \(the capture stopped before the sensor was back\)$/);
    expect(summary.error).toBeUndefined();
    const recorded = recordedMarkers(file, c.id);
    // Exact: everything delivered before each fault, and everything delivered at all, is in the recording.
    expect(missing(beforeKill, recorded)).toEqual([]);
    expect(missing(beforeStop, recorded)).toEqual([]);
    expect(missing(delivered, recorded)).toEqual([]);
    expect(recorded.size).toBe(sink.seen.size);
    // What is missing is what the dead helpers never delivered: at most one run of markers per fault.
    expect(holes(recorded).length).toBeLessThanOrEqual(2);
    expect(Math.max(...recorded)).toBe(Math.max(...sink.seen));
    const ro = RecordingStore.open(file, { readonly: true });
    const stored = ro.gaps();
    ro.close();
    expect(stored.map((g) => g.reason)).toEqual(gaps.map((g) => g.reason));
    console.log(`[faults] helper: before SIGKILL ${beforeKill.size} delivered, ${missing(beforeKill, recorded).length} lost; before SIGSTOP ${beforeStop.size} delivered, ${missing(beforeStop, recorded).length} lost; holes ${JSON.stringify(holes(recorded))}`);
  });
  it('SIGSTOP of the local helper process: killed after stallMs of silence, restarted, no delivered marker lost', async () => {
    const c = await runSensorContainer([], markerWriter());
    sensor = new Sensor({ mode: 'local', docker: dockerClient(), helperPath: HELPER, stallMs: 3000 });
    const sink = markerSink(c.id);
    sensor.on('events', sink.onEvents);
    const gaps: SensorGap[] = [];
    sensor.on('gap', (g: SensorGap) => gaps.push(g));
    const file = join(dir, 'local-stop.glasshouse');
    const rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store: RecordingStore.create(file) });
    await rec.start();
    await waitFor('20 markers', () => sink.seen.size >= 20, 30_000);
    const pid = (sensor.helper as LocalHelperRun).pid!;
    const before = new Set(sink.seen);
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    await waitFor('the gap of the stopped helper', () => gaps.length === 1, 30_000);
    expect(gaps[0].reason).toMatch(/^sensor helper sent nothing for \d+ s \(stopped or hung\); killed and restarted$/);
    expect(gaps[0].from).toBeLessThanOrEqual(stoppedAt);
    expect((sensor.helper as LocalHelperRun).pid).not.toBe(pid);
    const n = sink.seen.size;
    await waitFor('20 markers after the restart', () => sink.seen.size >= n + 20, 30_000);
    const summary = await rec.stop();
    expect(summary.error).toBeUndefined();
    const recorded = recordedMarkers(file, c.id);
    expect(missing(before, recorded)).toEqual([]);
    expect(recorded.size).toBe(sink.seen.size);
    expect(holes(recorded).length).toBeLessThanOrEqual(1);
    console.log(`[faults] local helper SIGSTOP: ${before.size} delivered before, ${missing(before, recorded).length} lost; holes ${JSON.stringify(holes(recorded))}`);
  });
  it('stops with a sentence when the helper may not come back (maxRestarts 0), and the recording keeps the gap', async () => {
    const c = await runSensorContainer([], markerWriter());
    sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER, maxRestarts: 0 });
    const sink = markerSink(c.id);
    sensor.on('events', sink.onEvents);
    const file = join(dir, 'give-up.glasshouse');
    const rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store: RecordingStore.create(file) });
    await rec.start();
    await waitFor('20 markers', () => sink.seen.size >= 20, 30_000);
    const before = new Set(sink.seen);
    await docker(['kill', '-s', 'KILL', helperIdOf(sensor)]);
    const killedAt = Date.now(); // the kill has landed by now; the helper's exit is noticed seconds later
    const summary = await rec.done;
    expect(summary.end.reason).toBe('error');
    expect(summary.end.error?.message).toMatch(/^The sensor helper stopped and could not be restarted \(0 attempts in a minute\); events after \d{4}-\d\d-\d\dT[\d:.]+Z are missing\.$/);
    const recorded = recordedMarkers(file, c.id);
    expect(missing(before, recorded)).toEqual([]);
    expect(recorded.size).toBe(sink.seen.size);
    const ro = RecordingStore.open(file, { readonly: true });
    const stored = ro.gaps();
    ro.close();
    expect(stored).toHaveLength(1);
    expect(stored[0].start).toBeLessThanOrEqual(killedAt);
    expect(stored[0].reason).toMatch(/^sensor helper exited/);
    console.log(`[faults] helper gives up: ${before.size} delivered before, ${missing(before, recorded).length} lost`);
  });
});
