// Recordings, snapshots and the data dir hold unredacted argv and container environments: this user alone may read them.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files this process creates are 0600 and directories 0700 (SQLite, snapshot bundles and exports included). */
export const PRIVATE_UMASK = 0o077;

/** For process entries (CLI, Electron main): worker threads may not set the umask, so libraries never call this. */
export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

/** Subfolders whose files were written before this rule existed, and are tightened when the engine starts. */
const PRIVATE_SUBDIRS = ['recordings', 'snapshots'];

/**
 * Creates the data dir 0700, or tightens an existing one (and the recordings and snapshots older versions left 0644)
 * when it belongs to this user. Returns what it could not tighten, as sentences, so a caller can say so.
 */
export function securePrivateDir(dir: string, opts: { create?: boolean } = {}): string[] {
  const problems: string[] = [];
  const uid = process.getuid?.();
  const tighten = (path: string, mode: number) => {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink() || (uid !== undefined && st.uid !== uid)) return; // not ours to change
      if ((st.mode & 0o777) !== mode && (st.mode & 0o077) !== 0) chmodSync(path, mode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing there yet: it will be created private
      problems.push(`${path} could not be made private (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  try {
    if (opts.create === false) lstatSync(dir);
    else mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    if (opts.create === false) return problems; // no data dir yet: whoever creates it makes it private
    problems.push(`${dir} could not be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return problems;
  }
  tighten(dir, 0o700);
  const walk = (path: string, depth: number) => {
    let entries;
    try { entries = readdirSync(path, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(path, e.name);
      if (e.isDirectory()) { tighten(p, 0o700); if (depth < 3) walk(p, depth + 1); } else if (e.isFile()) tighten(p, 0o600);
    }
  };
  for (const sub of PRIVATE_SUBDIRS) {
    const p = join(dir, sub);
    tighten(p, 0o700);
    walk(p, 0);
  }
  return problems;
}
