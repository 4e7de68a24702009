import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../../electron/common/model/event';
import { WorldState } from '../../../../electron/common/state/worldState';
import { file, flow, frame, proc } from './fixtures';
import { emptyWorld, reduceFrame, RESOURCE_CAP, TAIL_CAP } from './slice';
import { classifyFlow, egressSummary, filesIn, processesIn } from './selectors';

describe('reduceFrame', () => {
  it('upserts view models by identity, latest wins, without mutating the previous world', () => {
    const w0 = emptyWorld();
    const x = file({ containerId: 'c1', path: '/etc/x', kinds: ['created'], first: 110, last: 110 });
    const w1 = reduceFrame(w0, frame({ processes: [proc(10, 100)], files: [x] }));
    const w2 = reduceFrame(w1, frame({ processes: [proc(10, 100, { exit: 300 }), proc(11, 150)] }));
    expect(w0.processes.size).toBe(0);
    expect(w1.processes.get('10@100')?.exit).toBeUndefined();
    expect(w2.processes.get('10@100')?.exit).toBe(300);
    expect(w2.processes.size).toBe(2);
    // untouched tables keep their identity so views over them do not recompute
    expect(w2.files).toBe(w1.files);
    expect(w2.files.get(x.key)?.kinds).toEqual(['created']);
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

describe('rows keyed by the state tables', () => {
  const C = 'c'.repeat(64);
  const accept = (ts: number, localPort: number, clientPort: number): RuntimeEvent => ({
    kind: 'accept', ts, seq: ts, pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'httpd', cgroupId: '1', mntns: 1, containerId: C,
    ret: 4, fd: 3, family: 'inet', proto: 'tcp', daddr: '172.17.0.1', dport: clientPort, saddr: '172.17.0.2', sport: localPort,
  }) as RuntimeEvent;

  it('keeps two inbound flows from one client to local ports 80 and 443 as two rows, each updated in place', () => {
    const world = new WorldState();
    world.apply(accept(1, 80, 40001));
    world.apply(accept(2, 443, 40002));
    let w = reduceFrame(emptyWorld(), frame(world.takeDelta()));
    expect([...w.flows.values()].map((f) => [f.localPort, f.count]).sort()).toEqual([[443, 1], [80, 1]]);
    // A later connection to 443 updates its row by key; the row for 80 is left as it was.
    world.apply(accept(3, 443, 40003));
    const update = world.takeDelta();
    expect(update.flows.map((f) => f.localPort)).toEqual([443]);
    w = reduceFrame(w, frame(update));
    expect(w.flows.size).toBe(2);
    expect([...w.flows.values()].map((f) => [f.localPort, f.count]).sort()).toEqual([[443, 2], [80, 1]]);
  });

  it('keys every row once, the same across deltas and across a replay of the same events', () => {
    const events = [accept(1, 80, 40001), accept(2, 443, 40002), accept(3, 80, 40003)];
    const a = new WorldState();
    const keysSeen: string[][] = [];
    for (const e of events) { a.apply(e); keysSeen.push(a.takeDelta().flows.map((f) => f.key)); }
    expect(keysSeen[2]).toEqual([keysSeen[0][0]]);
    expect(new Set(keysSeen.flat()).size).toBe(2);
    const b = new WorldState();
    b.applyBatch(events);
    expect(b.flows.flows().map((f) => f.key).sort()).toEqual(a.flows.flows().map((f) => f.key).sort());
  });
});

describe('live selectors', () => {
  it('filters by scope and by time window overlap', () => {
    const w = reduceFrame(emptyWorld(), frame({
      processes: [proc(1, 100, { exit: 200 }), proc(2, 300), proc(3, 100, { containerId: 'c2' })],
      files: [file({ containerId: 'c1', path: '/b', kinds: ['modified'], first: 500, last: 600 }), file({ containerId: 'c1', path: '/a', kinds: ['created'], first: 50, last: 60 })],
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
