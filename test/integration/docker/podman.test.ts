// The catalog and the exec watch against Podman 4.3's Docker-compatible API (a real `podman system service` this test
// starts and stops): Podman names removal `remove` and sends exec events without an exec id.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerExecInfo } from '../../../electron/common/rules/posture/exec';
import { ContainerCatalog } from '../../../electron/node/docker/catalog';
import { DockerConnection } from '../../../electron/node/docker/connection';
import { watchExecs } from '../../../electron/node/docker/execs';
import { TEST_LABEL, TEST_OWNER_LABEL, testName } from '../../support/docker';
import { waitFor } from '../../support/waitFor';

const PODMAN = ['/usr/bin/podman', '/usr/local/bin/podman'].find((p) => existsSync(p));
const IMAGE = `localhost/glasshouse-test-podman/busybox:${process.pid}`;
const run = promisify(execFile);

let dir: string;
let service: ChildProcess | undefined;
let api: Dockerode;
const labels = { [TEST_LABEL]: '1', [TEST_OWNER_LABEL]: String(process.pid) };

/** A busybox container on Podman, labelled as this process' own; low ulimits, as Podman cannot raise them in a container. */
async function podmanContainer(cmd: string[]): Promise<Dockerode.Container> {
  return api.createContainer({
    name: testName('podman'), Image: IMAGE, Cmd: cmd, Labels: labels,
    HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }, { Name: 'nproc', Soft: 512, Hard: 512 }] },
  });
}

describe.skipIf(!PODMAN)('Podman 4.3 compat API (install podman to run this)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-podman-'));
    const sock = join(dir, 'podman.sock');
    service = spawn(PODMAN!, ['system', 'service', '--time=0', `unix://${sock}`], { stdio: 'ignore' });
    api = new Dockerode({ socketPath: sock });
    await waitFor('the podman service to answer', () => api.ping().then(() => true, () => false), 30_000, 200);
    const root = join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'id', 'true']) symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    chmodSync(join(root, 'tmp'), 0o1777);
    await run('tar', ['-C', root, '-cf', join(dir, 'rootfs.tar'), '.']);
    await run(PODMAN!, ['import', '--change', `LABEL ${TEST_OWNER_LABEL}=${process.pid}`, join(dir, 'rootfs.tar'), IMAGE]);
  });

  afterAll(async () => {
    if (api) {
      const mine = await api.listContainers({ all: true, filters: { label: [`${TEST_OWNER_LABEL}=${process.pid}`] } }).catch(() => []);
      for (const c of mine) await api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      await api.getImage(IMAGE).remove({ force: true }).catch(() => undefined);
    }
    service?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the catalog follows create → start → remove (Podman: `remove`, not `destroy`)', async () => {
    const conn = new DockerConnection({ version: 'test', endpointEnv: { env: { DOCKER_HOST: `unix://${join(dir, 'podman.sock')}` } } });
    const catalog = new ContainerCatalog(conn, 10);
    try {
      await conn.start();
      expect(conn.status).toMatchObject({ connection: 'connected', serverVersion: expect.stringMatching(/^4\./) });
      const c = await podmanContainer(['sleep', '600']);
      await waitFor('the created row', () => catalog.get(c.id));
      await c.start();
      await waitFor('the running row', () => catalog.get(c.id)?.state === 'running');
      await c.remove({ force: true });
      await waitFor('the row to go', () => !catalog.get(c.id));
      expect(conn.status.answerRejects ?? []).toEqual([]);
    } finally {
      catalog.close();
      conn.stop();
    }
  });

  it('an exec is reported with its user and command although Podman\'s event names no exec', async () => {
    const c = await podmanContainer(['sleep', '600']);
    await c.start();
    const seen: ContainerExecInfo[] = [];
    const stop = watchExecs(api, (e) => seen.push(e));
    try {
      await new Promise((r) => setTimeout(r, 500)); // the event stream is open before the exec
      const exec = await c.exec({ Cmd: ['sleep', '5'], User: 'nobody', AttachStdout: false, AttachStderr: false });
      await exec.start({ Detach: true, Tty: false });
      const e = await waitFor('the exec to be reported', () => seen.find((x) => x.execId === exec.id));
      expect(e).toMatchObject({ containerId: c.id, user: 'nobody', privileged: false, command: ['sleep', '5'] });
      expect(seen.filter((x) => x.execId === exec.id)).toHaveLength(1);
    } finally {
      stop();
    }
  });
});
