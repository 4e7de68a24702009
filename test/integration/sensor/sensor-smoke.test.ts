import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensor } from '../../../electron/node/sensor';
import type { ContainerHelperRun } from '../../../electron/node/sensor/transport';
import { collect, dockerClient, HELPER, removeSensorContainers, runSensorContainer, writeAndSee } from './support';
import { engineApiAtLeast, engineVersion } from '../../support/docker';

describe('sensor smoke (container mode)', () => {
  let sensor: Sensor;
  beforeAll(async () => {
    sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
  });
  afterAll(async () => {
    await sensor?.stop();
    await removeSensorContainers();
  });
  it('applies a watch requested before start (how capture/live.ts calls it) and attributes by full id', async () => {
    const c = await runSensorContainer();
    const all = collect(sensor);
    const errors: Error[] = [];
    sensor.on('error', (e: Error) => errors.push(e));
    void sensor.watchContainer(c.name); // not awaited, before start
    void sensor.watchContainer('no-such-container-' + process.pid); // must not reject: reported as 'error'
    await new Promise((r) => setTimeout(r, 500));
    await sensor.start();
    expect(errors.map((e) => e.message).join()).toMatch(/was not found by the Docker engine/);
    const e = await writeAndSee(all, c.id, '/etc/smoke');
    expect(e.containerId).toBe(c.id);
  });

  it('runs the helper container with only its capabilities and no log driver (its stdout is the event stream)', async () => {
    const list = await dockerClient().listContainers({ filters: { label: [`dev.glasshouse.helper.owner=${process.pid}`] } });
    const mine = list[0];
    expect(mine, 'a running helper container').toBeDefined();
    const info = await dockerClient().getContainer(mine!.Id).inspect();
    expect(info.HostConfig.Privileged).toBe(false);
    expect(/NoNewPrivs:\s*1/.test(readFileSync(`/proc/${info.State.Pid}/status`, 'utf8'))).toBe(true);
    // what the kernel gave the helper's process, whatever the engine writes in its inspect (Podman lists every
    // dropped capability where Docker says ALL): exactly the named set, by name on Docker >= 23 (Podman 4's seccomp
    // profile allows bpf() only with SYS_ADMIN)
    const named = (await engineApiAtLeast('1.43')) && !(await engineVersion()).podman;
    const want = named ? [38, 39, 19] : [21, 19]; // PERFMON, BPF, SYS_PTRACE | SYS_ADMIN, SYS_PTRACE
    const status = readFileSync(`/proc/${info.State.Pid}/status`, 'utf8');
    const eff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(status)![1]}`);
    expect(eff).toBe(want.reduce((m, b) => m | (1n << BigInt(b)), 0n));
    expect(info.HostConfig.CapAdd!.length).toBeLessThanOrEqual(3);
    expect(info.HostConfig.LogConfig?.Type).toBe('none'); // json-file would write every binary frame to disk
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.NetworkMode).toBe('none');
  });
});

describe('sensor smoke (local mode over a Unix socket)', () => {
  afterAll(async () => {
    await removeSensorContainers();
  });
  it('streams frames and takes control over the private socket', async () => {
    const c = await runSensorContainer();
    const sensor = new Sensor({ mode: 'local', localTransport: 'socket', docker: dockerClient(), helperPath: HELPER });
    const all = collect(sensor);
    await sensor.start();
    try {
      expect(sensor.helper?.label).toMatch(/on .*helper\.sock/);
      await sensor.watchContainer(c.id); // control in, WATCHED reply out, over the socket
      const e = await writeAndSee(all, c.id, '/etc/over-socket');
      expect(e.containerId).toBe(c.id);
    } finally {
      await sensor.stop();
    }
  });
});

describe('sensor smoke (container mode, frames over a bind-mounted socket instead of the attach stream)', () => {
  afterAll(async () => {
    await removeSensorContainers();
  });
  it('streams frames and takes control over the socket, stops at once, and leaves no socket directory', async () => {
    const c = await runSensorContainer();
    const sensor = new Sensor({ mode: 'container', containerTransport: 'socket', docker: dockerClient(), helperPath: HELPER });
    const all = collect(sensor);
    await sensor.start();
    const label = sensor.helper?.label ?? '';
    const dir = (sensor.helper as ContainerHelperRun).socketDir;
    try {
      expect(label).toMatch(/^helper container [0-9a-f]{12} \(socket\)$/);
      expect(existsSync(dir)).toBe(true); // (the socket name itself is unlinked once the helper accepted us)
      await sensor.watchContainer(c.id);
      const e = await writeAndSee(all, c.id, '/etc/container-socket');
      expect(e.containerId).toBe(c.id);
    } finally {
      const t0 = Date.now();
      await sensor.stop();
      expect(Date.now() - t0).toBeLessThan(1000);
    }
    // the private directory goes with the helper
    for (let i = 0; i < 60 && existsSync(dir); i++) await new Promise((r) => setTimeout(r, 250));
    expect(existsSync(dir)).toBe(false);
  });
});
