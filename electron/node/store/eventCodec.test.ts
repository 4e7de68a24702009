import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../capture/synthetic';
import type { RuntimeEvent } from '../../common/model/event';
import { CHUNK_EVENTS, ChunkBuilder, decodeChunk, kindBit, kindCode } from './eventCodec';

const base = { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '18446744073709551615', mntns: 4026531840 };

describe('eventCodec', () => {
  it('round-trips every kind, optional fields, non-integer numbers and a kind it does not know', () => {
    const events = [
      { ...base, ts: 1.5, seq: 10, kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', 'ü ☃'], argvTruncated: true, memfd: false, ret: 0 },
      { ...base, ts: 2.25, seq: 9, kind: 'connect', family: 'inet6', proto: 'tcp', daddr: '::1', dport: 443, fd: 3, ret: -111 },
      { ...base, ts: 3, seq: 2 ** 40, kind: 'mmap', addr: '0x7f00deadbeef', len: 2 ** 33, prot: 5, flags: -2147483648, ret: 0 },
      { ...base, ts: 4, seq: 2 ** 40 + 1, kind: 'setuid', syscall: 'setresuid', target: [0, -1, 0.5], ret: 0 },
      { ...base, ts: 5, seq: 2 ** 40 + 2, kind: 'dns', qname: 'example.com', qtype: 1, daddr: '8.8.8.8', dport: 53, answers: [] },
      { ...base, ts: 6, seq: 2 ** 40 + 3, kind: 'teleport', where: 'mars' },
    ] as unknown as RuntimeEvent[];
    const b = new ChunkBuilder(100);
    events.forEach((e, i) => expect(b.add(e, i % 2 ? 3 : undefined)).toBeUndefined());
    const c = b.seal()!;
    expect(c).toMatchObject({ firstId: 100, count: 6, tsMin: 1.5, tsMax: 6, containers: [3], paths: ['/bin/sh'], endpoints: ['::1:443', 'example.com'] });
    expect(c.kinds & kindBit('exec')).toBeTruthy();
    expect(c.kinds & kindBit('open')).toBe(0);
    const d = decodeChunk(c.packed);
    expect(d.events).toEqual(events);
    expect(d.containers).toEqual([undefined, 3, undefined, 3, undefined, 3]);
  });

  it('seals full chunks and matches the synthetic stream exactly', () => {
    const all = new SyntheticSource({ events: CHUNK_EVENTS * 2 + 17, seed: 3 }).all();
    const b = new ChunkBuilder(1);
    const chunks = all.map((e) => b.add(e, 1)).filter((c) => c !== undefined);
    chunks.push(b.seal()!);
    expect(chunks.map((c) => [c.firstId, c.count])).toEqual([[1, CHUNK_EVENTS], [CHUNK_EVENTS + 1, CHUNK_EVENTS], [2 * CHUNK_EVENTS + 1, 17]]);
    const back = chunks.flatMap((c) => decodeChunk(c.packed).events);
    expect(back).toEqual(all.map(({ containerId: _, ...e }) => e));
  });

  it('builds only the events asked for, a fresh object each time, from a blob at any offset', () => {
    const all = new SyntheticSource({ events: 300, seed: 4 }).all();
    const b = new ChunkBuilder(1);
    all.forEach((e) => b.add(e, 2));
    const packed = b.seal()!.packed;
    const odd = new Uint8Array(packed.length + 3);
    odd.set(packed, 3);
    const d = decodeChunk(odd.subarray(3));
    expect(d.count).toBe(300);
    expect(d.ts[299]).toBe(all[299].ts);
    expect(d.kindCodes[0]).toBe(kindCode(all[0].kind));
    expect(d.containerRow(7)).toBe(2);
    const { containerId: _, ...expected } = all[150];
    const first = d.event(150);
    expect(first).toEqual(expected);
    (first as { pid: number }).pid = -1;
    expect(d.event(150)).toEqual(expected);
  });

  it('refuses bytes that are not a chunk', () => {
    expect(() => decodeChunk(new Uint8Array(10))).toThrow(/unknown layout/);
    const c = new ChunkBuilder(1);
    c.add({ ...base, ts: 1, seq: 1, kind: 'bpf', cmd: 1, ret: 0 } as RuntimeEvent, undefined);
    const packed = c.seal()!.packed;
    expect(() => decodeChunk(packed.subarray(0, packed.length - 3))).toThrow(/expected/);
  });
});
