// cgroup id → container id for the cgroup shapes Docker uses: cgroupfs driver (docker/<id>, and a custom
// --cgroup-parent), and the systemd driver (system.slice/docker-<id>.scope), on this hybrid v1+v2 host.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import { collect, dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer, waitForEvent } from './support';

const CG2 = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';

describe('attribution across cgroup shapes', () => {
  const sensors: Sensor[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of sensors) await s.stop();
    await removeSensorContainers();
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        /* still busy: left for the kernel to clean when empty */
      }
    }
  });

  it('attributes a container started with a custom --cgroup-parent (cgroupfs driver)', async () => {
    const c = await runSensorContainer(['--cgroup-parent', '/gh-sensor-parent']);
    const sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
    sensors.push(sensor);
    const all = collect(sensor);
    await sensor.start();
    await sensor.watchContainer(c.id);
    await execIn(c.id, ['sh', '-c', 'echo p > /tmp/parent-shape']);
    const e = await waitForEvent(all, (e) => e.kind === 'open' && e.path === '/tmp/parent-shape', 'open');
    expect(e.containerId).toBe(c.id);
  });

  it('attributes a systemd-driver shaped cgroup (system.slice/docker-<id>.scope) found by name, without Docker', async () => {
    const fakeId = 'f'.repeat(52) + Date.now().toString(16).padStart(12, '0').slice(-12);
    const slice = `${CG2}/gh-sensor-test.slice`;
    const scope = `${slice}/docker-${fakeId}.scope`;
    mkdirSync(scope, { recursive: true });
    dirs.push(slice, scope);
    const sensor = new Sensor({ mode: 'local', helperPath: HELPER }); // no Docker client: pid 0, found by name
    sensors.push(sensor);
    const all: RuntimeEvent[] = collect(sensor);
    await sensor.start();
    await sensor.watchContainer(fakeId);
    const marker = `/tmp/gh-systemd-shape-${process.pid}`;
    await new Promise<void>((resolve, reject) => {
      const p = spawn('/bin/sh', ['-c', `echo $$ > ${scope}/cgroup.procs && echo x > ${marker} && rm -f ${marker}`]);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`shell exited ${code}`))));
    });
    const e = await waitForEvent(all, (e) => e.kind === 'open' && e.path === marker, 'open in the scope');
    expect(e.containerId).toBe(fakeId);
    // and a host process outside it is not traced (host mode off)
    expect(all.some((x) => x.kind === 'unlink' && x.path === marker && x.containerId !== fakeId)).toBe(false);
  });

  it('fails closed: a container id with no cgroup is refused, nothing is traced in its place', async () => {
    const sensor = new Sensor({ mode: 'local', helperPath: HELPER });
    sensors.push(sensor);
    await sensor.start();
    await expect(sensor.watchContainer('0'.repeat(64))).rejects.toThrow(/could not find the cgroup.*not watched/);
    expect(sensor.helperStats?.watched ?? 0).toBe(0);
  });
});
