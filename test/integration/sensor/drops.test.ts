// Loss is data: a tiny ring buffer under an event storm drops, and the drops are counted, not hidden.
// Runs the helper in local mode (a root process), which also covers that mode.
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent, SensorStats } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import { collect, dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer } from './support';

describe('forced drops', () => {
  let sensor: Sensor;
  afterAll(async () => {
    await sensor?.stop();
    await removeSensorContainers();
  });

  it('counts ring-buffer drops when a 4 KiB ring meets a storm of file writes and execs', async () => {
    const c = await runSensorContainer();
    sensor = new Sensor({ mode: 'local', docker: dockerClient(), helperPath: HELPER, ringBytes: 4096 });
    const all: RuntimeEvent[] = collect(sensor);
    let stats: SensorStats | undefined;
    sensor.on('stats', (s: SensorStats) => (stats = s));
    await sensor.start();
    expect(sensor.hello?.ringBytes).toBe(4096);
    await sensor.watchContainer(c.id);
    const N = 5000;
    // Stall the consumer for the storm (SIGSTOP the local helper): the 4 KiB ring must overflow on any machine,
    // however fast it drains; on resume the kernel's drop counter has to account for everything not delivered.
    const pid = Number(/pid (\d+)/.exec(sensor.helper!.label)![1]);
    process.kill(pid, 'SIGSTOP');
    try {
      await execIn(c.id, ['sh', '-c', `i=0; while [ $i -lt ${N} ]; do echo x > /tmp/storm$i; i=$((i+1)); done; for j in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done`]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 2500)); // the next stats frames
    const seen = all.filter((e) => e.kind === 'open' && e.path.startsWith('/tmp/storm')).length;
    expect(stats).toBeDefined();
    expect(stats!.ringDrops).toBeGreaterThan(0);
    expect(seen).toBeLessThan(N);
    // every attempt is either delivered or counted as dropped (drops include the storm's few execs/forks)
    expect(seen + stats!.ringDrops).toBeGreaterThanOrEqual(N);
    // what the kernel says it emitted is what we received: nothing lost silently after the ring
    expect(stats!.eventsByKind.open).toBe(all.filter((e) => e.kind === 'open').length);
    expect(stats!.queueDrops).toBe(0);
    expect(stats!.corruptFrames).toBe(0);
  });
});
