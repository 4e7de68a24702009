// Files a container changed, per path: created/modified/deleted/renamed/permissions, merged with `docker diff`.
import type { FileChange, FileChangeKind } from '../model/process';
import type { RuntimeEvent } from '../model/event';
import { O_FLAGS } from '../model/event';
import { fileKeyOf } from './keys';

/** One entry of `docker diff` as the Engine API returns it: Kind 0 modified, 1 added, 2 deleted. */
export interface DockerDiffEntry {
  Path: string;
  Kind: 0 | 1 | 2;
}

const WRITE_FLAGS = O_FLAGS.O_WRONLY | O_FLAGS.O_RDWR | O_FLAGS.O_CREAT | O_FLAGS.O_TRUNC | O_FLAGS.O_APPEND;
const EXEC_BITS = 0o111;

/** Pseudo filesystems: writes there are not changes to the container's filesystem. */
function isPseudoPath(path: string): boolean {
  return path.startsWith('/proc/') || path.startsWith('/sys/') || path.startsWith('/dev/');
}

export interface ActingProcess {
  key: string;
  exe: string;
}

export class FileTable {
  private readonly byContainer = new Map<string, Map<string, FileChange>>();
  private dirty = new Set<FileChange>();

  /** Applies one event; events that change nothing on disk return quickly without a lookup. */
  apply(e: RuntimeEvent, proc: ActingProcess | undefined): void {
    const cid = e.containerId;
    if (cid === undefined) return;
    switch (e.kind) {
      case 'open': {
        if ((e.flags & WRITE_FLAGS) === 0 || e.ret < 0 || isPseudoPath(e.path)) return;
        const creating = (e.flags & O_FLAGS.O_CREAT) !== 0;
        const existing = this.byContainer.get(cid)?.get(e.path);
        // O_CREAT on a path we have not seen is a creation; we cannot tell an existing image file from
        // here, which is why `docker diff` (added vs modified) has the last word when merged.
        const kind: FileChangeKind = creating && (!existing || existing.kinds.includes('deleted')) ? 'created' : 'modified';
        const fc = this.touch(cid, e.path, kind, e.ts, proc);
        if (kind === 'created' && (e.mode & EXEC_BITS) !== 0) {
          fc.mode = e.mode;
          fc.executable = true;
        }
        return;
      }
      case 'unlink':
        if (e.ret < 0) return;
        this.touch(cid, e.path, 'deleted', e.ts, proc);
        return;
      case 'mkdir':
        if (e.ret < 0) return;
        this.touch(cid, e.path, 'created', e.ts, proc);
        return;
      case 'rename': {
        if (e.ret < 0) return;
        const from = this.byContainer.get(cid)?.get(e.path);
        this.touch(cid, e.path, 'deleted', e.ts, proc);
        const to = this.touch(cid, e.newPath, 'renamed', e.ts, proc);
        to.renamedFrom = e.path;
        if (from?.executable) to.executable = true;
        return;
      }
      case 'link':
      case 'symlink':
        if (e.ret < 0) return;
        this.touch(cid, e.newPath, 'created', e.ts, proc);
        return;
      case 'chmod': {
        if (e.ret < 0) return;
        const fc = this.touch(cid, e.path, 'permissions', e.ts, proc);
        fc.mode = e.mode;
        // Making a file executable that this container wrote is drift: code that did not come from the image.
        if ((e.mode & EXEC_BITS) !== 0 && (fc.kinds.includes('created') || fc.kinds.includes('modified'))) fc.executable = true;
        return;
      }
      case 'chown':
        if (e.ret < 0) return;
        this.touch(cid, e.path, 'permissions', e.ts, proc);
        return;
      default:
        return;
    }
  }

  /** Folds in `docker diff`: the image-relative truth, also covering changes made before capture started. */
  mergeDiff(containerId: string, diff: DockerDiffEntry[], ts: number): void {
    for (const d of diff) {
      const kind: FileChangeKind = d.Kind === 1 ? 'created' : d.Kind === 2 ? 'deleted' : 'modified';
      let fc = this.byContainer.get(containerId)?.get(d.Path);
      if (!fc) {
        fc = this.touch(containerId, d.Path, kind, ts, undefined);
      } else {
        if (kind === 'created' && fc.kinds.includes('modified') && !fc.kinds.includes('created')) {
          // Our O_CREAT guess said "modified"; the image says the file is new.
          fc.kinds = fc.kinds.filter((k) => k !== 'modified');
        }
        if (!fc.kinds.includes(kind)) fc.kinds.push(kind);
        this.dirty.add(fc);
      }
      fc.inDiff = true;
    }
  }

  get(containerId: string, path: string): FileChange | undefined {
    return this.byContainer.get(containerId)?.get(path);
  }

  /** The key of the file change recorded for `path` in a container, if the table has one. */
  keyOf(containerId: string, path: string): string | undefined {
    return this.byContainer.get(containerId)?.get(path)?.key;
  }

  list(containerId?: string): FileChange[] {
    if (containerId !== undefined) return [...(this.byContainer.get(containerId)?.values() ?? [])];
    const out: FileChange[] = [];
    for (const m of this.byContainer.values()) for (const fc of m.values()) out.push(fc);
    return out;
  }

  /** Changes under a directory (or the exact path), e.g. "/etc". */
  underPath(containerId: string, prefix: string): FileChange[] {
    const dir = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return this.list(containerId).filter((fc) => fc.path === prefix || fc.path.startsWith(dir));
  }

  get size(): number {
    let n = 0;
    for (const m of this.byContainer.values()) n += m.size;
    return n;
  }

  takeDirty(): FileChange[] {
    if (this.dirty.size === 0) return [];
    const out = [...this.dirty];
    this.dirty = new Set();
    return out;
  }

  private touch(cid: string, path: string, kind: FileChangeKind, ts: number, proc: ActingProcess | undefined): FileChange {
    let m = this.byContainer.get(cid);
    if (!m) this.byContainer.set(cid, (m = new Map()));
    let fc = m.get(path);
    if (!fc) {
      fc = { key: fileKeyOf(cid, path), containerId: cid, path, kinds: [kind], first: ts, last: ts, processKey: proc?.key, exe: proc?.exe };
      m.set(path, fc);
    } else {
      if (fc.kinds[fc.kinds.length - 1] !== kind && !fc.kinds.includes(kind)) fc.kinds.push(kind);
      if (kind === 'created' && fc.kinds.includes('deleted')) {
        // Deleted then re-created: it exists again.
        fc.kinds = fc.kinds.filter((k) => k !== 'deleted');
      }
      // Out-of-order delivery: first/last are extremes, and "who did it" follows the latest change.
      if (ts < fc.first) fc.first = ts;
      if (ts >= fc.last) {
        fc.last = ts;
        if (proc) {
          fc.processKey = proc.key;
          fc.exe = proc.exe;
        }
      }
    }
    this.dirty.add(fc);
    return fc;
  }
}
