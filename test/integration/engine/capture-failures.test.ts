// Failures at capture start and in the capture path, through the real helper and dockerd: no stuck session, and a
// container that could not be watched is listed as such with the sensor's sentence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, defaultHelperBinary, helperSensor } from '../../../electron/node/engine';
import { CaptureSession } from '../../../electron/node/session';
import { dockerInfoProvider } from '../../../electron/node/docker/info';
import { loadRuleEngine } from '../../../electron/node/rules/files';
import type { Sensor } from '../../../electron/node/sensor/index';
import type { SessionStatus } from '../../../electron/common/ipc/contract';
import { docker, removeTestContainers, runContainer } from '../../support/docker';
import { waitFor } from '../../support/waitFor';

const dataDir = mkdtempSync(join(tmpdir(), 'gh-capfail-'));
let mounted = false;
let engine: Engine;
const made: Sensor[] = [];

beforeAll(async () => {
  // A real disk problem at capture start: the data folder is on a read-only file system.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dataDir]);
  mounted = true;
  const real = helperSensor(() => engine.connection.docker, defaultHelperBinary());
  engine = new Engine({
    endpointEnv: { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } }, dataDir,
    sensor: async () => { const s = await real(); made.push(s as unknown as Sensor); return s; },
  });
  await engine.start();
  await waitFor('docker', () => engine.connection.status.connection === 'connected');
}, 60_000);
afterAll(async () => {
  await engine?.handlers['capture.stop']({}).catch(() => undefined);
  engine?.stop();
  await removeTestContainers();
  if (mounted) execFileSync('umount', [dataDir]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('capture start and capture path failures', () => {
  it('a recording that cannot be created leaves the session idle with the cause, the helper stopped, and the next Capture works', async () => {
    const c = await runContainer({ args: ['--network', 'none'] });
    await waitFor('catalog has the container', () => engine.catalog.get(c.id)?.state === 'running');
    await expect(engine.handlers['capture.start']({ containers: [c.name] })).rejects.toThrow(/is on a read-only file system \(EROFS\), so recording .* cannot be created/);
    const st = engine.session.status;
    expect(st.state).toBe('idle');
    expect(st.error?.message).toMatch(/read-only file system \(EROFS\)/);
    expect(st.error?.hint).toMatch(/Record to a writable disk/);
    expect(made).toHaveLength(1);
    expect(made[0].helper).toBeUndefined(); // the helper was stopped, not left tracing

    execFileSync('mount', ['-o', 'remount,rw', dataDir]);
    const again = await engine.handlers['capture.start']({ containers: [c.name] });
    expect(again).toMatchObject({ state: 'capturing', error: undefined });
    expect(made).toHaveLength(2);
    await waitFor('container watched', () => engine.session.status.containers?.includes(c.id));
    const stopped = await engine.handlers['capture.stop']({});
    expect(stopped.state).toBe('stopped');
    expect(existsSync(stopped.recordingPath!)).toBe(true);
  }, 120_000);

  it('lists a container the sensor could not watch with its sentence, and only the others as watched', async () => {
    const gone = await runContainer({ args: ['--network', 'none'] });
    const kept = await runContainer({ args: ['--network', 'none'] });
    await waitFor('catalog has both', () => engine.catalog.get(gone.id)?.state === 'running' && engine.catalog.get(kept.id)?.state === 'running');
    // The catalog's picture a moment ago (both running); one of them is removed before the capture reaches it.
    const snapshot = [engine.catalog.get(gone.id)!, engine.catalog.get(kept.id)!];
    await docker(['rm', '-f', gone.id]);
    const statuses: SessionStatus[] = [];
    const session = new CaptureSession({
      info: () => dockerInfoProvider(engine.connection.docker), containers: () => snapshot, onContainers: () => () => undefined,
      sensor: helperSensor(() => engine.connection.docker, defaultHelperBinary()), rules: () => loadRuleEngine(undefined), dataDir,
      publishStatus: (s) => statuses.push(s),
    });
    await session.startLive({ containers: [gone.name, kept.name] }, false);
    try {
      const st = await waitFor('both decided', () => {
        const s = session.status;
        return s.containers?.includes(kept.id) && !!s.unwatched?.length ? s : undefined;
      }, 30_000);
      expect(st.containers).toEqual([kept.id]);
      expect(st.unwatched).toEqual([expect.objectContaining({ id: gone.id, name: gone.name })]);
      expect(st.unwatched![0].reason).toMatch(/was not found by the Docker engine, so it cannot be watched/);
    } finally {
      await session.stop();
    }
  }, 120_000);
});
