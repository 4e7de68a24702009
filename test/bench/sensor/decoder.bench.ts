// Decoder speed alone (no kernel, no pipe): how many helper records per second the engine can decode.
import { describe, it } from 'vitest';
import { FrameDecoder } from '../../../electron/common/schema/decoder';
import { newFrame } from '../../../electron/common/schema/control';
import { KIND_CODE, LAYOUT, OP } from '../../../electron/common/schema/wire';

/** A frame with its header, sequence number and the common event header of a "bench"/"ghwl" task in cgroup 300. */
function eventFrame(op: number, size: number, seq: number, kind: number, comm: string): { b: Uint8Array; v: DataView } {
  const E = LAYOUT.gh_event.fields;
  const { bytes: b, view: v } = newFrame(op, size);
  v.setUint32(12, seq, true);
  v.setBigUint64(16 + E.ts_ns, 123456789n + BigInt(seq), true);
  v.setBigUint64(16 + E.cgroup_id, 300n, true);
  v.setUint16(16 + E.kind, kind, true);
  [...comm].forEach((c, i) => v.setUint8(16 + E.comm + i, c.charCodeAt(0)));
  return { b, v };
}

function fileFrame(path: string, seq: number): Uint8Array {
  const F = LAYOUT.gh_file.fields;
  const tail = [...path].map((c) => c.charCodeAt(0));
  const { b, v } = eventFrame(OP.OP_FILE, LAYOUT.gh_file.size + tail.length, seq, KIND_CODE.open, 'bench');
  v.setInt32(F.dirfd, -100, true);
  v.setUint16(F.path_len, tail.length, true);
  b.set(tail, LAYOUT.gh_file.size);
  return b;
}

/** A setresuid(-1,-1,-1) record, what the throughput benchmark's producers emit. */
function privFrame(seq: number): Uint8Array {
  const F = LAYOUT.gh_priv.fields;
  const { b, v } = eventFrame(OP.OP_PRIV, LAYOUT.gh_priv.size, seq, KIND_CODE.setuid, 'ghwl');
  v.setUint32(F.sysnr, 117, true);
  for (let i = 0; i < 3; i++) v.setBigUint64(F.args + 8 * i, 0xffffffffn, true);
  return b;
}

describe('decoder speed', () => {
  for (const [name, make] of [['open', (i: number) => fileFrame('/tmp/bench-file', i)], ['setresuid', privFrame]] as const)
  it(`decodes ${name} records from 64 KiB chunks`, () => {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 200_000; i++) frames.push(make(i));
    const total = frames.reduce((n, f) => n + f.length, 0);
    const all = new Uint8Array(total);
    let o = 0;
    for (const f of frames) { all.set(f, o); o += f.length; }
    // five passes over the same bytes (the JIT warms up in the first), CPU time of this process
    let best = 0, n = 0, corrupt = 0;
    for (let pass = 0; pass < 5; pass++) {
      const d = new FrameDecoder();
      d.attribute('300', 'c'.repeat(64));
      const events: unknown[] = [], other: unknown[] = [];
      const c0 = process.cpuUsage();
      n = 0;
      for (let off = 0; off < all.length; off += 65536) {
        events.length = 0;
        d.pushInto(all.subarray(off, Math.min(all.length, off + 65536)), events as never, other as never);
        n += events.length;
      }
      const cu = process.cpuUsage(c0);
      best = Math.max(best, n / ((cu.user + cu.system) / 1e6));
      corrupt += d.corruptFrames;
    }
    console.log(`DECODER: ${n} ${name} records (${(total / 1e6).toFixed(1)} MB) per pass, best of 5 passes ${(best / 1000).toFixed(0)} k records/s of CPU time, corrupt ${corrupt}`);
  });
});
