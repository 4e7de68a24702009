// Changed paths folded into a directory tree (single-child directories merged), as flat rows for a list.
import type { FileChange, FileChangeKind } from '../../../../electron/common/model/process';

export interface FileRow {
  key: string;
  depth: number;
  /** Directory label ("etc/nginx") or file name. */
  label: string;
  dir: boolean;
  change?: FileChange;
  /** For directories: changed files below, and how many are new executables. */
  files: number;
  drift: number;
}

interface Dir { name: string; dirs: Map<string, Dir>; files: FileChange[]; count: number; drift: number }

export function isDrift(f: FileChange): boolean {
  return !!f.executable && (f.kinds.includes('created') || f.kinds.includes('permissions') || f.kinds.includes('modified'));
}

export function buildFileRows(changes: readonly FileChange[], kinds: ReadonlySet<FileChangeKind> | undefined, collapsed: ReadonlySet<string>): FileRow[] {
  const root: Dir = { name: '', dirs: new Map(), files: [], count: 0, drift: 0 };
  for (const f of changes) {
    if (kinds && !f.kinds.some((k) => kinds.has(k))) continue;
    const parts = f.path.split('/').filter(Boolean);
    let d = root;
    d.count++;
    if (isDrift(f)) d.drift++;
    for (let i = 0; i < parts.length - 1; i++) {
      let n = d.dirs.get(parts[i]);
      if (!n) d.dirs.set(parts[i], (n = { name: parts[i], dirs: new Map(), files: [], count: 0, drift: 0 }));
      d = n;
      d.count++;
      if (isDrift(f)) d.drift++;
    }
    d.files.push(f);
  }
  const rows: FileRow[] = [];
  const walk = (d: Dir, depth: number, prefix: string) => {
    for (const sub of [...d.dirs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      // "usr/local/bin" as one row when the chain has no other entries: shallower trees for deep paths.
      let label = sub.name;
      let n = sub;
      while (n.files.length === 0 && n.dirs.size === 1) {
        n = [...n.dirs.values()][0];
        label += `/${n.name}`;
      }
      const key = `dir:${prefix}/${label}`;
      rows.push({ key, depth, label, dir: true, files: n.count, drift: n.drift });
      if (!collapsed.has(key)) walk(n, depth + 1, `${prefix}/${label}`);
    }
    for (const f of d.files.sort((a, b) => a.path.localeCompare(b.path))) {
      rows.push({ key: f.key, depth, label: f.path.slice(f.path.lastIndexOf('/') + 1), dir: false, change: f, files: 1, drift: isDrift(f) ? 1 : 0 });
    }
  };
  walk(root, 0, '');
  return rows;
}
