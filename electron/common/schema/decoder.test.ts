import { describe, expect, it } from 'vitest';
import { ByteStrings, FrameDecoder, parseDnsQuestion, resolvePath, type DecodedRecord } from './decoder';
import type { RuntimeEvent } from '../model/event';
import { encodeKinds, encodePrefixes, encodeWatch } from './control';
import { FLAG, KIND_CODE, LAYOUT, MAGIC, OP, SCHEMA_VERSION } from './wire';

const CID = 'a'.repeat(64);

function frame(op: number, size: number, tail: number[] = []): { b: Uint8Array; v: DataView } {
  const b = new Uint8Array(size + tail.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, b.length, true);
  v.setUint16(8, SCHEMA_VERSION, true);
  v.setUint16(10, op, true);
  b.set(tail, size);
  return { b, v };
}

const bytes = (s: string) => [...s].map((c) => c.charCodeAt(0));

function event(v: DataView, kind: number, cgroup = 300, flags = 0, ret = 0): void {
  const o = 16, E = LAYOUT.gh_event.fields;
  v.setBigUint64(o + E.ts_ns, 2_000_000_000n, true);
  v.setBigUint64(o + E.cgroup_id, BigInt(cgroup), true);
  v.setUint32(o + E.pid, 11, true);
  v.setUint32(o + E.tgid, 10, true);
  v.setUint32(o + E.ppid, 1, true);
  v.setUint16(o + E.kind, kind, true);
  v.setUint16(o + E.flags, flags, true);
  v.setInt32(o + E.ret, ret, true);
  'sh'.split('').forEach((c, i) => v.setUint8(o + E.comm + i, c.charCodeAt(0)));
}

function hello(): Uint8Array {
  const { b, v } = frame(OP.OP_HELLO, LAYOUT.gh_hello.size);
  v.setBigInt64(LAYOUT.gh_hello.fields.boot_to_realtime_ns, 1_700_000_000_000_000_000n, true);
  v.setBigUint64(LAYOUT.gh_hello.fields.unsupported_kinds, 1n << BigInt(KIND_CODE.module), true);
  return b;
}

function watched(): Uint8Array {
  const F = LAYOUT.gh_watched.fields;
  const { b, v } = frame(OP.OP_WATCHED, LAYOUT.gh_watched.size);
  b.set(bytes(CID), F.container_id);
  v.setBigUint64(F.cgroup_id, 300n, true);
  v.setUint32(F.watching, 1, true);
  return b;
}

function execFrame(): Uint8Array {
  const F = LAYOUT.gh_exec.fields;
  const tail = [...bytes('/bin/sh'), ...bytes('sh\0-c\0echo hi\0'), ...bytes('foo/tmp/')];
  const { b, v } = frame(OP.OP_EXEC, LAYOUT.gh_exec.size, tail);
  event(v, KIND_CODE.exec, 300, FLAG.F_CWD_REVERSED);
  v.setUint16(F.filename_len, 7, true);
  v.setUint16(F.argv_len, 14, true);
  v.setUint16(F.cwd_len, 8, true);
  v.setUint16(F.argc, 3, true);
  return b;
}

function renameFrame(): Uint8Array {
  const F = LAYOUT.gh_file.fields;
  const tail = [...bytes('a.txt'), ...bytes('../b.txt'), ...bytes('work/')];
  const { b, v } = frame(OP.OP_FILE, LAYOUT.gh_file.size, tail);
  event(v, KIND_CODE.rename, 300, FLAG.F_CWD_REVERSED);
  v.setInt32(F.dirfd, -100, true);
  v.setInt32(F.fd, -1, true);
  v.setUint16(F.path_len, 5, true);
  v.setUint16(F.path2_len, 8, true);
  v.setUint16(F.cwd_len, 5, true);
  return b;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

describe('FrameDecoder', () => {
  it('decodes hello, attribution and an exec with argv and a reversed cwd', () => {
    const d = new FrameDecoder();
    const recs = d.push(concat(hello(), watched(), execFrame()));
    expect(recs.map((r) => r.type)).toEqual(['hello', 'watched', 'event']);
    const h = recs[0];
    expect(h.type === 'hello' && h.hello.unsupportedKinds).toEqual(['module']);
    const e = recs[2];
    expect(e.type).toBe('event');
    if (e.type !== 'event' || e.event.kind !== 'exec') throw new Error('not exec');
    expect(e.event.filename).toBe('/bin/sh');
    expect(e.event.argv).toEqual(['sh', '-c', 'echo hi']);
    expect(e.event.cwd).toBe('/tmp/foo');
    expect(e.event.containerId).toBe(CID);
    expect(e.event.cgroupId).toBe('300');
    expect(e.event.comm).toBe('sh');
    expect(e.event.ts).toBeCloseTo(1_700_000_000_000 + 2000, 3);
  });

  it('resolves relative paths against the cwd', () => {
    const d = new FrameDecoder();
    const [r] = d.push(renameFrame());
    if (r.type !== 'event' || r.event.kind !== 'rename') throw new Error('not rename');
    expect(r.event.path).toBe('/work/a.txt');
    expect(r.event.newPath).toBe('/b.txt');
  });

  it('reassembles frames split across chunks at every byte', () => {
    const all = concat(hello(), watched(), execFrame(), renameFrame());
    for (let cut = 1; cut < all.length; cut += 7) {
      const d = new FrameDecoder();
      const recs = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(recs.length).toBe(4);
      expect(d.corruptFrames).toBe(0);
    }
  });

  it('counts a corrupt frame, skips it and resynchronises on the next magic', () => {
    const d = new FrameDecoder();
    const bad = execFrame();
    new DataView(bad.buffer).setUint16(LAYOUT.gh_exec.fields.argv_len, 5000, true); // strings overrun the frame
    const garbage = new Uint8Array([1, 2, 3, 0x47, 0x48, 9, 9]);
    const recs = d.push(concat(hello(), garbage, bad, renameFrame()));
    expect(recs.map((r) => r.type)).toEqual(['hello', 'event']);
    expect(d.corruptFrames).toBe(2);
  });

  it('counts frames lost according to the helper sequence numbers', () => {
    const d = new FrameDecoder();
    const a = renameFrame(), b = renameFrame();
    new DataView(a.buffer).setUint32(12, 5, true);
    new DataView(b.buffer).setUint32(12, 9, true);
    d.push(concat(a, b));
    expect(d.lostFrames).toBe(3);
  });

  it('decodes the BYE frame that ends a run, and events into a separate array on the hot path', () => {
    const d = new FrameDecoder();
    d.push(hello());
    const open = frame(OP.OP_FILE, LAYOUT.gh_file.size, bytes('/etc/x'));
    event(open.v, KIND_CODE.open);
    open.v.setInt32(LAYOUT.gh_file.fields.dirfd, -100, true);
    open.v.setUint16(LAYOUT.gh_file.fields.path_len, 6, true);
    const bye = frame(OP.OP_BYE, LAYOUT.gh_bye.size);
    bye.v.setUint32(LAYOUT.gh_bye.fields.reason, 1, true);
    const events: RuntimeEvent[] = [], other: DecodedRecord[] = [];
    d.pushInto(concat(open.b, open.b, bye.b), events, other);
    expect(events.map((e) => [e.kind, (e as { path?: string }).path, e.comm])).toEqual([['open', '/etc/x', 'sh'], ['open', '/etc/x', 'sh']]);
    // interned: the same bytes give the same string
    expect(events[0].comm).toBe(events[1].comm);
    expect(other).toEqual([{ type: 'bye', reason: 'signal' }]);
    expect(d.corruptFrames).toBe(0);
  });
});

describe('ByteStrings', () => {
  it('returns the decoded string up to the first NUL, also after a hash collision evicts it', () => {
    const t = new ByteStrings(1); // one slot: every string collides
    const b = new Uint8Array([...bytes('abc'), 0, 0, ...bytes('héllo'.replace('é', 'e')), ...bytes('abd')]);
    expect(t.get(b, 0, 5)).toBe('abc');
    expect(t.get(b, 5, 10)).toBe('hello');
    expect(t.get(b, 10, 13)).toBe('abd');
    expect(t.get(b, 0, 3)).toBe('abc');
    expect(t.get(b, 3, 5)).toBe('');
    const u = new Uint8Array([0x63, 0xc3, 0xa9]); // "cé" in UTF-8
    expect(t.get(u, 0, 3)).toBe('cé');
  });
});

describe('helpers', () => {
  it('parses a DNS question', () => {
    const q = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...bytes('example'), 3, ...bytes('com'), 0, 0, 28, 0, 1];
    expect(parseDnsQuestion(new Uint8Array(q), 0, q.length)).toEqual({ qname: 'example.com', qtype: 28 });
  });
  it('normalises paths', () => {
    expect(resolvePath('x/../y', '/a/b')).toBe('/a/b/y');
    expect(resolvePath('rel', undefined)).toBe('rel');
  });
  it('encodes control frames and rejects bad prefixes with a sentence', () => {
    expect(encodeWatch(CID, 42).length).toBe(LAYOUT.gh_ctl_watch.size);
    expect(new DataView(encodeKinds(['exec', 'dns']).buffer).getBigUint64(16, true)).toBe((1n << 0n) | (1n << 17n));
    expect(() => encodePrefixes(['etc'])).toThrow(/must be absolute/);
  });
});
