// Property-based fuzzing of the helper stream decoder (issue 16): random bytes and mutated valid frames, split at
// random points, never make FrameDecoder throw, and the records and counters it reports do not depend on how the
// pipe split the bytes. GLASSHOUSE_FUZZ_RUNS sets the inputs per property (CI: a bounded run; see test/README.md).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_KINDS, type RuntimeEvent } from '../model/event';
import { newFrame } from './control';
import { FrameDecoder, type DecodedRecord } from './decoder';
import { KIND_CODE, LAYOUT, MAGIC, OP } from './wire';

const RUNS = Number(process.env.GLASSHOUSE_FUZZ_RUNS ?? 1000);
const CID = 'c'.repeat(64);
const enc = (s: string) => new TextEncoder().encode(s);

function withEvent(op: number, size: number, tail: Uint8Array, kind: number, cgroup: number): Uint8Array {
  const { bytes, view } = newFrame(op, size + tail.length);
  const E = LAYOUT.gh_event.fields;
  view.setBigUint64(16 + E.ts_ns, 5_000_000_000n, true);
  view.setBigUint64(16 + E.cgroup_id, BigInt(cgroup), true);
  view.setUint32(16 + E.pid, 7, true);
  view.setUint32(16 + E.tgid, 7, true);
  view.setUint16(16 + E.kind, kind, true);
  bytes.set(enc('sh'), 16 + E.comm);
  bytes.set(tail, size);
  return bytes;
}

/** Valid helper frames, built the way the helper lays them out (wire.h via LAYOUT), with arbitrary contents. */
const pathArb = fc.string({ maxLength: 40 }).map((s) => s.replace(/\0/g, ''));
const validFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(0).map(() => {
    const { bytes, view } = newFrame(OP.OP_HELLO, LAYOUT.gh_hello.size);
    view.setBigInt64(LAYOUT.gh_hello.fields.boot_to_realtime_ns, 1_700_000_000_000_000_000n, true);
    return bytes;
  }),
  fc.integer({ min: 1, max: 1000 }).map((cg) => {
    const F = LAYOUT.gh_watched.fields;
    const { bytes, view } = newFrame(OP.OP_WATCHED, LAYOUT.gh_watched.size);
    bytes.set(enc(CID), F.container_id);
    view.setBigUint64(F.cgroup_id, BigInt(cg), true);
    view.setUint32(F.watching, 1, true);
    return bytes;
  }),
  fc.tuple(pathArb, fc.array(pathArb, { maxLength: 4 }), pathArb).map(([file, argv, cwd]) => {
    const F = LAYOUT.gh_exec.fields;
    const f = enc(file), a = enc(argv.map((x) => `${x}\0`).join('')), c = enc(cwd);
    const tail = new Uint8Array(f.length + a.length + c.length);
    tail.set(f, 0); tail.set(a, f.length); tail.set(c, f.length + a.length);
    const b = withEvent(OP.OP_EXEC, LAYOUT.gh_exec.size, tail, KIND_CODE.exec, 300);
    const v = new DataView(b.buffer);
    v.setUint16(F.filename_len, f.length, true);
    v.setUint16(F.argv_len, a.length, true);
    v.setUint16(F.cwd_len, c.length, true);
    v.setUint16(F.argc, argv.length, true);
    return b;
  }),
  pathArb.map((path) => {
    const F = LAYOUT.gh_file.fields;
    const p = enc(path);
    const b = withEvent(OP.OP_FILE, LAYOUT.gh_file.size, p, KIND_CODE.open, 300);
    const v = new DataView(b.buffer);
    v.setInt32(F.dirfd, -100, true);
    v.setInt32(F.fd, -1, true);
    v.setUint16(F.path_len, p.length, true);
    return b;
  }),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.string({ minLength: 1, maxLength: 60 })).map(([level, msg]) => {
    const m = enc(msg);
    const { bytes, view } = newFrame(OP.OP_LOG, LAYOUT.gh_log.size + m.length);
    view.setInt32(LAYOUT.gh_log.fields.level, level, true);
    view.setUint16(LAYOUT.gh_log.fields.msg_len, m.length, true);
    bytes.set(m, LAYOUT.gh_log.size);
    return bytes;
  }),
  fc.integer({ min: 0, max: 1 }).map((reason) => {
    const { bytes, view } = newFrame(OP.OP_BYE, LAYOUT.gh_bye.size);
    view.setUint32(LAYOUT.gh_bye.fields.reason, reason, true);
    return bytes;
  }),
);

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** Sequence numbers 0, 1, 2… as the helper writes them. */
function numbered(frames: Uint8Array[]): Uint8Array {
  frames.forEach((f, i) => new DataView(f.buffer, f.byteOffset).setUint32(12, i, true));
  return concat(frames);
}

/** Pushes `all` cut at `cuts` (fractions of its length) and returns what one decoder made of it. */
function decode(all: Uint8Array, cuts: number[] = []) {
  const d = new FrameDecoder();
  const at = [...new Set(cuts.map((c) => Math.floor(c * all.length)))].sort((a, b) => a - b);
  const events: RuntimeEvent[] = [], other: DecodedRecord[] = [];
  let prev = 0;
  for (const c of [...at, all.length]) {
    // a fresh copy per chunk: the decoder must not keep a view of memory the caller reuses
    d.pushInto(all.slice(prev, c), events, other);
    prev = c;
  }
  return { events, other, corrupt: d.corruptFrames, unknown: d.unknownFrames, lost: d.lostFrames };
}

function wellFormed(r: ReturnType<typeof decode>): void {
  for (const n of [r.corrupt, r.unknown, r.lost]) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
  for (const e of r.events) {
    expect(EVENT_KINDS).toContain(e.kind);
    expect(typeof e.comm).toBe('string');
    expect(Number.isFinite(e.ts) || Number.isNaN(e.ts)).toBe(true);
  }
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
const hasMagic = (b: Uint8Array) => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.length; i++) if (v.getUint32(i, true) === MAGIC) return true;
  return false;
};

describe('FrameDecoder under fuzzing', () => {
  // before a HELLO an event's time is the decode time: frozen, so two decodes of the same bytes compare equal
  beforeAll(() => { vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] }); });
  afterAll(() => { vi.useRealTimers(); });

  it('regression: a run of bytes that start no frame counts once when the pipe splits it', () => {
    const bytes = new Uint8Array(40).fill(7);
    expect(decode(bytes, [0.5]).corrupt).toBe(1);
    expect(decode(bytes, [0.1, 0.3, 0.6, 0.9]).corrupt).toBe(1);
  });

  it('random bytes in random chunks: no throw, and the same records and counters however the bytes were split', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, (bytes, cuts) => {
      const whole = decode(bytes), split = decode(bytes, cuts);
      wellFormed(split);
      expect(split).toEqual(whole);
    }), { numRuns: RUNS });
  });

  it('valid frames after magic-free garbage: every frame decoded, one corrupt run counted, however split', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }).filter((g) => !hasMagic(g)), fc.array(validFrame, { minLength: 1, maxLength: 8 }), cutsArb,
      (garbage, frames, cuts) => {
        const clean = numbered(frames.map((f) => f.slice()));
        const expected = decode(clean);
        expect(expected.corrupt).toBe(0);
        expect(expected.events.length + expected.other.length).toBe(frames.length);
        const got = decode(concat([garbage, clean]), cuts);
        expect({ events: got.events, other: got.other }).toEqual({ events: expected.events, other: expected.other });
        expect(got.corrupt).toBe(garbage.length ? 1 : 0);
        expect(got.lost).toBe(0);
      }), { numRuns: RUNS });
  });

  it('mutated valid frames: no throw, well-formed records, split-independent counters', () => {
    const mutation = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    fc.assert(fc.property(fc.array(validFrame, { minLength: 1, maxLength: 6 }), mutation, cutsArb, (frames, muts, cuts) => {
      const all = numbered(frames.map((f) => f.slice()));
      for (const [at, byte] of muts) all[Math.floor(at * all.length)] = byte;
      const whole = decode(all), split = decode(all, cuts);
      wellFormed(split);
      expect(split).toEqual(whole);
    }), { numRuns: RUNS });
  });
});
