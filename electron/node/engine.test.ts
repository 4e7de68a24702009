// Which recording paths a page may open (issue 16.12): the engine's recordings folder and its recent list only.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedRecordingPath } from './engine';

const dir = mkdtempSync(join(tmpdir(), 'gh-allowed-'));
const recordings = join(dir, 'recordings');
mkdirSync(recordings);
writeFileSync(join(recordings, 'a.glasshouse'), 'x');
writeFileSync(join(dir, 'outside.glasshouse'), 'x');
symlinkSync(join(dir, 'outside.glasshouse'), join(recordings, 'link.glasshouse'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('allowedRecordingPath', () => {
  it('allows a file in the recordings folder, by any spelling of its path', () => {
    expect(allowedRecordingPath(join(recordings, 'a.glasshouse'), recordings, [])).toBe(join(recordings, 'a.glasshouse'));
    expect(allowedRecordingPath(join(recordings, 'sub', '..', 'a.glasshouse'), recordings, [])).toBe(join(recordings, 'a.glasshouse'));
  });

  it('refuses any other path, a .. out of the folder and a symlink that leads out, naming the folder', () => {
    for (const p of ['/etc/shadow', join(dir, 'outside.glasshouse'), join(recordings, '..', 'outside.glasshouse'), join(recordings, 'link.glasshouse'), recordings, join(recordings, 'missing.glasshouse')]) {
      expect(() => allowedRecordingPath(p, recordings, []), p).toThrow(new RegExp(`from its recordings folder \\(${recordings}\\) or its recent list, not `));
    }
  });

  it('allows exactly what the recent list holds (written by the engine when the user opened or made it)', () => {
    expect(allowedRecordingPath(join(dir, 'outside.glasshouse'), recordings, [join(dir, 'outside.glasshouse')])).toBe(join(dir, 'outside.glasshouse'));
  });
});
