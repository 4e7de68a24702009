import { describe, expect, it } from 'vitest';
import type { ProcessNode } from '../../../electron/common/model/process';
import { ancestorKeys, layoutProcessTree, rowAt, ROW_H } from './processTree';
import { buildFileRows } from '../features/files/fileTree';

const p = (tgid: number, start: number, parentKey?: string, extra: Partial<ProcessNode> = {}): ProcessNode => ({
  key: `${tgid}@${start}`, tgid, ppid: 0, parentKey, exe: `/bin/p${tgid}`, argv: [`p${tgid}`, 'arg'], uid: 0, comm: `p${tgid}`, start, lineage: [], containerId: 'c1', ...extra,
});

describe('process tree layout', () => {
  const procs = [p(1, 1), p(2, 5, '1@1'), p(3, 3, '1@1'), p(4, 6, '2@5', { exit: 9 }), p(9, 2, 'gone@0')];
  it('nests children under parents in start order, orphans under their container', () => {
    const l = layoutProcessTree(procs, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set() });
    expect(l.rows.map((r) => `${'.'.repeat(r.depth)}${r.proc?.tgid ?? r.root?.label}`)).toEqual(['web', '.1', '..3', '..2', '...4', '.9']);
    expect(l.rows[l.newest].proc?.tgid).toBe(4);
    expect(rowAt(l, { k: 1, y: 0 }, ROW_H * 2 + 1)).toBe(2);
  });
  it('collapses subtrees, searches keeping ancestors, hides exited', () => {
    const c = layoutProcessTree(procs, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set(['1@1']) });
    expect(c.rows.map((r) => r.key)).toEqual(['container:c1', '1@1', '9@2']);
    expect(c.rows[1].hiddenDescendants).toBe(3);
    const s = layoutProcessTree(procs, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set(), search: 'p4' });
    expect(s.rows.map((r) => r.key)).toEqual(['container:c1', '1@1', '2@5', '4@6']);
    expect(s.matches).toBe(1);
    const h = layoutProcessTree(procs, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set(), hideExited: true });
    expect(h.rows.some((r) => r.key === '4@6')).toBe(false);
    expect(ancestorKeys(new Map(procs.map((x) => [x.key, x])), '4@6')).toEqual(['2@5', '1@1', 'container:c1']);
  });
  it('lays out 10 000 processes quickly', () => {
    const many: ProcessNode[] = [p(1, 0)];
    for (let i = 2; i <= 10_000; i++) many.push(p(i, i, `${Math.max(1, Math.floor(i / 3))}@${Math.max(0, Math.floor(i / 3)) === 1 ? 0 : Math.floor(i / 3)}`));
    const t = performance.now();
    const l = layoutProcessTree(many, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set() });
    expect(l.rows.length).toBe(10_001);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('file tree rows', () => {
  it('folds single-child directories, counts drift, and filters by kind', () => {
    const ch = (path: string, kinds: ('created' | 'modified')[], executable = false) => ({ containerId: 'c', path, kinds, first: 1, last: 1, executable });
    const rows = buildFileRows([ch('/usr/local/bin/x', ['created'], true), ch('/etc/passwd', ['modified']), ch('/etc/hosts', ['modified'])], undefined, new Set());
    expect(rows.map((r) => `${r.depth}:${r.label}`)).toEqual(['0:etc', '1:hosts', '1:passwd', '0:usr/local/bin', '1:x']);
    expect(rows[3]).toMatchObject({ dir: true, drift: 1, files: 1 });
    expect(buildFileRows([ch('/etc/passwd', ['modified']), ch('/tmp/x', ['created'])], new Set(['created'] as const), new Set()).map((r) => r.label)).toEqual(['tmp', 'x']);
  });
});
