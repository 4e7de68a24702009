// The live catalog against the real dockerd: create/start/stop/destroy appear as they happen, grouped by compose labels.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogDelta } from '../../../electron/common/ipc/contract';
import { Engine } from '../../../electron/node/engine';
import { testLabelArgs, docker, engineImageName, engineSocket, ensureBusyboxImage, removeTestContainers, testName, TEST_LABEL } from '../../support/docker';
import { SocketProxy } from '../../support/socketProxy';
import { waitFor } from '../../support/waitFor';

let engine: Engine;
const deltas: CatalogDelta[] = [];

beforeAll(async () => {
  await ensureBusyboxImage();
  engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: `unix://${engineSocket()}` } } });
  engine.onEvent((name, payload) => {
    if (name === 'catalog.delta') deltas.push(...(payload as CatalogDelta[]));
  });
  await engine.start();
  await waitFor('first catalog reset', () => deltas.some((d) => d.type === 'reset'));
});
afterAll(async () => {
  engine?.stop();
  await removeTestContainers();
});

const row = (id: string) => engine.catalog.snapshot().containers.find((c) => c.id === id);

describe('container catalog (real dockerd)', () => {
  it('reports the endpoint it uses', () => {
    expect(engine.connection.status).toMatchObject({ connection: 'connected', endpoint: { kind: 'env', url: `unix://${engineSocket()}` } });
    expect(engine.connection.status.apiVersion).toMatch(/^1\.\d+$/);
  });

  it('follows create → start → stop → destroy from the event stream, with compose grouping', async () => {
    const name = testName('cat');
    const id = await docker(['create', '--name', name, ...testLabelArgs(), '--label', 'com.docker.compose.project=shop',
      '--label', 'com.docker.compose.service=web', '-p', '127.0.0.1::80', 'glasshouse-test/busybox:1', 'sleep', '600']);
    const created = await waitFor('created row', () => row(id));
    expect(created).toMatchObject({ name, state: 'created', composeProject: 'shop', composeService: 'web', image: await engineImageName('glasshouse-test/busybox:1') });

    await docker(['start', id]);
    const running = await waitFor('running row', () => row(id)?.state === 'running' && row(id));
    expect(running.startedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(running.ports).toEqual(expect.arrayContaining([expect.objectContaining({ containerPort: 80, hostIp: '127.0.0.1' })]));

    await docker(['stop', '-t', '1', id]);
    await waitFor('exited row', () => row(id)?.state === 'exited');

    await docker(['rm', id]);
    await waitFor('row removed', () => !row(id));
    await waitFor('remove delta published', () => deltas.some((d) => d.type === 'remove' && d.id === id));
  });

  it('serves inspect facts, the process list and the log tail through the API handlers', async () => {
    const name = testName('facts');
    const id = await docker(['run', '-d', '--name', name, ...testLabelArgs(), '--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD',
      '--read-only', '--memory', '64m', '--pids-limit', '50', '--user', '65534', '--security-opt', 'no-new-privileges',
      'glasshouse-test/busybox:1', 'sh', '-c', 'echo hello-from-test; echo oops >&2; sleep 600']);
    const d = await engine.handlers['container.inspect']({ id });
    expect(d.facts).toMatchObject({ user: '65534', privileged: false, readonlyRootfs: true, memoryLimit: 64 * 1024 * 1024, pidsLimit: 50 });
    expect(d.facts.capAdd).toContain('NET_ADMIN');
    expect(d.facts.capDrop).toContain('MKNOD');
    expect(d.facts.securityOpt).toContain('no-new-privileges');
    expect(d.facts.imageDigest).toMatch(/sha256:/);
    const procs = await engine.handlers['container.processes']({ id });
    expect(procs.rows.map((r) => r.join(' ')).join('\n')).toContain('sleep 600');
    const logs = await waitFor('log lines', async () => {
      const l = await engine.handlers['container.logs']({ id, tail: 10 });
      return l.length >= 2 && l;
    });
    expect(logs).toEqual(expect.arrayContaining([
      expect.objectContaining({ stream: 'stdout', text: 'hello-from-test' }),
      expect.objectContaining({ stream: 'stderr', text: 'oops' }),
    ]));
    await expect(engine.handlers['container.inspect']({ id: 'gh-test-no-such-container' })).rejects.toThrow(/no container "gh-test-no-such-container"/);
  });
});

describe('reconnect', () => {
  it('goes disconnected with a sentence when Docker disappears, and reconnects and resyncs when it is back', async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'gh-proxy-')), 'docker.sock');
    const proxy = new SocketProxy(sock);
    await proxy.up();
    const e = new Engine({ endpointEnv: { env: { DOCKER_HOST: `unix://${sock}` } } });
    // Fast retries so the test does not wait for the production backoff.
    (e.connection as any).opts.retryMs = 200;
    (e.connection as any).opts.maxRetryMs = 400;
    let loaded = false;
    e.catalog.once('delta', () => (loaded = true));
    try {
      await e.start();
      expect(e.connection.status.connection).toBe('connected');
      await waitFor('the first catalog list through the proxy', () => loaded);

      await proxy.down();
      const lost = await waitFor('disconnected', () => e.connection.status.connection === 'disconnected' && e.connection.status);
      expect(lost.error?.message).toBe(`Docker engine not reachable at unix://${sock}.`);
      await expect(e.handlers['container.inspect']({ id: 'x' })).rejects.toThrow(/not reachable/);

      // While away, a container appears; after the reconnect the catalog must know it.
      const { id } = await (await import('../../support/docker')).runContainer({ name: testName('back') });
      await proxy.up();
      await waitFor('reconnected', () => e.connection.status.connection === 'connected', 15_000);
      await waitFor('resynced catalog has the new container', () => e.catalog.snapshot().containers.some((c) => c.id === id));
    } finally {
      e.stop();
      await proxy.down();
    }
  });
});
