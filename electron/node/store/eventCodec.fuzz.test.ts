// Property-based fuzzing of the chunk decoder a recording is read through (issue 16): random bytes, and packed chunks
// from ChunkBuilder with bytes changed, either decode or fail with a FileFormatError, both when the chunk is opened
// and when its events are built; never another error, a hang or an allocation the chunk's size does not allow.
// GLASSHOUSE_FUZZ_RUNS sets the inputs per property (see test/README.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../../common/ipc/errors';
import type { RuntimeEvent } from '../../common/model/event';
import { SyntheticSource } from '../capture/synthetic';
import { ChunkBuilder, decodeChunk } from './eventCodec';

const RUNS = Number(process.env.GLASSHOUSE_FUZZ_RUNS ?? 1000);

/** Opens the chunk and builds all its events (and their columns); returns the error, if any. */
function readAll(bytes: Uint8Array): unknown {
  try {
    const d = decodeChunk(bytes);
    void d.seq;
    const events = d.events;
    expect(events.length).toBe(d.count);
    void d.containers;
    return undefined;
  } catch (err) {
    return err;
  }
}

function expectNamed(err: unknown): void {
  if (err === undefined || (err instanceof FileFormatError && err.code === 'BAD_CHUNK')) return;
  throw new Error(`a chunk failed with something other than a FileFormatError BAD_CHUNK: ${String((err as Error)?.stack ?? err)}`);
}

// a few packed chunks of realistic events (every kind the synthetic source makes, and setuid/dns arrays)
const extra = [
  { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 4, ts: 4, seq: 5, kind: 'setuid', syscall: 'setresuid', target: [0, -1, 0.5], ret: 0 },
  { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 4, ts: 5, seq: 6, kind: 'dns', qname: 'example.com', qtype: 1, daddr: '8.8.8.8', dport: 53, answers: ['1.2.3.4'] },
  { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'sh', cgroupId: '1', mntns: 4, ts: 6, seq: 7, kind: 'teleport', where: 'mars' },
] as unknown as RuntimeEvent[];
const samples: Uint8Array[] = [3, 20, 60].map((n, k) => {
  const b = new ChunkBuilder(1);
  for (const e of [...new SyntheticSource({ events: n, seed: k + 1 }).all(), ...extra]) b.add(e, k);
  return b.seal()!.packed;
});

describe('decodeChunk under fuzzing', () => {
  it('regression: a chunk whose number array claims 2^31 entries fails at once with a named error', () => {
    const setuid = new ChunkBuilder(1);
    setuid.add(extra[0], undefined);
    const packed = setuid.seal()!.packed.slice();
    // the int stream of the one event: syscall, target length 3, its 3 numbers, ret
    const dv = new DataView(packed.buffer);
    const nInts = dv.getUint32(12, true);
    const intsAt = packed.length - (dv.getUint32(16, true) + 1 + 4 * nInts);
    expect(dv.getInt32(intsAt + 4, true)).toBe(3);
    dv.setInt32(intsAt + 4, 0x7ffffff0, true);
    const err = readAll(packed);
    expect(err).toBeDefined();
    expectNamed(err);
    dv.setInt32(intsAt + 4, -5, true); // a negative length walked the stream backwards
    const neg = readAll(packed);
    expect(neg).toBeDefined();
    expectNamed(neg);
  });

  it('random bytes: a decoded chunk or a FileFormatError', () => {
    // a valid layout header (magic, counts) over random bodies reaches the column code, not only the first check
    const header = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.option(header), (body, h) => {
      let bytes = body;
      if (h) {
        const [n, nFloats, nInts, dictLen] = h;
        const need = 24 + 8 * (n + nFloats) + 4 * (10 * n + nInts) + n + dictLen;
        bytes = new Uint8Array(need);
        bytes.set(body.subarray(0, need - 24), 24);
        const dv = new DataView(bytes.buffer);
        dv.setUint32(0, 0x47, true);
        [n, nFloats, nInts, dictLen].forEach((x, i) => dv.setUint32(4 + 4 * i, x, true));
      }
      expectNamed(readAll(bytes));
    }), { numRuns: RUNS });
  });

  it('packed chunks with bytes changed: a decoded chunk or a FileFormatError', () => {
    const mutation = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(fc.integer({ min: 0, max: samples.length - 1 }), mutation, (k, muts) => {
      const bytes = samples[k].slice();
      for (const [at, byte] of muts) bytes[Math.floor(at * bytes.length)] = byte;
      expectNamed(readAll(bytes));
    }), { numRuns: RUNS });
  });
});
