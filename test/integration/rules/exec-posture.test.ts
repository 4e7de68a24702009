// CIS 5.23 live: a `docker exec --privileged` into a captured container becomes a posture finding through the
// engine's session (Docker exec events → exec inspect → Detector); a plain exec does not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/node/engine';
import { docker } from '../../support/docker';
import { waitFor } from '../../support/waitFor';
import { ensureRulesImage, RULES_LABEL } from './harness';

let engine: Engine;
let id = '';

beforeAll(async () => {
  engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } }, dataDir: mkdtempSync(join(tmpdir(), 'gh-data-')) });
  await engine.start();
  await waitFor('docker connected', () => engine.connection.status.connection === 'connected');
  const name = `gh-test-exec-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  id = await docker(['run', '-d', '--name', name, '--label', `${RULES_LABEL}=1`, await ensureRulesImage(), 'sleep', '100000']);
});
afterAll(async () => {
  await engine?.handlers['capture.stop']({}).catch(() => undefined);
  engine?.stop();
  if (id) await docker(['rm', '-f', id]).catch(() => undefined);
});

describe('CIS 5.23 from Docker exec events', () => {
  it('raises a finding for exec --privileged, with the command as evidence, and none for a plain exec', async () => {
    await waitFor('catalog has the container', () => engine.catalog.get(id)?.state === 'running');
    await engine.handlers['capture.start']({ containers: [id] });
    await waitFor('container watched', () => engine.session.status.containers?.includes(id), 30_000);
    const cis523 = async () => (await engine.handlers['findings.list']({ containerId: id })).filter((f) => f.ruleId === 'cis-docker-5.23');

    // A plain exec, then a marker we can wait for: the exec path has seen it when the marker's finding state is stable.
    await docker(['exec', id, 'id']);
    await docker(['exec', '--user', '0', id, 'true']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cis523()).toEqual([]);

    // This host refuses privileged processes ("unable to apply caps"), so the exec fails to start: Docker has still
    // created it with Privileged set, and asking for it is what CIS 5.23 forbids.
    await docker(['exec', '--privileged', id, 'cat', '/proc/self/status']).catch(() => undefined);
    const found = await waitFor('5.23 finding', async () => { const f = await cis523(); return f.length > 0 && f; }, 15_000);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source: 'posture', severity: 'high', container: { id } });
    expect(found[0].evidence.value).toContain('cat /proc/self/status');
    expect(found[0].fix).toContain('--privileged');
  });
});
