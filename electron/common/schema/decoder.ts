// FrameDecoder: helper byte stream → RuntimeEvent / ProcessSeed / SensorStats records. Pure TS (no Node,
// no DOM). A corrupt frame is counted and skipped; the decoder resynchronises on the next magic.
import {
  EVENT_KINDS, type EventBase, type EventKind, type ExecEvent, type NetEvent, type L4Proto, type ProcessSeed, type RuntimeEvent, type SensorStats,
  type SockFamily,
} from '../model/event';
import { BYE_REASON, CGROUP_EVENT, FLAG, FRAME_HEADER_BYTES, KIND_COUNT, LAYOUT, MAGIC, MAX_FRAME, OP, OP_STRUCT, SETID_SYSCALLS } from './wire';

export interface HelperHello {
  bootToRealtimeMs: number;
  unsupportedKinds: EventKind[];
  enabledKinds: EventKind[];
  helperPid: number;
  ringBytes: number;
  version: string;
  kernel: string;
}

export interface WatchedReply {
  containerId: string;
  cgroupId: string;
  mntns: number;
  /** 0 or a negative errno. */
  status: number;
  pid: number;
  watching: boolean;
}

/** A container cgroup the kernel admitted at its creation (traced from then on) or a watched one that was removed. */
export interface CgroupNotice {
  event: 'admitted' | 'removed';
  /** The 64-hex container id named by the cgroup path; '' when the path names none. */
  containerId: string;
  cgroupId: string;
  path: string;
  ts: number;
}

export interface HelperLog {
  level: 'info' | 'warn' | 'error';
  code: number;
  message: string;
}

/** Raw helper counters (cumulative since that helper started). */
export interface HelperStats extends Omit<SensorStats, 'gaps' | 'corruptFrames'> {
  framesOut: number;
  bytesOut: number;
  watched: number;
  ringBytes: number;
}

export type DecodedRecord =
  | { type: 'event'; event: RuntimeEvent }
  | { type: 'seed'; seed: ProcessSeed }
  | { type: 'stats'; stats: HelperStats }
  | { type: 'hello'; hello: HelperHello }
  | { type: 'watched'; watched: WatchedReply }
  | { type: 'log'; log: HelperLog }
  | { type: 'cgroup'; cgroup: CgroupNotice }
  /** The helper's last frame: its stream ends here (it exits seconds later, once its hooks are detached). */
  | { type: 'bye'; reason: 'eof' | 'signal' };

const E = LAYOUT.gh_event.fields;
const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
const AT_FDCWD = -100;
const TWO32 = 4294967296;

/** UTF-8 without TextDecoder (not in the isomorphic lib set); ASCII fast path. */
export function utf8(b: Uint8Array, start: number, end: number): string {
  let s = '';
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c === 0) break;
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
      continue;
    }
    let cp = 0xfffd, n = 1;
    if (c >= 0xc0 && c < 0xe0 && i + 1 < end) { cp = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f); n = 2; }
    else if (c >= 0xe0 && c < 0xf0 && i + 2 < end) { cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f); n = 3; }
    else if (c >= 0xf0 && i + 3 < end) {
      cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f); n = 4;
    }
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}

/**
 * Interns short byte strings (comm, paths): the same few names recur in every event, so a direct-mapped
 * table keyed by a hash of the bytes returns the one string already built instead of decoding a new one.
 * The string ends at the first NUL, like utf8().
 */
export class ByteStrings {
  private readonly keys: Array<Uint8Array | undefined>;
  private readonly vals: string[];
  private readonly mask: number;

  constructor(slots = 4096) {
    this.keys = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.vals = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  get(b: Uint8Array, start: number, end: number): string {
    let e = start;
    let h = 0x811c9dc5;
    while (e < end && b[e] !== 0) h = Math.imul(h ^ b[e++], 16777619);
    const n = e - start;
    if (n === 0) return '';
    if (n > 160) return utf8(b, start, e);
    const slot = (h ^ n) & this.mask;
    const k = this.keys[slot];
    if (k !== undefined && k.length === n) {
      let i = 0;
      while (i < n && k[i] === b[start + i]) i++;
      if (i === n) return this.vals[slot];
    }
    const str = utf8(b, start, e);
    this.keys[slot] = b.slice(start, e);
    this.vals[slot] = str;
    return str;
  }
}

function kindsOf(mask: number, maskHi: number): EventKind[] {
  const out: EventKind[] = [];
  for (let k = 0; k < KIND_COUNT; k++) {
    const bit = k < 32 ? (mask >>> k) & 1 : (maskHi >>> (k - 32)) & 1;
    if (bit) out.push(EVENT_KINDS[k]);
  }
  return out;
}

function ipv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ipv6(b: Uint8Array, o: number): string {
  // IPv4-mapped
  let mapped = true;
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) mapped = false;
  if (mapped && b[o + 10] === 0xff && b[o + 11] === 0xff) return `::ffff:${ipv4(b, o + 12)}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  // longest run of zero groups → "::"
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parses the question of a DNS message: name and type. */
export function parseDnsQuestion(b: Uint8Array, start: number, end: number): { qname: string; qtype: number } | undefined {
  let o = start + 12;
  if (o > end) return undefined;
  const labels: string[] = [];
  for (let guard = 0; guard < 128; guard++) {
    if (o >= end) return undefined;
    const len = b[o];
    if (len === 0) { o++; break; }
    if (len >= 0xc0 || o + 1 + len > end) return undefined; // no compression in a question we send
    labels.push(utf8(b, o + 1, o + 1 + len));
    o += 1 + len;
  }
  const qtype = o + 2 <= end ? (b[o] << 8) | b[o + 1] : 0;
  return { qname: labels.join('.'), qtype };
}

/** Joins a reversed cwd ("leaf/parent/top/") into "/top/parent/leaf". */
function cwdFrom(raw: string, reversed: boolean): string {
  if (!reversed) return raw || '/';
  const parts = raw.split('/').filter(Boolean).reverse();
  return `/${parts.join('/')}`;
}

/** Resolves a path written relative to the cwd; collapses "." and "..". */
export function resolvePath(path: string, cwd: string | undefined): string {
  // fast path: already absolute and clean (the common case)
  if (path.charCodeAt(0) === 47 && path.indexOf('/.') < 0 && path.indexOf('//') < 0) return path;
  const full = path.startsWith('/') || cwd === undefined ? path : `${cwd.replace(/\/$/, '')}/${path}`;
  if (!full.startsWith('/')) return full;
  const out: string[] = [];
  for (const p of full.split('/')) {
    if (!p || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

export interface FrameDecoderOptions {
  /** Maps a cgroup id to the 64-hex container id; WATCHED replies feed the decoder's own map first. */
  attribute?: (cgroupId: string, mntns: number) => string | undefined;
}

export class FrameDecoder {
  /** Frames that failed validation and were skipped. */
  corruptFrames = 0;
  /** Frames with a valid header but an op this decoder does not know (a newer helper). */
  unknownFrames = 0;
  /** Frames missing according to the helper's sequence numbers (queue drops, lost bytes). */
  lostFrames = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private seq = 0;
  private lastHelperSeq = -1;
  /** Inside a run of bytes that start no frame: the run counts once, however the pipe split it. */
  private resyncing = false;
  private bootToRealtimeMs = Number.NaN;
  private readonly byCgroup = new Map<string, string>();
  private readonly byMntns = new Map<number, string>();
  private readonly cgroupIdCache = new Map<number, string>();
  private readonly strs = new ByteStrings();
  private readonly so = new Int32Array(5);
  /** The previous event's cgroup/attribution and comm (invalidated when attribution changes). */
  private readonly last = { valid: false, cgLo: 0, cgHi: 0, mntns: 0, cgroupId: '', containerId: undefined as string | undefined, c0: -1, c1: 0, c2: 0, c3: 0, comm: '' };

  constructor(private readonly opts: FrameDecoderOptions = {}) {}

  /** A new helper run starts (restart): forget the byte tail and the sequence, keep attribution. */
  resetStream(): void {
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
    this.lastHelperSeq = -1;
    this.resyncing = false;
  }

  attribute(cgroupId: string, containerId: string): void {
    this.byCgroup.set(cgroupId, containerId);
    this.last.valid = false;
  }

  push(chunk: Uint8Array): DecodedRecord[] {
    const out: DecodedRecord[] = [];
    this.pushInto(chunk, undefined, out);
    return out;
  }

  /**
   * The hot path: kernel events go straight into `events` (no wrapper object per record), everything else
   * (hello, stats, watched, seed, log) into `other`. Without `events`, events are wrapped into `other` in
   * stream order.
   */
  pushInto(chunk: Uint8Array, events: RuntimeEvent[] | undefined, other: DecodedRecord[]): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const b = this.buf, v = this.view;
    let pos = 0;
    while (b.length - pos >= FRAME_HEADER_BYTES) {
      if (v.getUint32(pos, true) !== MAGIC) {
        if (!this.resyncing) { this.corruptFrames++; this.resyncing = true; }
        pos++;
        continue;
      }
      const len = v.getUint32(pos + 4, true);
      const op = v.getUint16(pos + 10, true);
      const struct = OP_STRUCT[op];
      if (len < FRAME_HEADER_BYTES || len > MAX_FRAME || (struct && len < LAYOUT[struct].size)) {
        if (!this.resyncing) { this.corruptFrames++; this.resyncing = true; }
        pos++;
        continue;
      }
      if (b.length - pos < len) break; // wait for the rest
      this.resyncing = false;
      const hseq = v.getUint32(pos + 12, true);
      if (this.lastHelperSeq >= 0 && hseq > this.lastHelperSeq + 1) this.lostFrames += hseq - this.lastHelperSeq - 1;
      this.lastHelperSeq = hseq;
      if (!struct) {
        this.unknownFrames++;
      } else {
        let rec: DecodedRecord | RuntimeEvent | undefined;
        const isEvent = op >= OP.OP_EXEC;
        try {
          rec = isEvent ? this.decodeEvent(op, pos, len) : this.decode(op, pos, len);
        } catch {
          rec = undefined;
        }
        if (rec === undefined) this.corruptFrames++;
        else if (!isEvent) other.push(rec as DecodedRecord);
        else if (events) events.push(rec as RuntimeEvent);
        else other.push({ type: 'event', event: rec as RuntimeEvent });
      }
      pos += len;
    }
    // keep a copy of the incomplete tail: the caller may reuse the chunk's memory
    this.buf = pos === b.length ? new Uint8Array(0) : b.slice(pos);
  }

  private u64(o: number): number {
    return this.view.getUint32(o + 4, true) * TWO32 + this.view.getUint32(o, true);
  }

  private i64(o: number): number {
    return this.view.getInt32(o + 4, true) * TWO32 + this.view.getUint32(o, true);
  }

  private u64str(o: number): string {
    const hi = this.view.getUint32(o + 4, true), lo = this.view.getUint32(o, true);
    if (hi < 0x200000) {
      const n = hi * TWO32 + lo;
      let s = this.cgroupIdCache.get(n);
      if (s === undefined) {
        s = String(n);
        if (this.cgroupIdCache.size < 4096) this.cgroupIdCache.set(n, s);
      }
      return s;
    }
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  private hex64(o: number): string {
    return `0x${((BigInt(this.view.getUint32(o + 4, true)) << 32n) | BigInt(this.view.getUint32(o, true))).toString(16)}`;
  }

  private wallMs(tsNs: number): number {
    if (Number.isNaN(this.bootToRealtimeMs)) return Date.now();
    return this.bootToRealtimeMs + tsNs / 1e6;
  }

  private base(o: number): EventBase {
    const v = this.view, b = this.buf;
    // consecutive events mostly come from the same task: reuse its cgroup, attribution and comm strings
    const cgLo = v.getUint32(o + E.cgroup_id, true), cgHi = v.getUint32(o + E.cgroup_id + 4, true);
    const mntns = v.getUint32(o + E.mntns, true);
    const last = this.last;
    if (cgLo !== last.cgLo || cgHi !== last.cgHi || mntns !== last.mntns || !last.valid) {
      const cgroupId = this.u64str(o + E.cgroup_id);
      last.cgLo = cgLo;
      last.cgHi = cgHi;
      last.mntns = mntns;
      last.cgroupId = cgroupId;
      last.containerId = this.byCgroup.get(cgroupId) ?? this.byMntns.get(mntns) ?? this.opts.attribute?.(cgroupId, mntns);
      // an outside attribute() may learn the id later: keep asking it until it answers
      last.valid = last.containerId !== undefined || !this.opts.attribute;
    }
    const c0 = v.getUint32(o + E.comm, true), c1 = v.getUint32(o + E.comm + 4, true), c2 = v.getUint32(o + E.comm + 8, true), c3 = v.getUint32(o + E.comm + 12, true);
    if (c0 !== last.c0 || c1 !== last.c1 || c2 !== last.c2 || c3 !== last.c3) {
      last.c0 = c0;
      last.c1 = c1;
      last.c2 = c2;
      last.c3 = c3;
      last.comm = this.strs.get(b, o + E.comm, o + E.comm + 16);
    }
    const e: EventBase = {
      ts: this.wallMs(this.u64(o + E.ts_ns)),
      seq: this.seq++,
      pid: v.getUint32(o + E.pid, true),
      tgid: v.getUint32(o + E.tgid, true),
      ppid: v.getUint32(o + E.ppid, true),
      uid: v.getUint32(o + E.uid, true),
      gid: v.getUint32(o + E.gid, true),
      comm: last.comm,
      cgroupId: last.cgroupId,
      mntns,
      containerId: last.containerId,
    };
    return e;
  }

  /**
   * Cuts the string tail of a record into pieces of the given lengths: piece i is [so[i], so[i+1]) of the
   * buffer (a reused array, no allocation per record); false if the pieces overrun the frame.
   */
  private cut(pos: number, len: number, start: number, l0: number, l1 = 0, l2 = 0, l3 = 0): boolean {
    const so = this.so, end = pos + len;
    so[0] = pos + start;
    so[1] = so[0] + l0;
    so[2] = so[1] + l1;
    so[3] = so[2] + l2;
    so[4] = so[3] + l3;
    return so[4] <= end;
  }

  private argv(s: number, e: number): string[] {
    const out: string[] = [];
    let a = s;
    for (let i = s; i < e; i++) {
      if (this.buf[i] === 0) {
        out.push(utf8(this.buf, a, i));
        a = i + 1;
      }
    }
    if (a < e) out.push(utf8(this.buf, a, e));
    return out;
  }

  private decode(op: number, pos: number, len: number): DecodedRecord | undefined {
    const v = this.view, b = this.buf;
    switch (op) {
      case OP.OP_HELLO: {
        const F = LAYOUT.gh_hello.fields;
        this.bootToRealtimeMs = this.i64(pos + F.boot_to_realtime_ns) / 1e6;
        return {
          type: 'hello',
          hello: {
            bootToRealtimeMs: this.bootToRealtimeMs,
            unsupportedKinds: kindsOf(v.getUint32(pos + F.unsupported_kinds, true), v.getUint32(pos + F.unsupported_kinds + 4, true)),
            enabledKinds: kindsOf(v.getUint32(pos + F.enabled_kinds, true), v.getUint32(pos + F.enabled_kinds + 4, true)),
            helperPid: v.getUint32(pos + F.helper_pid, true),
            ringBytes: v.getUint32(pos + F.ring_bytes, true),
            version: utf8(b, pos + F.version, pos + F.version + 32),
            kernel: utf8(b, pos + F.kernel, pos + F.kernel + 64),
          },
        };
      }
      case OP.OP_STATS: {
        const F = LAYOUT.gh_stats.fields;
        this.bootToRealtimeMs = this.i64(pos + F.boot_to_realtime_ns) / 1e6;
        const eventsByKind: Partial<Record<EventKind, number>> = {};
        for (let k = 0; k < KIND_COUNT; k++) {
          const n = this.u64(pos + F.events + 8 * k);
          if (n) eventsByKind[EVENT_KINDS[k]] = n;
        }
        return {
          type: 'stats',
          stats: {
            ts: this.wallMs(this.u64(pos + F.ts_ns)),
            eventsByKind,
            ringDrops: this.u64(pos + F.ring_drops),
            queueDrops: this.u64(pos + F.queue_drops),
            cpuUserMs: this.u64(pos + F.cpu_user_us) / 1000,
            cpuSysMs: this.u64(pos + F.cpu_sys_us) / 1000,
            rssKb: this.u64(pos + F.rss_kb),
            unsupportedKinds: kindsOf(v.getUint32(pos + F.unsupported_kinds, true), v.getUint32(pos + F.unsupported_kinds + 4, true)),
            framesOut: this.u64(pos + F.frames_out),
            bytesOut: this.u64(pos + F.bytes_out),
            watched: v.getUint32(pos + F.watched, true),
            ringBytes: v.getUint32(pos + F.ring_bytes, true),
          },
        };
      }
      case OP.OP_WATCHED: {
        const F = LAYOUT.gh_watched.fields;
        const w: WatchedReply = {
          containerId: utf8(b, pos + F.container_id, pos + F.container_id + 64),
          cgroupId: this.u64str(pos + F.cgroup_id),
          mntns: v.getUint32(pos + F.mntns, true),
          status: v.getInt32(pos + F.status, true),
          pid: v.getUint32(pos + F.pid, true),
          watching: v.getUint32(pos + F.watching, true) !== 0,
        };
        this.last.valid = false;
        if (w.status === 0 && w.watching) {
          if (w.cgroupId !== '0') this.byCgroup.set(w.cgroupId, w.containerId);
          if (w.mntns) this.byMntns.set(w.mntns, w.containerId);
        }
        return { type: 'watched', watched: w };
      }
      case OP.OP_CGROUP: {
        const F = LAYOUT.gh_cgroup.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_cgroup.size, v.getUint16(pos + F.path_len, true));
        const so = this.so;
        if (!ok) return undefined;
        const raw = utf8(b, pos + F.container_id, pos + F.container_id + 64);
        const c: CgroupNotice = {
          event: v.getUint32(pos + F.event, true) === CGROUP_EVENT.CGROUP_REMOVED ? 'removed' : 'admitted',
          containerId: /^[0-9a-f]{64}$/.test(raw) ? raw : '',
          cgroupId: this.u64str(pos + F.cgroup_id),
          path: utf8(b, so[0], so[1]),
          ts: this.wallMs(this.u64(pos + F.ts_ns)),
        };
        // Attributed from its first event on: the kernel admitted the cgroup before any process joined it.
        if (c.event === 'admitted' && c.containerId) {
          this.byCgroup.set(c.cgroupId, c.containerId);
          this.last.valid = false;
        }
        return { type: 'cgroup', cgroup: c };
      }
      case OP.OP_BYE:
        return { type: 'bye', reason: v.getUint32(pos + LAYOUT.gh_bye.fields.reason, true) === BYE_REASON.BYE_SIGNAL ? 'signal' : 'eof' };
      case OP.OP_LOG: {
        const F = LAYOUT.gh_log.fields;
        const n = v.getUint16(pos + F.msg_len, true);
        const ok = this.cut(pos, len, LAYOUT.gh_log.size, n);
        const so = this.so;
        if (!ok) return undefined;
        const level = v.getInt32(pos + F.level, true);
        return {
          type: 'log',
          log: { level: level >= 2 ? 'error' : level === 1 ? 'warn' : 'info', code: v.getInt32(pos + F.code, true), message: utf8(b, so[0], so[1]) },
        };
      }
      case OP.OP_SEED: {
        const F = LAYOUT.gh_seed.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_seed.size, v.getUint16(pos + F.exe_len, true), v.getUint16(pos + F.argv_len, true), v.getUint16(pos + F.cwd_len, true));
        const so = this.so;
        if (!ok) return undefined;
        const e = this.base(pos + F.e);
        const seed: ProcessSeed = {
          ts: e.ts, seq: e.seq, pid: e.pid, tgid: e.tgid, ppid: e.ppid, uid: e.uid, gid: e.gid, comm: e.comm,
          cgroupId: e.cgroupId, mntns: e.mntns,
          exe: utf8(b, so[0], so[1]),
          argv: this.argv(so[1], so[2]),
          startTs: this.wallMs(this.u64(pos + F.start_ns)),
        };
        if (e.containerId) seed.containerId = e.containerId;
        if (so[3] > so[2]) seed.cwd = utf8(b, so[2], so[3]);
        return { type: 'seed', seed };
      }
      default:
        return undefined;
    }
  }

  private decodeEvent(op: number, pos: number, len: number): RuntimeEvent | undefined {
    const v = this.view, b = this.buf;
    const eo = pos + LAYOUT.gh_exec.fields.e;
    const flags = v.getUint16(eo + E.flags, true), ret = v.getInt32(eo + E.ret, true);
    const kind = EVENT_KINDS[v.getUint16(eo + E.kind, true)];
    if (kind === undefined) return undefined;
    const base = this.base(eo);
    // properties are added in one fixed order per kind (one hidden class each), not merged with Object.assign
    const m = base as EventBase & Record<string, unknown>;
    let event = m as unknown as RuntimeEvent;
    switch (op) {
      case OP.OP_EXEC: {
        const F = LAYOUT.gh_exec.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_exec.size, v.getUint16(pos + F.filename_len, true), v.getUint16(pos + F.argv_len, true), v.getUint16(pos + F.cwd_len, true));
        const so = this.so;
        if (!ok || kind !== 'exec') return undefined;
        const argv = this.argv(so[1], so[2]);
        let filename = this.strs.get(b, so[0], so[1]);
        // busybox applets re-exec /proc/self/exe: argv[0] names what really runs
        if (filename === '/proc/self/exe' && argv[0]) filename = argv[0];
        m.kind = kind; m.filename = filename; m.argv = argv; m.ret = ret;
        const ev = m as unknown as ExecEvent;
        if (flags & FLAG.F_TRUNCATED) ev.argvTruncated = true;
        if (flags & FLAG.F_MEMFD) ev.memfd = true;
        ev.cwd = cwdFrom(utf8(b, so[2], so[3]), (flags & FLAG.F_CWD_REVERSED) !== 0);
        event = ev;
        break;
      }
      case OP.OP_FORK: {
        const F = LAYOUT.gh_fork.fields;
        if (kind !== 'fork') return undefined;
        m.kind = kind; m.childPid = v.getUint32(pos + F.child_pid, true); m.childTgid = v.getUint32(pos + F.child_tgid, true); m.thread = (flags & FLAG.F_THREAD) !== 0;
        break;
      }
      case OP.OP_EXIT: {
        const F = LAYOUT.gh_exit.fields;
        if (kind !== 'exit') return undefined;
        m.kind = kind; m.code = v.getInt32(pos + F.code, true); m.signal = v.getInt32(pos + F.signal, true); m.thread = (flags & FLAG.F_THREAD) !== 0;
        break;
      }
      case OP.OP_FILE: {
        const F = LAYOUT.gh_file.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_file.size, v.getUint16(pos + F.path_len, true), v.getUint16(pos + F.path2_len, true), v.getUint16(pos + F.aux_len, true), v.getUint16(pos + F.cwd_len, true));
        const so = this.so;
        if (!ok) return undefined;
        const dirfd = v.getInt32(pos + F.dirfd, true), fd = v.getInt32(pos + F.fd, true);
        const cwd = so[4] > so[3] ? cwdFrom(this.strs.get(b, so[3], so[4]), (flags & FLAG.F_CWD_REVERSED) !== 0) : undefined;
        const raw = this.strs.get(b, so[0], so[1]);
        const path = raw ? (dirfd === AT_FDCWD ? resolvePath(raw, cwd) : raw) : fd >= 0 ? `fd:${fd}` : '';
        const raw2 = so[2] > so[1] ? this.strs.get(b, so[1], so[2]) : '';
        const mode = v.getUint32(pos + F.mode, true), fl = v.getUint32(pos + F.flags, true);
        switch (kind) {
          case 'open': m.kind = kind; m.path = path; m.flags = fl; m.mode = mode; m.ret = ret; break;
          case 'unlink': case 'mkdir': case 'chroot': case 'umount': m.kind = kind; m.path = path; m.ret = ret; break;
          case 'rename': case 'link': case 'symlink': {
            // the new path shares the cwd sent for a relative first path
            const newPath = cwd !== undefined || raw2.startsWith('/') ? resolvePath(raw2, cwd) : raw2;
            // symlink: path is the link target as written (not resolved); newPath is the new link
            m.kind = kind; m.path = kind === 'symlink' ? raw : path; m.newPath = newPath; m.ret = ret;
            break;
          }
          case 'chmod': m.kind = kind; m.path = path; m.mode = mode; m.ret = ret; break;
          case 'chown': m.kind = kind; m.path = path; m.owner = v.getUint32(pos + F.owner, true); m.group = v.getUint32(pos + F.group, true); m.ret = ret; break;
          case 'mount': m.kind = kind; m.path = path; m.source = raw2; m.fstype = utf8(b, so[2], so[3]); m.flags = fl; m.ret = ret; break;
          default: return undefined;
        }
        break;
      }
      case OP.OP_NET: {
        const F = LAYOUT.gh_net.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_net.size, v.getUint16(pos + F.unix_len, true));
        const so = this.so;
        if (!ok || !(kind === 'connect' || kind === 'accept' || kind === 'bind' || kind === 'listen')) return undefined;
        const fam = v.getUint16(pos + F.family, true), type = v.getUint16(pos + F.type, true);
        const family: SockFamily = fam === AF_INET ? 'inet' : fam === AF_INET6 ? 'inet6' : fam === AF_UNIX ? 'unix' : 'other';
        const proto: L4Proto = family === 'unix' ? 'unix' : type === 1 ? 'tcp' : type === 2 ? 'udp' : 'other';
        m.kind = kind; m.family = family; m.proto = proto; m.fd = v.getInt32(pos + F.fd, true); m.ret = ret;
        const ev = m as unknown as NetEvent;
        const sport = v.getUint16(pos + F.sport, true), dport = v.getUint16(pos + F.dport, true);
        if (family === 'inet' || family === 'inet6') {
          const addr = family === 'inet' ? ipv4 : ipv6;
          if (kind !== 'connect' || sport) { ev.saddr = addr(b, pos + F.saddr); ev.sport = sport; }
          if (kind === 'connect' || kind === 'accept') { ev.daddr = addr(b, pos + F.daddr); ev.dport = dport; }
        } else if (family === 'unix' && so[1] > so[0]) {
          ev.unixPath = `${flags & FLAG.F_ABSTRACT ? '@' : ''}${utf8(b, so[0], so[1])}`;
        }
        event = ev;
        break;
      }
      case OP.OP_DNS: {
        const F = LAYOUT.gh_dns.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_dns.size, v.getUint16(pos + F.payload_len, true));
        const so = this.so;
        if (!ok || kind !== 'dns') return undefined;
        const q = parseDnsQuestion(b, so[0], so[1]);
        const fam = v.getUint16(pos + F.family, true);
        event = {
          ...base, kind, qname: q?.qname ?? '', qtype: q?.qtype ?? 0,
          daddr: fam === AF_INET ? ipv4(b, pos + F.daddr) : ipv6(b, pos + F.daddr), dport: v.getUint16(pos + F.dport, true),
        };
        break;
      }
      case OP.OP_PRIV: {
        const F = LAYOUT.gh_priv.fields;
        const ok = this.cut(pos, len, LAYOUT.gh_priv.size, v.getUint16(pos + F.str_len, true));
        const so = this.so;
        if (!ok) return undefined;
        const str = utf8(b, so[0], so[1]);
        const a = (i: number) => this.u64(pos + F.args + 8 * i);
        const sysnr = v.getUint32(pos + F.sysnr, true);
        switch (kind) {
          case 'setuid': case 'setgid': {
            const target: number[] = [];
            for (let i = 0; i < 3; i++) { const x = a(i); if (x !== 0xffffffff) target.push(x); }
            m.kind = kind; m.syscall = SETID_SYSCALLS[sysnr] ?? `syscall ${sysnr}`; m.target = target; m.ret = ret;
            break;
          }
          case 'capset': m.kind = kind; m.effective = this.hex64(pos + F.args); m.permitted = this.hex64(pos + F.args + 8); m.ret = ret; break;
          case 'ptrace': m.kind = kind; m.request = a(0); m.targetPid = a(1); m.ret = ret; break;
          case 'module': m.kind = kind; m.name = str; m.ret = ret; break;
          case 'bpf': m.kind = kind; m.cmd = a(0); m.ret = ret; break;
          case 'unshare': case 'setns': m.kind = kind; m.flags = a(0); m.ret = ret; break;
          case 'memfd': m.kind = kind; m.name = str; m.flags = a(0); m.ret = ret; break;
          case 'mprotect': case 'mmap':
            m.kind = kind; m.addr = this.hex64(pos + F.args); m.len = a(1); m.prot = a(2); m.flags = a(3); m.ret = ret;
            break;
          case 'io_uring': m.kind = kind; m.entries = a(0); m.flags = a(1); m.ret = ret; break;
          default: return undefined;
        }
        break;
      }
      default:
        return undefined;
    }
    return event;
  }
}
