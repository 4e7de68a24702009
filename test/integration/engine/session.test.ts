// The engine's capture session end to end: the real helper on a real container, rules, a recording, and its replay.
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveFrame } from '../../../electron/common/ipc/contract';
import { Engine } from '../../../electron/node/engine';
import { execIn, removeTestContainers, runContainer } from '../../support/docker';
import { waitFor } from '../../support/waitFor';

let engine: Engine;
const frames: LiveFrame[] = [];

beforeAll(async () => {
  engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } }, dataDir: mkdtempSync(join(tmpdir(), 'gh-data-')) });
  engine.onEvent((name, payload) => {
    if (name === 'live.frame') frames.push(payload as LiveFrame);
  });
  await engine.start();
  await waitFor('catalog', () => engine.catalog.snapshot().containers.length >= 0 && engine.connection.status.connection === 'connected');
});
afterAll(async () => {
  await engine.handlers['capture.stop']({});
  engine.stop();
  await removeTestContainers();
});

describe('capture session (real helper, real container)', () => {
  it('captures a container live, raises findings with evidence, records, and replays the recording to the same findings', async () => {
    const web = await runContainer({ labels: { 'com.docker.compose.project': 'shopx', 'com.docker.compose.service': 'web' } });
    await waitFor('catalog has the container', () => engine.catalog.get(web.id)?.state === 'running');

    const status = await engine.handlers['capture.start']({ containers: [web.name] });
    expect(status).toMatchObject({ state: 'capturing', source: 'live' });
    expect(status.recordingPath).toMatch(/\.glasshouse$/);
    const { subId } = await engine.handlers['live.subscribe']({ containerIds: [web.id], tail: 50 });
    await waitFor('container watched', () => engine.session.status.containers?.includes(web.id));

    // A shell under the container's init writes below /etc and drops + runs a binary.
    await execIn(web.id, ['sh', '-c', 'echo x > /etc/gh-marker; cp /bin/busybox /tmp/true; chmod +x /tmp/true; /tmp/true']);

    const findings = await waitFor('findings', async () => {
      const f = await engine.handlers['findings.list']({ containerId: web.id });
      return f.some((x) => x.ruleId === 'Write below etc') && f.some((x) => /[Dd]rop and execute/.test(x.ruleId)) && f;
    }, 30_000);
    const etc = findings.find((x) => x.ruleId === 'Write below etc')!;
    expect(etc.container).toMatchObject({ id: web.id, name: web.name });
    expect(etc.composeService).toBe('web');
    expect(etc.evidence.path).toBe('/etc/gh-marker');
    expect(findings.some((f) => f.source === 'posture')).toBe(true);

    // Events of different CPUs may land in different batches: wait for the frames carrying both.
    const mine = await waitFor('live frames with the process and the finding', () => {
      const f = frames.filter((x) => x.subId === subId);
      return f.some((x) => x.delta.processes.some((p) => p.exe === '/tmp/true'))
        && f.some((x) => x.findings.some((y) => y.ruleId === 'Write below etc')) && f;
    });
    expect(mine.every((f) => f.delta.processes.every((p) => p.containerId === web.id))).toBe(true);

    const stopped = await engine.handlers['capture.stop']({});
    expect(stopped.state).toBe('stopped');
    expect(existsSync(stopped.recordingPath!)).toBe(true);
    expect(stopped.events).toBeGreaterThan(0);
    const recent = await engine.handlers['recording.recent']({});
    expect(recent[0]).toMatchObject({ path: stopped.recordingPath });

    const replay = await engine.handlers['recording.open']({ path: stopped.recordingPath! });
    expect(replay).toMatchObject({ source: 'recording' });
    const again = await waitFor('replayed findings', async () => {
      const f = await engine.handlers['findings.list']({});
      return f.some((x) => x.ruleId === 'Write below etc') && f;
    });
    expect(again.find((x) => x.ruleId === 'Write below etc')?.fingerprint).toBe(etc.fingerprint);

    // Mark it expected for this image: a Falco exception lands in the user's rules file and the next capture is quiet.
    await waitFor('replay finished', () => engine.session.status.state === 'stopped');
    await engine.handlers['finding.setStatus']({ fingerprint: etc.fingerprint, status: 'expected', scope: 'image' });
    const userFile = readFileSync(join(engine.dataDir, 'rules', 'glasshouse_expected.yaml'), 'utf8');
    expect(userFile).toContain('Write below etc');
    expect(userFile).toContain('glasshouse-test/busybox');
    await engine.handlers['capture.start']({ containers: [web.name] });
    await waitFor('watched again', () => engine.session.status.containers?.includes(web.id));
    await execIn(web.id, ['sh', '-c', 'echo y > /etc/gh-marker2; cp /bin/busybox /tmp/false; /tmp/false || true']);
    await waitFor('the other rule still fires', async () => (await engine.handlers['findings.list']({ containerId: web.id })).some((x) => /[Dd]rop and execute/.test(x.ruleId)), 30_000);
    expect((await engine.handlers['findings.list']({ containerId: web.id })).some((x) => x.ruleId === 'Write below etc')).toBe(false);
    await engine.handlers['capture.stop']({});
  });

  it('a recording that is not one gives a sentence naming the file', async () => {
    await engine.handlers['capture.stop']({});
    await expect(engine.handlers['recording.open']({ path: '/etc/hostname' })).rejects.toThrow(/\/etc\/hostname/);
  });
});
