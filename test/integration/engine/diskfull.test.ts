// A full disk stops the recording cleanly with a clear error, and the file stays readable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingStore } from '../../../electron/node/store/index';
import { Recorder } from '../../../electron/node/recorder';
import { SyntheticSource } from '../../../electron/node/capture/synthetic';

const dir = mkdtempSync(join(tmpdir(), 'gh-full-'));
let mounted = false;
beforeAll(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  mounted = true;
});
afterAll(() => {
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe('disk full while recording', () => {
  it('stops with a sentence naming the file, and what was committed stays readable', async () => {
    const file = join(dir, 'full.glasshouse');
    const store = RecordingStore.create(file, {}, { flushIntervalMs: 20, flushEvents: 2000 });
    const source = new SyntheticSource({ events: 2_000_000, seed: 4, batchSize: 1000 });
    const rec = new Recorder({ source, store });
    await rec.start();
    const summary = await rec.done;

    expect(summary.error?.code).toBe('DISK_FULL');
    expect(summary.error?.message).toContain(file);
    expect(summary.error?.message).toMatch(/full.*recording stopped/);
    expect(summary.error?.hint).toMatch(/Free some disk space/);
    // The capture stopped instead of running on into the void.
    expect(summary.end.reason).toBe('stopped');
    expect(summary.events).toBeLessThan(2_000_000);
    const written = store.stats().eventsWritten;
    expect(written).toBeGreaterThan(0);

    const ro = RecordingStore.open(file, { readonly: true });
    const info = ro.info();
    expect(info.events).toBe(written);
    expect(ro.eventsInWindow({ limit: 10 })).toHaveLength(10);
    ro.close();
  });
});
