// The helper is killed mid-recording: the sensor restarts it, re-watches, and records the gap.
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent, SensorGap, SensorStats } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import type { ContainerHelperRun } from '../../../electron/node/sensor/transport';
import { docker } from '../../support/docker';
import { collect, dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer, waitForEvent } from './support';

describe('helper restart', () => {
  let sensor: Sensor;
  afterAll(async () => {
    await sensor?.stop();
    await removeSensorContainers();
  });

  it('restarts a killed helper, records the gap in stats, and keeps attributing events', async () => {
    const c = await runSensorContainer();
    sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
    const all: RuntimeEvent[] = collect(sensor);
    const gaps: SensorGap[] = [];
    let lastStats: SensorStats | undefined;
    sensor.on('gap', (g: SensorGap) => gaps.push(g));
    sensor.on('stats', (s: SensorStats) => (lastStats = s));
    await sensor.start();
    await sensor.watchContainer(c.id);
    await execIn(c.id, ['sh', '-c', 'echo 1 > /tmp/before-kill']);
    await waitForEvent(all, (e) => e.kind === 'open' && e.path === '/tmp/before-kill', 'open before kill');
    const first = sensor.helper as ContainerHelperRun;
    const firstId = first.containerId;
    await first.kill(); // docker kill: no polite shutdown

    const end = Date.now() + 30_000;
    while (gaps.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(gaps).toHaveLength(1);
    expect(gaps[0].to).toBeGreaterThanOrEqual(gaps[0].from);
    expect(gaps[0].reason).toMatch(/exited.*restarted/);
    const second = sensor.helper as ContainerHelperRun;
    expect(second.containerId).not.toBe(firstId);

    // the watch survived the restart: new events are still attributed
    await execIn(c.id, ['sh', '-c', 'echo 2 > /tmp/after-restart']);
    const e = await waitForEvent(all, (e) => e.kind === 'open' && e.path === '/tmp/after-restart', 'open after restart');
    expect(e.containerId).toBe(c.id);

    // the gap is in the stats, and counters did not go backwards
    await new Promise((r) => setTimeout(r, 1500));
    expect(lastStats?.gaps).toEqual([[gaps[0].from, gaps[0].to]]);
    expect(lastStats?.eventsByKind.open ?? 0).toBeGreaterThanOrEqual(2);

    // the killed helper's container is gone (AutoRemove); stop() ends the live one's stream at once, and it
    // removes itself once the kernel has detached its hooks (a few seconds)
    const t0 = Date.now();
    await sensor.stop();
    expect(Date.now() - t0).toBeLessThan(2500);
    let left = 'x';
    for (let i = 0; i < 30 && left !== ''; i++) {
      await new Promise((r) => setTimeout(r, 500));
      left = await docker(['ps', '-aq', '--filter', 'label=dev.glasshouse.helper', '--filter', `label=dev.glasshouse.helper.owner=${process.pid}`]);
    }
    expect(left).toBe('');
  });
});
