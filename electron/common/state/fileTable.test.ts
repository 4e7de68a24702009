import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../model/event';
import { O_FLAGS } from '../model/event';
import { FileTable } from './fileTable';

const C = 'f'.repeat(64);
const proc = { key: '7@1', exe: '/bin/sh' };
const ev = (kind: string, ts: number, fields: Record<string, unknown>): RuntimeEvent =>
  ({ ts, seq: ts, pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 1, containerId: C, kind, ret: 0, ...fields }) as RuntimeEvent;
const W = O_FLAGS.O_WRONLY | O_FLAGS.O_CREAT | O_FLAGS.O_TRUNC;

describe('FileTable', () => {
  it('records created, modified, deleted, renamed and permission changes with first/last and the process', () => {
    const t = new FileTable();
    t.apply(ev('open', 1, { path: '/tmp/a', flags: W, mode: 0o644 }), proc);
    t.apply(ev('open', 2, { path: '/tmp/a', flags: O_FLAGS.O_WRONLY | O_FLAGS.O_APPEND, mode: 0 }), proc);
    t.apply(ev('open', 3, { path: '/etc/passwd', flags: 0, mode: 0 }), proc); // a read is not a change
    t.apply(ev('open', 3, { path: '/etc/shadow', flags: O_FLAGS.O_WRONLY, mode: 0, ret: -13 }), proc); // failed
    t.apply(ev('chmod', 4, { path: '/tmp/a', mode: 0o755 }), { key: '8@3', exe: '/bin/chmod' });
    t.apply(ev('rename', 5, { path: '/tmp/a', newPath: '/usr/bin/a' }), proc);
    t.apply(ev('unlink', 6, { path: '/var/log/x' }), proc);
    t.apply(ev('mkdir', 7, { path: '/data' }), proc);
    t.apply(ev('open', 8, { path: '/proc/self/attr/current', flags: O_FLAGS.O_WRONLY, mode: 0 }), proc);

    const a = t.get(C, '/tmp/a')!;
    expect(a.kinds).toEqual(['created', 'modified', 'permissions', 'deleted']);
    expect([a.first, a.last]).toEqual([1, 5]);
    expect(a.executable).toBe(true);
    const moved = t.get(C, '/usr/bin/a')!;
    expect(moved.kinds).toEqual(['renamed']);
    expect(moved.renamedFrom).toBe('/tmp/a');
    expect(moved.executable).toBe(true);
    expect(t.get(C, '/var/log/x')!.kinds).toEqual(['deleted']);
    expect(t.get(C, '/data')!.kinds).toEqual(['created']);
    expect(t.get(C, '/etc/passwd')).toBeUndefined();
    expect(t.get(C, '/etc/shadow')).toBeUndefined();
    expect(t.get(C, '/proc/self/attr/current')).toBeUndefined();
    expect(t.underPath(C, '/usr').map((f) => f.path)).toEqual(['/usr/bin/a']);
    expect(t.takeDirty()).toHaveLength(4);
    expect(t.takeDirty()).toHaveLength(0);
  });

  it('keeps the latest actor and the earliest time when events arrive out of order', () => {
    const t = new FileTable();
    t.apply(ev('open', 10, { path: '/x', flags: O_FLAGS.O_WRONLY, mode: 0 }), { key: 'late@1', exe: '/late' });
    t.apply(ev('open', 5, { path: '/x', flags: O_FLAGS.O_WRONLY, mode: 0 }), { key: 'early@1', exe: '/early' });
    const x = t.get(C, '/x')!;
    expect([x.first, x.last, x.exe]).toEqual([5, 10, '/late']);
  });

  it('merges docker diff: adds changes made before capture and corrects an O_CREAT guess', () => {
    const t = new FileTable();
    // O_CREAT on a path we saw written before is reported as modified until the diff says it is new.
    t.apply(ev('open', 1, { path: '/app/out', flags: O_FLAGS.O_WRONLY, mode: 0 }), proc);
    t.mergeDiff(C, [
      { Path: '/app/out', Kind: 1 },
      { Path: '/etc/hosts', Kind: 0 },
      { Path: '/root/.ash_history', Kind: 1 },
      { Path: '/bin/old', Kind: 2 },
    ], 100);
    expect(t.get(C, '/app/out')!.kinds).toEqual(['created']);
    expect(t.get(C, '/app/out')!.inDiff).toBe(true);
    expect(t.get(C, '/etc/hosts')!.kinds).toEqual(['modified']);
    expect(t.get(C, '/root/.ash_history')!.processKey).toBeUndefined();
    expect(t.get(C, '/bin/old')!.kinds).toEqual(['deleted']);
    expect(t.list(C)).toHaveLength(4);
  });
  it('gives each changed path one key, assigned when the row is made and kept through later changes and the diff', () => {
    const t = new FileTable();
    t.apply(ev('open', 1, { path: '/tmp/a', flags: W, mode: 0o644 }), proc);
    t.apply(ev('open', 2, { path: '/tmp/b', flags: W, mode: 0o644 }), proc);
    const first = t.takeDirty();
    const keyA = first.find((f) => f.path === '/tmp/a')!.key;
    expect(new Set(first.map((f) => f.key)).size).toBe(2);
    t.apply(ev('chmod', 3, { path: '/tmp/a', mode: 0o755 }), proc);
    t.mergeDiff(C, [{ Path: '/tmp/a', Kind: 1 }], 4);
    const later = t.takeDirty();
    expect(later.map((f) => f.key)).toEqual([keyA]);
    expect(t.keyOf(C, '/tmp/a')).toBe(keyA);
    expect(t.keyOf(C, '/tmp/none')).toBeUndefined();
    // The same path in another container is another row.
    t.apply({ ...ev('open', 5, { path: '/tmp/a', flags: W, mode: 0o644 }), containerId: 'e'.repeat(64) } as RuntimeEvent, proc);
    expect(t.keyOf('e'.repeat(64), '/tmp/a')).not.toBe(keyA);
  });
});
