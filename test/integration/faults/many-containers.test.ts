// 200 containers started at once during a capture: each is traced from its cgroup's creation and attributed to
// itself, and each one's first write (the first thing its shell does) is in the recording: none lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../../electron/node/engine';
import { RecordingStore } from '../../../electron/node/store/index';
import { waitFor } from '../../support/waitFor';
import { dockerClient, ensureSensorImage, removeSensorContainers, SENSOR_LABEL } from '../sensor/support';
import { sleep } from './support';

const COUNT = 200;
const PROJECT = `gh-fault-many-${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), 'gh-fault-many-'));
let engine: Engine;

beforeAll(async () => {
  engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock' } }, dataDir });
  await engine.start();
  await waitFor('engine connected', () => engine.connection.status.connection === 'connected');
});
afterAll(async () => {
  await engine.session.stop().catch(() => undefined);
  engine.stop();
  await removeSensorContainers();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`${COUNT} containers started at once`, () => {
  it('attributes every one and keeps every first-write marker', async () => {
    const image = await ensureSensorImage();
    const file = join(dataDir, 'many.glasshouse');
    const status = await engine.session.startLive({ compose: [PROJECT] }, { path: file });
    expect(status.state).toBe('capturing');

    const api = dockerClient();
    const t0 = Date.now();
    // All at once through the engine API (create + start each, none awaiting another), no network.
    const started = await Promise.allSettled(Array.from({ length: COUNT }, async (_, i) => {
      const c = await api.createContainer({
        Image: image, name: `ghs-${process.pid}-many-${i}`, Cmd: ['sh', '-c', `echo ${i} > /tmp/first; exec sleep 600`],
        Labels: { [SENSOR_LABEL]: '1', [`${SENSOR_LABEL}.owner`]: String(process.pid), 'com.docker.compose.project': PROJECT, 'com.docker.compose.service': `s${i}` },
        HostConfig: { NetworkMode: 'none' },
      });
      await c.start();
      return c.id;
    }));
    const startMs = Date.now() - t0;
    const failed = started.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    const ids = started.map((r) => (r as PromiseFulfilledResult<string>).value);

    // every container is known to the capture (watched), then its marker must be in the file
    await waitFor('all containers watched', () => ids.every((id) => engine.session.status.containers?.includes(id)), 90_000, 250);
    await sleep(2000);
    const stopped = await engine.session.stop();
    expect(stopped.state).toBe('stopped');
    expect(stopped.unwatched ?? []).toEqual([]);

    const ro = RecordingStore.open(file, { readonly: true });
    const markers = ro.eventsForPath('/tmp/first', 100_000).filter((e) => e.kind === 'open');
    const containers = ro.containers().map((c) => c.id);
    ro.close();
    const byContainer = new Map<string, number>();
    for (const e of markers) byContainer.set(e.containerId ?? 'unattributed', (byContainer.get(e.containerId ?? 'unattributed') ?? 0) + 1);
    const lost = ids.filter((id) => !byContainer.has(id));
    expect(lost.map((id) => id.slice(0, 12))).toEqual([]);
    expect(byContainer.get('unattributed')).toBeUndefined();
    expect(new Set(byContainer.keys())).toEqual(new Set(ids));
    expect(containers.filter((id) => ids.includes(id))).toHaveLength(COUNT);
    console.log(`[faults] ${COUNT} containers: started in ${startMs} ms, ${byContainer.size} with their marker, ${lost.length} lost, ${markers.length} marker events; loss ${JSON.stringify(stopped.loss)}`);
  }, 240_000);
});
