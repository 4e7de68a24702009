// The engine's export methods on an opened recording (the real engine, store and replay): what the app downloads.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/node/engine';
import { dispatch } from '../../../electron/common/ipc/dispatch';
import { writeSyntheticRecording } from '../../support/recordings';
import { waitFor } from '../../support/waitFor';

const engines: Engine[] = [];
afterAll(() => { for (const e of engines) e.stop(); });

describe('export from an opened recording', () => {
  it('renders every format from the replayed session, validated at the contract', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-app-export-'));
    mkdirSync(join(dir, 'data', 'recordings'), { recursive: true }); // a page opens only the engine's own folder
    const file = join(dir, 'data', 'recordings', 'synthetic.glasshouse');
    const { containers } = await writeSyntheticRecording(file, { events: 5000, containers: 3, seed: 8 });
    const engine = new Engine({ dataDir: join(dir, 'data'), secrets: { note: 'no store in this test' } });
    engines.push(engine);

    const none = await dispatch(engine.handlers, 'export.report', { format: 'sarif' });
    expect(none).toMatchObject({ ok: false, error: { message: 'There is no capture or recording to export.' } });

    const opened = await dispatch(engine.handlers, 'recording.open', { path: file });
    expect(opened.ok).toBe(true);
    await waitFor('the replay to fill the world', () => (engine.session.world?.counters.events ?? 0) >= 5000, 30_000);

    const json = await dispatch(engine.handlers, 'export.report', { format: 'json' });
    if (!json.ok) throw new Error(json.error.message);
    const r = json.result as { fileName: string; text: string; mediaType: string; bytes: number };
    expect(r.fileName).toBe('glasshouse-synthetic.json');
    const report = JSON.parse(r.text) as { schema: string; containers: Array<{ id: string }>; processes?: unknown[] };
    expect(report.schema).toMatch(/^glasshouse\.report\/v\d+$/);
    expect(report.containers.map((c) => c.id).sort()).toEqual([...containers].sort());

    const one = await dispatch(engine.handlers, 'export.report', { format: 'csv', containerId: containers[0] });
    expect(one.ok && (one.result as { fileName: string }).fileName).toMatch(/^glasshouse-synthetic-.+\.csv$/);
    for (const format of ['sarif', 'md', 'html'] as const) {
      const out = await dispatch(engine.handlers, 'export.report', { format });
      expect(out.ok, JSON.stringify(out).slice(0, 300)).toBe(true);
    }
    // The contract rejects what the engine does not do: an unknown format, a renderer-chosen path.
    expect((await dispatch(engine.handlers, 'export.report', { format: 'pdf' })).ok).toBe(false);
    expect((await dispatch(engine.handlers, 'export.report', { format: 'html', path: '/etc/passwd' })).ok).toBe(false);
    expect((await dispatch(engine.handlers, 'secrets.set', { name: 'github-token', value: 'x' }))).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^Tokens cannot be stored here: no store in this test/) } });
  });
});
