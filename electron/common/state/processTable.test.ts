import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../model/event';
import { LINEAGE_CAP, ProcessTable } from './processTable';
import { WorldState } from './worldState';

const C = 'c'.repeat(64);
let seq = 0;
const base = (tgid: number, ts: number, extra: Partial<RuntimeEvent> = {}) => ({
  ts, seq: ++seq, pid: tgid, tgid, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 1, containerId: C, ...extra,
});
const fork = (tgid: number, child: number, ts: number, thread = false): RuntimeEvent =>
  ({ ...base(tgid, ts), kind: 'fork', childPid: child, childTgid: thread ? tgid : child, thread }) as RuntimeEvent;
const exec = (tgid: number, ts: number, filename: string, argv: string[] = [filename]): RuntimeEvent =>
  ({ ...base(tgid, ts), kind: 'exec', filename, argv, ret: 0 }) as RuntimeEvent;
const exit = (tgid: number, ts: number, code = 0, thread = false, pid = tgid): RuntimeEvent =>
  ({ ...base(tgid, ts), pid, kind: 'exit', code, signal: 0, thread }) as RuntimeEvent;

describe('ProcessTable', () => {
  it('marks a `docker exec` process first seen through runc inside the container, and its children', () => {
    const t = new ProcessTable();
    t.seed([{ tgid: 100, ppid: 90, exe: '/bin/sleep', argv: ['sleep', '1000'], uid: 0, comm: 'sleep', start: 1, containerId: C }]);
    t.setContainerInit(C, 100);
    // runc's exec child is first seen by its capset (any non-exec event), then execs the shell.
    t.apply({ ...base(200, 10, { ppid: 80, comm: 'runc:[2:INIT]' }), kind: 'capset', effective: '0', permitted: '0', ret: 0 } as RuntimeEvent);
    t.apply({ ...exec(200, 11, '/bin/sh', ['sh']), ppid: 80 } as RuntimeEvent);
    t.apply(fork(200, 201, 12));
    t.apply(exec(201, 13, '/bin/id', ['id']));
    expect(t.byPid(200)!.fromExec).toBe(true);
    expect(t.byPid(201)!.fromExec).toBe(true);
    expect(t.byPid(100)!.fromExec).toBeFalsy();
  });

  it('does not call the container init itself an exec when it is first seen acting', () => {
    const t = new ProcessTable();
    t.setContainerInit(C, 300);
    t.apply({ ...base(300, 5, { ppid: 80 }), kind: 'capset', effective: '0', permitted: '0', ret: 0 } as RuntimeEvent);
    t.apply({ ...exec(300, 6, '/app/server'), ppid: 80 } as RuntimeEvent);
    expect(t.byPid(300)!.fromExec).toBeFalsy();
  });

  it('builds the tree from fork/exec and keeps exec lineage', () => {
    const t = new ProcessTable();
    t.seed([{ tgid: 100, ppid: 1, exe: '/bin/sh', argv: ['sh'], uid: 0, comm: 'sh', start: 1, containerId: C }]);
    t.apply(fork(100, 101, 10));
    t.apply(exec(101, 11, '/bin/busybox', ['busybox', 'sh', '-c', 'x']));
    t.apply(exec(101, 12, '/bin/ls', ['ls', '-l']));
    const child = t.byPid(101)!;
    expect(child.key).toBe('101@10');
    expect(child.parentKey).toBe('100@1');
    expect(child.exe).toBe('/bin/ls');
    expect(child.comm).toBe('ls');
    // The program inherited through fork is not lineage; the first exec'd program is.
    expect(child.lineage.map((l) => l.exe)).toEqual(['/bin/busybox']);
    expect(t.children('100@1').map((p) => p.key)).toEqual(['101@10']);
    expect(t.subtree('100@1').map((p) => p.tgid)).toEqual([100, 101]);
  });

  it('caps a looping pid\'s exec lineage at its first program and the latest ones, and counts what it left out', () => {
    const t = new ProcessTable();
    t.apply(exec(400, 1, '/bin/prog0'));
    const n = LINEAGE_CAP + 10;
    for (let i = 1; i <= n; i++) t.apply(exec(400, 1 + i, `/bin/prog${i}`));
    const p = t.byPid(400)!;
    expect(p.exe).toBe(`/bin/prog${n}`);
    expect(p.lineage).toHaveLength(LINEAGE_CAP);
    expect(p.lineage[0].exe).toBe('/bin/prog0');
    expect(p.lineage[1].exe).toBe(`/bin/prog${n - LINEAGE_CAP + 1}`);
    expect(p.lineage[LINEAGE_CAP - 1].exe).toBe(`/bin/prog${n - 1}`);
    expect(p.lineageOmitted).toBe(n - LINEAGE_CAP);
  });

  it('folds threads into their process and ignores thread exits', () => {
    const t = new ProcessTable();
    t.apply(exec(200, 1, '/usr/bin/node'));
    t.apply(fork(200, 201, 2, true));
    t.apply(fork(200, 202, 3, true));
    t.apply(exit(200, 4, 0, true, 201));
    expect(t.size).toBe(1);
    expect(t.byPid(200)!.threads).toBe(1);
    expect(t.byPid(200)!.exit).toBeUndefined();
  });

  it('ends the process at its last thread exit even when that thread is not the leader (leader left first)', () => {
    const t = new ProcessTable();
    t.apply(exec(300, 1, '/usr/bin/java'));
    t.apply(fork(300, 301, 2, true));
    t.apply(exit(300, 3, 0, true, 300)); // the leader's pthread_exit: a thread exit
    expect(t.byPid(300)!.exit).toBeUndefined();
    t.apply(exit(300, 4, 7, false, 301)); // the last thread: the process exit
    expect(t.byPid(300)!.exit).toBe(4);
    expect(t.byPid(300)!.exitCode).toBe(7);
  });

  it('keeps two processes apart when a pid is reused', () => {
    const t = new ProcessTable();
    t.apply(exec(10, 1, '/bin/sh'));
    t.apply(fork(10, 50, 2));
    t.apply(exec(50, 3, '/bin/first'));
    t.apply(exit(50, 4, 3));
    // Well after the exit, pid 50 comes back as another program.
    t.apply(fork(10, 50, 10_000));
    t.apply(exec(50, 10_001, '/bin/second'));
    const first = t.get('50@2')!;
    const second = t.get('50@10000')!;
    expect(first.exe).toBe('/bin/first');
    expect(first.exitCode).toBe(3);
    expect(second.exe).toBe('/bin/second');
    expect(second.exit).toBeUndefined();
    expect(t.byPid(50)).toBe(second);
  });

  it('closes a process whose exit was lost when its pid is forked again', () => {
    const t = new ProcessTable();
    t.apply(exec(10, 1, '/bin/sh'));
    t.apply(fork(10, 60, 2));
    t.apply(fork(10, 60, 50));
    expect(t.get('60@2')!.exit).toBe(50);
    expect(t.get('60@50')!.exit).toBeUndefined();
  });

  it('adopts a child whose exec arrived before its fork (out of order)', () => {
    const t = new ProcessTable();
    t.apply(exec(10, 1, '/bin/sh'));
    t.apply(exec(70, 5.2, '/bin/cat'));
    t.apply(fork(10, 70, 5.1));
    expect(t.size).toBe(2);
    const child = t.byPid(70)!;
    expect(child.parentKey).toBe(t.byPid(10)!.key);
    expect(child.exe).toBe('/bin/cat');
    expect(child.inferred).toBe(false);
  });

  it('attributes a late event to the process that already exited', () => {
    const t = new ProcessTable();
    t.apply(exec(80, 1, '/bin/sh'));
    t.apply(exit(80, 5));
    const late = { ...base(80, 4.9), kind: 'open', path: '/x', flags: 0, mode: 0, ret: 3 } as RuntimeEvent;
    expect(t.apply(late).key).toBe('80@1');
    expect(t.size).toBe(1);
  });

  it('tracks ancestry past the container init to the runtime, and marks docker exec sessions', () => {
    const t = new ProcessTable();
    t.seed([
      { tgid: 1, ppid: 0, exe: '/sbin/init', argv: ['init'], uid: 0, comm: 'systemd', start: 0 },
      { tgid: 900, ppid: 1, exe: '/usr/bin/containerd-shim-runc-v2', argv: ['containerd-shim-runc-v2'], uid: 0, comm: 'containerd-shim', start: 5 },
      { tgid: 1000, ppid: 900, exe: '/bin/sleep', argv: ['sleep', '100'], uid: 0, comm: 'sleep', start: 10, containerId: C },
    ]);
    t.setContainerInit(C, 1000);
    // docker exec: runc (a host process child of the shim) forks into the container.
    t.apply({ ...fork(900, 1100, 20), containerId: undefined });
    t.apply(exec(1100, 21, '/bin/sh'));
    t.apply(fork(1100, 1101, 22));
    t.apply(exec(1101, 23, '/bin/id'));
    expect(t.ancestry('1101@22').map((p) => p.comm)).toEqual(['systemd', 'containerd-shim', 'sh', 'id']);
    expect(t.byPid(1100)!.fromExec).toBe(true);
    expect(t.byPid(1101)!.fromExec).toBe(true);
    expect(t.byPid(1000)!.fromExec).toBeFalsy();
    expect(t.roots(C).map((p) => p.tgid).sort()).toEqual([1000, 1100]);
    expect(t.countIn(C)).toBe(3);
  });

  it('survives an exec storm with bounded work per event', () => {
    const t = new ProcessTable();
    t.apply(exec(2, 0, '/bin/sh'));
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const pid = 10_000 + (i % 8_000); // pids wrap and get reused
      const ts = 1 + i * 0.01;
      t.apply(fork(2, pid, ts));
      t.apply(exec(pid, ts + 0.001, '/bin/true'));
      t.apply(exit(pid, ts + 0.002));
    }
    expect(t.size).toBe(n + 1);
    expect(t.children(t.byPid(2)!.key)).toHaveLength(n); // its speed is the engine bench's (no clock in unit tests)
  });
});

describe('WorldState', () => {
  it('drops exact duplicate events and counts them', () => {
    const w = new WorldState();
    const a = exec(300, 1, '/bin/sh');
    const b = fork(300, 301, 2);
    w.applyBatch([a, b]);
    w.applyBatch([a, b]);
    expect(w.counters.events).toBe(2);
    expect(w.counters.duplicates).toBe(2);
    expect(w.processes.size).toBe(2);
    expect(w.processes.byPid(300)!.lineage).toHaveLength(0);
  });

  it('yields only what changed since the last delta', () => {
    const w = new WorldState();
    w.apply(exec(400, 1, '/bin/sh'));
    const d1 = w.takeDelta();
    expect(d1.processes).toHaveLength(1);
    expect(d1.containers).toHaveLength(1);
    expect(w.takeNewContainers()).toEqual([C]);
    const d2 = w.takeDelta();
    expect(d2.processes).toHaveLength(0);
    expect(d2.counters.byKind.exec).toBe(1);
  });
});

describe('ProcessTable.isRuntimeSetup', () => {
  const mount = (tgid: number, ts: number): RuntimeEvent => ({ ...base(tgid, ts), kind: 'mount', path: '/proc', ret: 0 }) as unknown as RuntimeEvent;
  it('is runc init (re-exec inside the new cgroup, its child and init stages) until the command is exec\'d', () => {
    const t = new ProcessTable();
    // as recorded from runc 1.1 on Docker 20.10: the exec is the first event, its fork came from outside the cgroup
    t.apply({ ...exec(500, 1, '/dev/fd/6', ['runc', 'init']), ppid: 490 } as RuntimeEvent);
    t.apply(fork(500, 501, 2));
    t.apply({ ...fork(501, 502, 3), ppid: 500 } as RuntimeEvent);
    t.apply({ ...mount(502, 4), ppid: 501 } as RuntimeEvent);
    expect([500, 501, 502].map((p) => t.isRuntimeSetup(p))).toEqual([true, true, true]);
    t.apply({ ...exec(502, 5, '/bin/sh', ['sh', '-c', 'x']), ppid: 501 } as RuntimeEvent);
    expect(t.isRuntimeSetup(502)).toBe(false);
  });

  it('is runc init run by its path, as Podman\'s conmon runs it (argv "/usr/bin/runc init")', () => {
    const t = new ProcessTable();
    t.apply({ ...exec(800, 1, '/dev/fd/6', ['/usr/bin/runc', 'init']), ppid: 790 } as RuntimeEvent);
    t.apply(fork(800, 801, 2));
    t.apply({ ...mount(801, 3), ppid: 800 } as RuntimeEvent);
    expect([t.isRuntimeSetup(800), t.isRuntimeSetup(801)]).toEqual([true, true]);
    t.apply({ ...exec(801, 4, '/bin/sh', ['sh', '-c', 'x']), ppid: 800 } as RuntimeEvent);
    expect(t.isRuntimeSetup(801)).toBe(false);
  });

  it('is runc init first seen after its re-exec (no argv, task name runc)', () => {
    const t = new ProcessTable();
    t.apply({ ...mount(700, 1), ppid: 690, comm: 'runc' } as RuntimeEvent);
    t.apply({ ...fork(700, 701, 2), comm: 'runc' } as RuntimeEvent);
    t.apply({ ...mount(701, 3), ppid: 700, comm: 'runc' } as RuntimeEvent);
    expect([t.isRuntimeSetup(700), t.isRuntimeSetup(701)]).toEqual([true, true]);
    t.apply({ ...exec(701, 4, '/app/server', ['server']), ppid: 700 } as RuntimeEvent);
    expect(t.isRuntimeSetup(701)).toBe(false);
  });

  it('is not a program in the container that calls itself "runc init"', () => {
    const t = new ProcessTable();
    t.apply({ ...exec(600, 1, '/bin/sh', ['sh']), ppid: 590 } as RuntimeEvent);
    t.apply(fork(600, 601, 2));
    t.apply({ ...exec(601, 3, '/tmp/runc', ['runc', 'init']), ppid: 600 } as RuntimeEvent);
    expect(t.isRuntimeSetup(601)).toBe(false);
  });
});
