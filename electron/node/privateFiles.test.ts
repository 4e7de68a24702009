// The data dir is made 0700 and files older versions left world-readable are tightened; other users' files are left.
import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { securePrivateDir } from './privateFiles';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('securePrivateDir', () => {
  it('creates the data dir 0700 and tightens old recordings, snapshots and their folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-private-'));
    const fresh = join(root, 'new', 'glasshouse');
    expect(securePrivateDir(fresh)).toEqual([]);
    expect(mode(fresh)).toBe(0o700);

    const old = join(root, 'old');
    mkdirSync(join(old, 'recordings'), { recursive: true, mode: 0o755 });
    mkdirSync(join(old, 'snapshots', 'web-1'), { recursive: true, mode: 0o755 });
    writeFileSync(join(old, 'recordings', 'a.glasshouse'), 'x', { mode: 0o644 });
    writeFileSync(join(old, 'snapshots', 'web-1', 'fs.tar'), 'x', { mode: 0o644 });
    writeFileSync(join(root, 'elsewhere.txt'), 'x', { mode: 0o644 });
    symlinkSync(join(root, 'elsewhere.txt'), join(old, 'recordings', 'link.glasshouse'));
    for (const p of [old, join(old, 'recordings'), join(old, 'snapshots'), join(old, 'snapshots', 'web-1')]) chmodSync(p, 0o755);

    expect(securePrivateDir(old)).toEqual([]);
    expect(mode(old)).toBe(0o700);
    expect(mode(join(old, 'recordings'))).toBe(0o700);
    expect(mode(join(old, 'snapshots', 'web-1'))).toBe(0o700);
    expect(mode(join(old, 'recordings', 'a.glasshouse'))).toBe(0o600);
    expect(mode(join(old, 'snapshots', 'web-1', 'fs.tar'))).toBe(0o600);
    // A symlink is not followed: what it points to is not ours to change.
    expect(mode(join(root, 'elsewhere.txt'))).toBe(0o644);
  });
});
