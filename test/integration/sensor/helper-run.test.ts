// `glasshouse helper run` (local mode as a root process): an unprivileged-style engine connects over the socket
// (GLASSHOUSE_SENSOR=socket:PATH), sees real container events, reconnects to a fresh helper, and the command
// stops cleanly on SIGTERM; as a non-root user it refuses with a sentence.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { Sensor, sensorModeFromEnv } from '../../../electron/node/sensor';
import { CLI, runCli } from '../../support/cli';
import { dockerClient, execIn, HELPER, removeSensorContainers, runSensorContainer, waitForEvent } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('glasshouse helper run', () => {
  let c: { id: string; name: string; pid: number };
  let cli: ChildProcess;
  let err = '';
  const dir = mkdtempSync(join(tmpdir(), 'gh-helper-run-'));
  const sock = join(dir, 'sub', 'helper.sock');

  beforeAll(async () => {
    c = await runSensorContainer();
    cli = spawn(process.execPath, [CLI, 'helper', 'run', '--socket', sock, '--owner', '65534:65534'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GLASSHOUSE_HELPER: HELPER },
    });
    cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 300 && !/is listening on/.test(err); i++) await sleep(100);
  });
  afterAll(async () => {
    if (cli.exitCode === null) cli.kill('SIGKILL');
    await removeSensorContainers();
  });

  it('listens on a socket given to the --owner user, and says how to point Glasshouse at it', () => {
    expect(err).toContain(`The sensor helper is listening on ${sock} (socket owned by uid 65534). Point Glasshouse at it with GLASSHOUSE_SENSOR=socket:${sock}`);
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.uid).toBe(65534);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('serves an engine that connects with GLASSHOUSE_SENSOR=socket:PATH, and a fresh helper is already listening for the next one', async () => {
    const mode = sensorModeFromEnv({ GLASSHOUSE_SENSOR: `socket:${sock}` });
    expect(mode).toEqual({ mode: 'local', socketPath: sock });
    expect(sensorModeFromEnv({ GLASSHOUSE_SENSOR: 'container:socket' })).toEqual({ mode: 'container', containerTransport: 'socket' });
    expect(sensorModeFromEnv({})).toEqual({ mode: 'container' });
    for (const round of [1, 2]) {
      const sensor = new Sensor({ ...mode, docker: dockerClient() });
      const all: RuntimeEvent[] = [];
      sensor.on('events', (e: RuntimeEvent[]) => all.push(...e));
      await sensor.start();
      await sensor.watchContainer(c.id);
      await execIn(c.id, ['sh', '-c', `echo ${round} > /tmp/helper-run-${round}`]);
      const e = await waitForEvent(all, (x) => x.kind === 'open' && (x as { path?: string }).path === `/tmp/helper-run-${round}`, `open in round ${round}`);
      expect(e.containerId).toBe(c.id);
      let t0 = Date.now();
      await sensor.stop();
      expect(Date.now() - t0).toBeLessThan(1000);
      // the next helper was started as soon as this one accepted its client (its attach can wait behind the
      // kernel detaching the previous helper's hooks: both take the tracepoint mutex)
      t0 = Date.now();
      while (!existsSync(sock) && Date.now() - t0 < 20_000) await sleep(50);
      expect(existsSync(sock)).toBe(true);
    }
    // each helper exits once its hooks are detached: seconds after its client left on a quiet machine, but the
    // kernel detaches ~110 hooks one RCU grace period at a time, behind any other helper attaching or detaching
    for (let i = 0; i < 600 && !/\(2 served\)/.test(err); i++) await sleep(100);
    expect(err).toMatch(/A Glasshouse client disconnected \(2 served\)\./);
  });

  it('stops on SIGTERM, removes its socket and exits 0', async () => {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100); // the fresh helper is loaded
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(err).toMatch(/The sensor helper stopped after serving 2 clients\./);
  });

  it('says what to do when no helper listens on the socket', async () => {
    const sensor = new Sensor({ mode: 'local', socketPath: join(dir, 'none.sock') });
    await expect(sensor.start()).rejects.toThrow(/No sensor helper is listening on .*none\.sock \(ENOENT\)/);
    const report = await Sensor.preflight({ mode: 'local', socketPath: join(dir, 'none.sock') });
    expect(report.ok).toBe(false);
    expect(report.sentences[0]).toMatch(/start it as root with `sudo glasshouse helper run --socket /);
  });

  it('refuses to run as a non-root user, with a sentence and exit code 1', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gh-nobody-'));
    chmodSync(home, 0o755);
    const r = await runCli(['helper', 'run', '--socket', join(home, 'h.sock')], { env: { HOME: home }, uid: 65534, gid: 65534, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/`glasshouse helper run` loads eBPF programs, so it must run as root, and this process is not root: run `sudo glasshouse helper run`/);
    expect(existsSync(join(home, 'h.sock'))).toBe(false);
  });
});
