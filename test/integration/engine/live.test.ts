// The live sensor through LiveSource → Recorder → store: a real container's exec and file events land in a recording.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sensor } from '../../../electron/node/sensor/index';
import { LiveSource } from '../../../electron/node/capture/live';
import { Recorder } from '../../../electron/node/recorder';
import { RecordingStore } from '../../../electron/node/store/index';
import { engineApi, execIn, removeTestContainers, runContainer } from '../../support/docker';

const dir = mkdtempSync(join(tmpdir(), 'gh-live-'));
afterAll(async () => {
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

describe('live capture', () => {
  it('records exec and file events of a watched container', async () => {
    const c = await runContainer();
    const sensor = new Sensor({ mode: 'local', docker: engineApi() });
    const file = join(dir, 'live.glasshouse');
    const rec = new Recorder({ source: new LiveSource(sensor, { containers: [c.id] }), store: RecordingStore.create(file) });
    await rec.start();
    await execIn(c.id, ['sh', '-c', 'echo hi > /tmp/live-marker; cat /etc/hosts > /dev/null']);
    await new Promise((r) => setTimeout(r, 1500));
    const summary = await rec.stop();
    expect(summary.error?.message).toBeUndefined();
    const store = RecordingStore.open(file, { readonly: true });
    const execs = store.eventsInWindow({ containerId: c.id, kinds: ['exec'], limit: 1000 });
    expect(execs.some((e) => e.kind === 'exec' && e.filename.endsWith('sh'))).toBe(true);
    expect(store.files('/tmp', c.id).map((f) => f.path)).toContain('/tmp/live-marker');
    store.close();
  });
});
