// The worker probe of a foreign recording (issue 16.6): a file that takes too long to read costs a worker and
// gives a sentence; a good file passes; the engine's thread keeps running meanwhile.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeRecording } from './probe';
import { RecordingStore } from './recordingStore';

const dir = mkdtempSync(join(tmpdir(), 'gh-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('probeRecording', () => {
  it('passes a recording that answers in time', async () => {
    const p = join(dir, 'ok.glasshouse');
    RecordingStore.create(p, { title: 'ok' }).close();
    await expect(probeRecording(p, 15_000)).resolves.toBeUndefined();
  });

  it('gives up on a file that keeps SQLite busy past the limit, with a sentence, while this thread runs on', async () => {
    const p = join(dir, 'slow.glasshouse');
    const db = new Database(p);
    db.exec('CREATE TABLE big (a INTEGER, b TEXT)');
    const ins = db.prepare('INSERT INTO big VALUES (?, ?)');
    db.transaction(() => { for (let i = 0; i < 400_000; i++) ins.run(i, 'x'.repeat(200)); })();
    db.close();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await expect(probeRecording(p, 5)).rejects.toThrow(/took longer than 5 ms to read, so Glasshouse stopped reading it/);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0); // this thread was never blocked by the read
  });
});
