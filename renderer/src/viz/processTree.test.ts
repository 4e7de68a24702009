import { describe, expect, it } from 'vitest';
import type { ProcessNode } from '../../../electron/common/model/process';
import { ancestorKeys, layoutProcessTree, ProcessForest, rowAt, ROW_H, type TreeLayout } from './processTree';
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
  it('lays out 10 000 processes (its speed is measured in the views bench, not here)', () => {
    const many: ProcessNode[] = [p(1, 0)];
    for (let i = 2; i <= 10_000; i++) many.push(p(i, i, `${Math.max(1, Math.floor(i / 3))}@${Math.max(0, Math.floor(i / 3)) === 1 ? 0 : Math.floor(i / 3)}`));
    const l = layoutProcessTree(many, { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set() });
    expect(l.rows.length).toBe(10_001);
  });
});

describe('incremental process forest', () => {
  const shape = (l: TreeLayout) => l.rows.map((r) => `${r.depth}:${r.key}:${r.childCount}:${r.hiddenDescendants}:${r.parent}:${r.match ? 1 : 0}`);
  const cyclic = (procs: Map<string, ProcessNode>) => [...procs.values()].some((x) => {
    const seen = new Set<string>();
    for (let k = x.parentKey; k && procs.has(k); k = procs.get(k)!.parentKey) {
      if (k === x.key || seen.has(k)) return true;
      seen.add(k);
    }
    return false;
  });
  /** A small PRNG so the workload is reproducible. */
  const rnd = (seed: number) => () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

  it('equals the d3 layout after every batch of random arrivals, exits, re-parents, removals and late parents', () => {
    const r = rnd(7);
    const procs = new Map<string, ProcessNode>();
    const forest = new ProcessForest();
    const roots = [{ id: 'c1', label: 'web' }];
    let t = 10;
    for (let batch = 0; batch < 60; batch++) {
      const changed: string[] = [];
      for (let i = 0; i < 25; i++) {
        const keys = [...procs.keys()];
        const x = r();
        if (x < 0.55 || keys.length < 3) {
          // a new process: usually under an existing one, sometimes under a parent that arrives later
          const tgid = 100 + Math.floor(r() * 5000);
          const start = (t += 1 + Math.floor(r() * 3));
          const parentKey = r() < 0.8 && keys.length ? keys[Math.floor(r() * keys.length)] : r() < 0.5 ? `${tgid + 1}@${start + 40}` : undefined;
          const np = p(tgid, start, parentKey, { containerId: r() < 0.1 ? 'c2' : r() < 0.05 ? undefined : 'c1' });
          procs.set(np.key, np);
          changed.push(np.key);
        } else if (x < 0.8) {
          const k = keys[Math.floor(r() * keys.length)];
          procs.set(k, { ...procs.get(k)!, exit: t });
          changed.push(k);
        } else if (x < 0.9) {
          const k = keys[Math.floor(r() * keys.length)];
          procs.set(k, { ...procs.get(k)!, parentKey: keys[Math.floor(r() * keys.length)] });
          changed.push(k);
        } else {
          const k = keys[Math.floor(r() * keys.length)];
          procs.delete(k);
          changed.push(k);
        }
      }
      forest.apply(procs, changed);
      const collapsed = new Set(batch % 3 === 0 ? [...procs.keys()].slice(0, 5) : []);
      for (const opts of [{ roots, collapsed }, { roots, collapsed, search: 'p1' }, { roots, collapsed, hideExited: true }]) {
        const want = layoutProcessTree([...procs.values()], opts);
        const got = forest.layout(opts);
        // Cycles (a re-parent under a descendant) are cut differently by the two (d3 drops them): compare acyclic states.
        if (cyclic(procs)) continue;
        expect(shape(got)).toEqual(shape(want));
        expect([got.newest, got.matches, got.maxDepth]).toEqual([want.newest, want.matches, want.maxDepth]);
      }
      expect(forest.size).toBe(procs.size);
      expect(forest.exited).toBe([...procs.values()].filter((x) => x.exit !== undefined).length);
    }
  });

  it('updates 30 000 processes by the changed ones only (its speed: the views bench)', () => {
    const procs = new Map<string, ProcessNode>([['1@0', p(1, 0)]]);
    for (let i = 2; i <= 30_000; i++) procs.set(`${i}@${i}`, p(i, i, `${Math.max(1, Math.floor(i / 3))}@${Math.floor(i / 3) <= 1 ? 0 : Math.floor(i / 3)}`));
    const forest = new ProcessForest();
    forest.apply(procs);
    const opts = { roots: [{ id: 'c1', label: 'web' }], collapsed: new Set<string>() };
    expect(forest.layout(opts).rows.length).toBe(30_001);
    for (let f = 0; f < 10; f++) {
      const keys: string[] = [];
      for (let i = 0; i < 200; i++) {
        const n = 30_001 + f * 200 + i;
        procs.set(`${n}@${n}`, p(n, n, `${n - 29_000}@${n - 29_000}`));
        keys.push(`${n}@${n}`);
      }
      forest.apply(procs, keys);
      forest.layout(opts);
    }
    expect(forest.layout(opts).rows.length).toBe(32_001);
  });
});

describe('file tree rows', () => {
  it('folds single-child directories, counts drift, and filters by kind', () => {
    const ch = (path: string, kinds: ('created' | 'modified')[], executable = false) => ({ key: `c|${path}`, containerId: 'c', path, kinds, first: 1, last: 1, executable });
    const rows = buildFileRows([ch('/usr/local/bin/x', ['created'], true), ch('/etc/passwd', ['modified']), ch('/etc/hosts', ['modified'])], undefined, new Set());
    expect(rows.map((r) => `${r.depth}:${r.label}`)).toEqual(['0:etc', '1:hosts', '1:passwd', '0:usr/local/bin', '1:x']);
    expect(rows[3]).toMatchObject({ dir: true, drift: 1, files: 1 });
    expect(buildFileRows([ch('/etc/passwd', ['modified']), ch('/tmp/x', ['created'])], new Set(['created'] as const), new Set()).map((r) => r.label)).toEqual(['tmp', 'x']);
  });
});

describe('timeline bins', () => {
  it('bins view-model times like the axis maps them', async () => {
    const { binner, binTimes, timeAxis } = await import('./timeline');
    const axis = timeAxis([1_700_000_000_000, 1_700_000_010_000], 400);
    const times = Array.from({ length: 500 }, (_, i) => 1_700_000_000_000 + i * 20 + (i % 7));
    const b = binner(axis, 400);
    for (const t of times) b.add(t);
    expect([...b.done().counts]).toEqual([...binTimes(times, axis, 400).counts]);
  });
});
