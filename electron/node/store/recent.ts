// The recently opened or written recordings, kept as a small JSON file in the user's config folder.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecentRecording as RecentEntry } from '../../common/ipc/contract';

/** One entry as kept on disk: the contract's shape without the live file size (measured when listed). */
export type RecentRecording = Omit<RecentEntry, 'bytes'>;

const FILE = 'recent-recordings.json';

export class RecentRecordings {
  private readonly file: string;

  /** @param configDir the user's config folder (e.g. Electron's userData); created when first written. */
  constructor(private readonly configDir: string, private readonly max = 20) {
    this.file = join(configDir, FILE);
  }

  list(): RecentRecording[] {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(parsed)) return [];
      // A hand-edited or damaged list loses only its bad entries.
      return parsed.filter((r): r is RecentRecording => !!r && typeof r.path === 'string' && typeof r.openedAt === 'number');
    } catch {
      return [];
    }
  }

  /** Adds or refreshes an entry; the most recent comes first. */
  add(entry: Omit<RecentRecording, 'openedAt'> & { openedAt?: number }): RecentRecording[] {
    const path = resolve(entry.path);
    const next = [{ ...entry, path, openedAt: entry.openedAt ?? Date.now() }, ...this.list().filter((r) => r.path !== path)].slice(0, this.max);
    this.write(next);
    return next;
  }

  remove(path: string): RecentRecording[] {
    const next = this.list().filter((r) => r.path !== resolve(path));
    this.write(next);
    return next;
  }

  private write(list: RecentRecording[]): void {
    mkdirSync(this.configDir, { recursive: true });
    // Write then rename, so a crash never leaves half a list.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(list, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}
