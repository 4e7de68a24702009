import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensor } from '../../../electron/node/sensor';
import { collect, dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer, waitForEvent } from './support';

describe('sensor smoke (container mode)', () => {
  let sensor: Sensor;
  beforeAll(async () => {
    sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
  });
  afterAll(async () => {
    await sensor?.stop();
    await removeSensorContainers();
  });
  it('sees a write under /etc with the full container id', async () => {
    const c = await runSensorContainer();
    const all = collect(sensor);
    await sensor.start();
    await sensor.watchContainer(c.id);
    await execIn(c.id, ['sh', '-c', 'echo x > /etc/smoke']);
    const e = await waitForEvent(all, (e) => e.kind === 'open' && e.path === '/etc/smoke', 'open /etc/smoke');
    expect(e.containerId).toBe(c.id);
  });
});
