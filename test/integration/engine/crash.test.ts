// A recording engine killed with SIGKILL: the file reopens and holds every event committed before the kill.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { RecordingStore } from '../../../electron/node/store/index';
import { FileFormatError } from '../../../electron/common/ipc/errors';

const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'gh-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles a small engine script so a real, separate Node process records (and can be killed). */
function engineScript(): string {
  const entry = join(dir, 'engine.ts');
  writeFileSync(entry, `
    import { RecordingStore } from ${JSON.stringify(join(root, 'electron/node/store/index'))};
    import { Recorder } from ${JSON.stringify(join(root, 'electron/node/recorder'))};
    import { SyntheticSource } from ${JSON.stringify(join(root, 'electron/node/capture/synthetic'))};
    const store = RecordingStore.create(process.argv[2], {}, { flushIntervalMs: 50 });
    const rec = new Recorder({ source: new SyntheticSource({ events: 50_000_000, seed: 9 }), store });
    // Report what is durably committed, so the parent knows the floor of what must survive.
    setInterval(() => process.stdout.write('committed ' + store.stats().eventsWritten + '\\n'), 20);
    rec.start();
  `);
  const out = join(dir, 'engine.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['better-sqlite3'], logLevel: 'error' });
  return out;
}

describe('recording survives SIGKILL', () => {
  it('reopens with everything committed before the kill', async () => {
    const file = join(dir, 'killed.glasshouse');
    const child = spawn(process.execPath, [engineScript(), file], {
      env: { ...process.env, NODE_PATH: join(root, 'node_modules') }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let committed = 0;
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (b: Buffer) => {
        for (const m of b.toString().matchAll(/committed (\d+)/g)) committed = Number(m[1]);
        if (committed >= 150_000) {
          child.kill('SIGKILL');
          done();
        }
      });
      child.on('exit', (code) => (code !== null ? fail(new Error(`engine exited early with ${code}`)) : undefined));
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    // Reading needs no repair step; opening for writing also rebuilds the indexes an unclosed file lacks.
    const ro = RecordingStore.open(file, { readonly: true });
    const info = ro.info();
    expect(info.events).toBeGreaterThanOrEqual(committed);
    expect(info.meta.finishedAt).toBeUndefined();
    const lastIds = ro.eventsAfter(info.events - 5, 10).map((e) => e.id);
    expect(lastIds[lastIds.length - 1]).toBe(info.events); // no holes: ids run 1..n
    expect(ro.processes().length).toBeGreaterThan(0);
    ro.close();
    const rw = RecordingStore.open(file);
    expect(rw.eventsInWindow({ kinds: ['connect'], limit: 5 })).toHaveLength(5);
    rw.close();
    expect(() => RecordingStore.open(join(dir, 'engine.cjs'))).toThrow(FileFormatError);
  });
});
