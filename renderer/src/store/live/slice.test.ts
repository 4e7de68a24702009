import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../../../electron/common/model/process';
import { flow, frame, proc } from './fixtures';
import { emptyWorld, fileKey, flowKey, reduceFrame, RESOURCE_CAP, TAIL_CAP } from './slice';
import { classifyFlow, egressSummary, filesIn, processesIn } from './selectors';

describe('reduceFrame', () => {
  it('upserts view models by identity, latest wins, without mutating the previous world', () => {
    const w0 = emptyWorld();
    const w1 = reduceFrame(w0, frame({ processes: [proc(10, 100)], files: [{ containerId: 'c1', path: '/etc/x', kinds: ['created'], first: 110, last: 110 }] }));
    const w2 = reduceFrame(w1, frame({ processes: [proc(10, 100, { exit: 300 }), proc(11, 150)] }));
    expect(w0.processes.size).toBe(0);
    expect(w1.processes.get('10@100')?.exit).toBeUndefined();
    expect(w2.processes.get('10@100')?.exit).toBe(300);
    expect(w2.processes.size).toBe(2);
    // untouched tables keep their identity so views over them do not recompute
    expect(w2.files).toBe(w1.files);
    expect(w2.files.get(fileKey({ containerId: 'c1', path: '/etc/x' }))?.kinds).toEqual(['created']);
    expect([w2.firstTs, w2.lastTs]).toEqual([100, 300]);
    expect(w2.rev).toBe(2);
  });
  it('keys pid reuse apart, and ignores seeded start times for the time span', () => {
    const w = reduceFrame(emptyWorld(), frame({ processes: [proc(10, 100), proc(10, 500), proc(1, 5, { seeded: true })] }));
    expect(w.processes.size).toBe(3);
    expect(w.firstTs).toBe(100);
  });
  it('caps the raw tail and per-container resource history', () => {
    let w = emptyWorld();
    const ev = (i: number) => ({ kind: 'exit', ts: i, seq: i, pid: 1, tgid: 1, ppid: 0, uid: 0, gid: 0, comm: 'x', cgroupId: '1', mntns: 1, code: 0, signal: 0, thread: false }) as const;
    for (let b = 0; b < 3; b++) w = reduceFrame(w, frame({}, { tail: Array.from({ length: 2000 }, (_, i) => ev(b * 2000 + i)) }));
    expect(w.tail.length).toBe(TAIL_CAP);
    expect(w.tail[w.tail.length - 1].ts).toBe(5999);
    const samples = Array.from({ length: RESOURCE_CAP + 50 }, (_, i) => ({ containerId: 'c1', ts: i, cpuPercent: 1, memBytes: 1, memLimit: 0, pids: 1, netRxBytes: 0, netTxBytes: 0 }));
    w = reduceFrame(w, frame({ resources: samples }));
    expect(w.resources.get('c1')!.length).toBe(RESOURCE_CAP);
    expect(w.resources.get('c1')![0].ts).toBe(50);
  });
});

describe('live selectors', () => {
  it('filters by scope and by time window overlap', () => {
    const w = reduceFrame(emptyWorld(), frame({
      processes: [proc(1, 100, { exit: 200 }), proc(2, 300), proc(3, 100, { containerId: 'c2' })],
      files: [{ containerId: 'c1', path: '/b', kinds: ['modified'], first: 500, last: 600 } as FileChange, { containerId: 'c1', path: '/a', kinds: ['created'], first: 50, last: 60 } as FileChange],
    }));
    expect(processesIn(w, new Set(['c1'])).map((p) => p.tgid).sort()).toEqual([1, 2]);
    expect(processesIn(w, new Set(['c1']), [250, 400]).map((p) => p.tgid)).toEqual([2]);
    expect(processesIn(w, undefined, [0, 150]).map((p) => p.tgid).sort()).toEqual([1, 3]);
    expect(filesIn(w, undefined).map((f) => f.path)).toEqual(['/a', '/b']);
    expect(filesIn(w, undefined, [550, 700]).map((f) => f.path)).toEqual(['/b']);
  });
  it('flags egress to bare public IPs and unusual ports, not container links or named HTTPS', () => {
    expect(classifyFlow(flow('93.184.216.34', 443, { dnsName: 'example.com' })).cls).toBe('expected');
    expect(classifyFlow(flow('93.184.216.34', 4444, { dnsName: 'example.com' })).cls).toBe('unexpected');
    expect(classifyFlow(flow('203.0.113.9', 443)).cls).toBe('unexpected');
    expect(classifyFlow(flow('172.18.0.3', 8080, { remoteContainer: 'api' })).cls).toBe('container');
    expect(classifyFlow(flow('10.1.2.3', 5432, { dnsName: 'db' })).cls).toBe('internal');
    const rows = egressSummary([flow('1.2.3.4', 4444), flow('93.184.216.34', 443, { dnsName: 'example.com', count: 9 }), flow('93.184.216.35', 443, { dnsName: 'example.com' })]);
    expect(rows[0]).toMatchObject({ destination: '1.2.3.4', unexpected: true });
    expect(rows[1]).toMatchObject({ destination: 'example.com', count: 10, addrs: ['93.184.216.34', '93.184.216.35'], unexpected: false });
    expect(flowKey(flow('1.2.3.4', 1))).toBe('c1|outbound|tcp|1.2.3.4|1');
  });
});

describe('layered tables', () => {
  it('keep every version intact while updates copy only the overlay, and iterate like a map', async () => {
    const { LayeredMap } = await import('./layeredMap');
    const key = (x: { k: string; v: number }) => x.k;
    const versions = [LayeredMap.empty<{ k: string; v: number }>()];
    const truth: Array<Map<string, number>> = [new Map()];
    for (let i = 0; i < 400; i++) {
      const items = Array.from({ length: 1 + (i % 7) }, (_, j) => ({ k: `k${(i * 13 + j * 7) % 300}`, v: i * 10 + j }));
      versions.push(versions[versions.length - 1].with(items, key));
      const t = new Map(truth[truth.length - 1]);
      for (const it of items) t.set(it.k, it.v);
      truth.push(t);
    }
    for (let i = 0; i < versions.length; i += 37) {
      const m = versions[i];
      expect(m.size).toBe(truth[i].size);
      expect(new Map([...m].map(([k, x]) => [k, x.v]))).toEqual(truth[i]);
      expect([...m.values()].length).toBe(truth[i].size);
      expect([...m.keys()].sort()).toEqual([...truth[i].keys()].sort());
      for (const k of ['k0', 'k13', 'k299', 'nope']) expect(m.get(k)?.v).toBe(truth[i].get(k));
      expect(m.has('nope')).toBe(false);
    }
    expect(versions[5].with([], key)).toBe(versions[5]);
  });
});
