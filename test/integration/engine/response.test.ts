// Response actions during a live recording: they are kept in the recording, and a snapshot bundle carries the
// container's slice of it — real helper, real container, real files.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/node/engine';
import { RecordingStore } from '../../../electron/node/store/index';
import { execIn, removeTestContainers, runContainer } from '../../support/docker';
import { waitFor } from '../../support/waitFor';

const engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } }, dataDir: mkdtempSync(join(tmpdir(), 'gh-resp-')) });
afterAll(async () => {
  await engine.handlers['capture.stop']({});
  engine.stop();
  await removeTestContainers();
});

describe('response actions while recording', () => {
  it('journals actions into the recording and slices the container into the snapshot bundle', async () => {
    await engine.start();
    const a = await runContainer();
    const b = await runContainer();
    await waitFor('catalog', () => engine.catalog.get(b.id)?.state === 'running');
    const status = await engine.handlers['capture.start']({ containers: [a.name, b.name] });
    await waitFor('both watched', () => engine.session.status.containers?.length === 2);
    await execIn(a.id, ['sh', '-c', 'echo a > /tmp/a-file; ls /']);
    await execIn(b.id, ['sh', '-c', 'echo b > /tmp/b-file']);
    await waitFor('events of a', () => (engine.session.world?.files.get(a.id, '/tmp/a-file') ? true : false), 20_000);

    await engine.handlers['container.action']({ id: a.id, action: 'pause' });
    await engine.handlers['container.action']({ id: a.id, action: 'unpause' });
    const snap = await engine.handlers['container.snapshot']({ id: a.id });
    const out = snap.dir;
    expect(out.startsWith(`${engine.dataDir}/snapshots/`)).toBe(true); // a page never names where a bundle goes
    const slice = snap.manifest.files.find((f) => f.path.endsWith('.glasshouse'));
    expect(slice, JSON.stringify(snap.manifest)).toBeDefined();

    const sliced = RecordingStore.open(join(out, slice!.path), { readonly: true });
    const events = sliced.eventsInWindow({ limit: 100_000 });
    const containers = sliced.containers().map((c) => c.id);
    sliced.close();
    expect(containers).toEqual([a.id]);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.containerId === a.id)).toBe(true);

    const stopped = await engine.handlers['capture.stop']({});
    expect(existsSync(stopped.recordingPath!)).toBe(true);
    const rec = RecordingStore.open(status.recordingPath!, { readonly: true });
    const actions = [1, 2, 3, 4].map((n) => rec.metaValue(`action:${String(n).padStart(6, '0')}`)).filter(Boolean).map((v) => JSON.parse(v!));
    rec.close();
    expect(actions.map((x) => x.action)).toEqual(expect.arrayContaining(['pause', 'unpause', 'snapshot']));
    expect(actions.every((x) => x.containerId === a.id)).toBe(true);
  });
});

describe('the timeline query while recording', () => {
  it('returns events the writer has not committed yet at the time of the call', async () => {
    const c = await runContainer();
    await waitFor('catalog', () => engine.catalog.get(c.id)?.state === 'running');
    await engine.handlers['capture.start']({ containers: [c.name] });
    await waitFor('watched', () => engine.session.status.containers?.includes(c.id));
    const from = Date.now();
    await execIn(c.id, ['sh', '-c', 'echo z > /tmp/z-file']);
    await waitFor('the write seen live', () => !!engine.session.world?.files.get(c.id, '/tmp/z-file'), 20_000);
    const rows = await engine.handlers['events.query']({ from, to: Date.now() + 1000, containerId: c.id, limit: 1000 });
    expect(rows.some((e) => e.kind === 'open' && e.path === '/tmp/z-file')).toBe(true);
    await engine.handlers['capture.stop']({});
  });
});
