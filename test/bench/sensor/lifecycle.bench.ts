// Sensor start and stop times through the engine's Sensor class, local and container mode: stop() resolves
// when the helper has ended its stream (it does so before the kernel detaches its hooks).
import { afterAll, describe, it } from 'vitest';
import { Sensor } from '../../../electron/node/sensor';
import { dockerClient, HELPER, removeSensorContainers } from '../../integration/sensor/support';
import { fmt } from './support';

describe('sensor lifecycle', () => {
  afterAll(async () => {
    await removeSensorContainers();
  });

  for (const mode of ['local', 'container'] as const) {
    it(`${mode} mode: start and stop times`, async () => {
      const starts: number[] = [], stops: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sensor = new Sensor({ mode, docker: dockerClient(), helperPath: HELPER });
        let t0 = performance.now();
        await sensor.start();
        starts.push(performance.now() - t0);
        t0 = performance.now();
        await sensor.stop();
        stops.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 4000)); // let the previous helper finish detaching
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
      console.log(`LIFECYCLE ${mode}: start ${stops.length}× median ${fmt(med(starts), 0)} ms [${starts.map((x) => fmt(x, 0)).join(' ')}], ` +
        `stop median ${fmt(med(stops), 0)} ms [${stops.map((x) => fmt(x, 0)).join(' ')}] (was ~3700 ms; target: well under 1 s → ${med(stops) < 1000 ? 'met' : 'NOT met'})`);
    });
  }
});
