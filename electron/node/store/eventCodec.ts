// Column-packed binary encoding of event chunks (a few hundred events per SQLite row), and what a chunk indexes.
import { FileFormatError } from '../../common/ipc/errors';
import { EVENT_KINDS, KIND_CODE, type EventBase, type EventKind, type RuntimeEvent } from '../../common/model/event';

/** Events per chunk: big enough to compress well and cost one row, small enough that a query decodes little extra. */
export const CHUNK_EVENTS = 512;
/** Codec id stored with each chunk row, so later encodings can be read beside this one. */
export const CODEC_PACKED_DEFLATE = 1;
/** deflate-raw level: 1 keeps the writer far ahead of capture; higher levels cost 2–3× CPU for ~20% size. */
export const DEFLATE_LEVEL = 1;

/** Kind code of an event this build cannot pack (a kind it does not know): stored as JSON in the dictionary. */
const RAW_JSON = 255;
const UNDEF = -2147483648;
const FLOAT = -2147483647;
const MAGIC = 0x47; // 'G', codec 1 layout marker

type FieldType = 'n' | 's' | 'b' | 'sa' | 'na';
type KindFields<K extends EventKind> = Exclude<keyof Extract<RuntimeEvent, { kind: K }>, keyof EventBase | 'kind'>;

// Every field of every kind must be listed (the compiler checks it), so nothing an event carries is silently dropped.
const FIELDS: { [K in EventKind]: Record<KindFields<K>, FieldType> } = {
  exec: { filename: 's', argv: 'sa', argvTruncated: 'b', cwd: 's', memfd: 'b', ret: 'n' },
  fork: { childPid: 'n', childTgid: 'n', thread: 'b' },
  exit: { code: 'n', signal: 'n', thread: 'b' },
  open: { path: 's', flags: 'n', mode: 'n', ret: 'n' },
  unlink: { path: 's', ret: 'n' }, mkdir: { path: 's', ret: 'n' }, chroot: { path: 's', ret: 'n' }, umount: { path: 's', ret: 'n' },
  rename: { path: 's', newPath: 's', ret: 'n' }, link: { path: 's', newPath: 's', ret: 'n' }, symlink: { path: 's', newPath: 's', ret: 'n' },
  chmod: { path: 's', mode: 'n', ret: 'n' },
  chown: { path: 's', owner: 'n', group: 'n', ret: 'n' },
  mount: { source: 's', path: 's', fstype: 's', flags: 'n', ret: 'n' },
  connect: { family: 's', proto: 's', saddr: 's', sport: 'n', daddr: 's', dport: 'n', unixPath: 's', fd: 'n', ret: 'n' },
  accept: { family: 's', proto: 's', saddr: 's', sport: 'n', daddr: 's', dport: 'n', unixPath: 's', fd: 'n', ret: 'n' },
  bind: { family: 's', proto: 's', saddr: 's', sport: 'n', daddr: 's', dport: 'n', unixPath: 's', fd: 'n', ret: 'n' },
  listen: { family: 's', proto: 's', saddr: 's', sport: 'n', daddr: 's', dport: 'n', unixPath: 's', fd: 'n', ret: 'n' },
  dns: { qname: 's', qtype: 'n', daddr: 's', dport: 'n', answers: 'sa' },
  setuid: { syscall: 's', target: 'na', ret: 'n' }, setgid: { syscall: 's', target: 'na', ret: 'n' },
  capset: { effective: 's', permitted: 's', ret: 'n' },
  ptrace: { request: 'n', targetPid: 'n', ret: 'n' },
  module: { name: 's', ret: 'n' },
  bpf: { cmd: 'n', ret: 'n' },
  unshare: { flags: 'n', ret: 'n' }, setns: { flags: 'n', ret: 'n' },
  memfd: { name: 's', flags: 'n', ret: 'n' },
  mprotect: { addr: 's', len: 'n', prot: 'n', flags: 'n', ret: 'n' }, mmap: { addr: 's', len: 'n', prot: 'n', flags: 'n', ret: 'n' },
  io_uring: { entries: 'n', flags: 'n', ret: 'n' },
};
// Base fields (all but ts, kind and containerId, which have their own columns), checked complete the same way.
const BASE: Record<Exclude<keyof EventBase, 'ts' | 'containerId'>, FieldType> = {
  seq: 'n', pid: 'n', tgid: 'n', ppid: 'n', uid: 'n', gid: 'n', comm: 's', cgroupId: 's', mntns: 'n',
};
const BASE_NAMES = Object.keys(BASE);
const BASE_COLS = BASE_NAMES.length;
const KIND_NAMES: string[][] = EVENT_KINDS.map((k) => Object.keys(FIELDS[k]));
const KIND_TYPES: FieldType[][] = EVENT_KINDS.map((k) => Object.values(FIELDS[k]) as FieldType[]);
if (BASE_NAMES.join() !== 'seq,pid,tgid,ppid,uid,gid,comm,cgroupId,mntns') throw new Error('eventCodec: base columns changed; update add() and decodeChunk()');
/**
 * One straight-line encoder per kind, generated from FIELDS: named property reads stay monomorphic per kind, and
 * values go straight into the int stream (one capacity check per event), where a loop over field names and a call
 * per field made every event cost several slow keyed lookups on the capture path.
 */
const KIND_ENCODERS: Array<(e: RuntimeEvent, w: ChunkBuilder) => void> = EVENT_KINDS.map((k, code) => {
  const types = KIND_TYPES[code];
  const lines = [`let I = w.ints, n = w.nInts, v;`, `if (n + ${types.length} > I.length) { w.grow(${types.length}); I = w.ints; }`];
  KIND_NAMES[code].forEach((name, f) => {
    const t = types[f];
    lines.push(`v = e[${JSON.stringify(name)}];`);
    if (t === 'n') lines.push(`I[n++] = v === undefined ? ${UNDEF} : ((v | 0) === v && v > ${FLOAT}) ? v : w.float(v);`);
    else if (t === 's') lines.push(`I[n++] = v === undefined || v === null ? ${UNDEF} : w.str(typeof v === 'string' ? v : String(v));`);
    else if (t === 'b') lines.push(`I[n++] = v === undefined || v === null ? ${UNDEF} : v ? 1 : 0;`);
    // Arrays (argv, uid lists) are rare and variable: the general path, which grows the stream as it goes.
    else lines.push(`w.nInts = n; w.put(${JSON.stringify(t)}, v); n = w.nInts; I = w.ints;`, `if (n + ${types.length} > I.length) { w.grow(${types.length}); I = w.ints; }`);
  });
  lines.push('w.nInts = n;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('e', 'w', lines.join('\n')) as never;
});

export function endpointOf(e: RuntimeEvent): string | null {
  switch (e.kind) {
    case 'connect': case 'accept': case 'bind': case 'listen':
      if (e.family === 'unix') return e.unixPath ?? null;
      return e.kind === 'connect' || e.kind === 'accept'
        ? (e.daddr !== undefined ? `${e.daddr}:${e.dport ?? 0}` : null)
        : (e.saddr !== undefined ? `${e.saddr}:${e.sport ?? 0}` : null);
    case 'dns':
      return e.qname;
    default:
      return null;
  }
}

export function pathOf(e: RuntimeEvent): string | null {
  switch (e.kind) {
    case 'open': case 'unlink': case 'mkdir': case 'chroot': case 'umount': case 'chmod': case 'chown': case 'mount':
    case 'rename': case 'link': case 'symlink':
      return e.path;
    case 'exec':
      return e.filename;
    default:
      return null;
  }
}

/** A sealed chunk: the packed bytes (uncompressed) and what the side index tables need. */
export interface SealedChunk {
  firstId: number;
  count: number;
  tsMin: number;
  tsMax: number;
  /** Bitmask of kind codes (bit i = EVENT_KINDS[i]); bit 52 stands for kinds this build does not know. */
  kinds: number;
  kindCounts: Array<[number, number]>;
  containers: number[];
  paths: string[];
  endpoints: string[];
  packed: Uint8Array;
}

/** Packs events one at a time (capture order) into chunks; columns for the common header, a row stream for the rest. */
export class ChunkBuilder {
  private count = 0;
  private firstId = 0;
  private readonly ts = new Float64Array(CHUNK_EVENTS);
  private readonly kind = new Uint8Array(CHUNK_EVENTS);
  private readonly container = new Int32Array(CHUNK_EVENTS);
  private readonly base: Int32Array[] = Array.from({ length: BASE_COLS }, () => new Int32Array(CHUNK_EVENTS));
  /** The int stream and its length: written directly by the generated per-kind encoders. */
  ints = new Int32Array(CHUNK_EVENTS * 8);
  nInts = 0;
  private floats: number[] = [];
  private dict = new Map<string, number>();
  private strings: string[] = [];
  private tsMin = Infinity;
  private tsMax = -Infinity;
  private readonly kindCount = new Int32Array(256);
  private containers = new Set<number>();
  private paths = new Set<string>();
  private endpoints = new Set<string>();
  private lastSeq = 0;
  // comm and cgroup id repeat from event to event: remember the last dictionary entry of each.
  private lastComm: string | undefined;
  private lastCommIdx = 0;
  private lastCgroup: string | undefined;
  private lastCgroupIdx = 0;

  constructor(private nextId: number) {}

  get pending(): number {
    return this.count;
  }

  /** The id the next added event gets. */
  get nextEventId(): number {
    return this.nextId;
  }

  /** Adds one event; returns a sealed chunk when this one filled it. `container` is the containers-table row. */
  add(e: RuntimeEvent, container: number | undefined): SealedChunk | undefined {
    const i = this.count;
    if (i === 0) this.firstId = this.nextId;
    this.count = i + 1;
    this.nextId++;
    const ts = e.ts;
    this.ts[i] = ts;
    if (ts < this.tsMin) this.tsMin = ts;
    if (ts > this.tsMax) this.tsMax = ts;
    this.container[i] = container ?? UNDEF;
    if (container !== undefined) this.containers.add(container);
    let code = KIND_CODE[e.kind];
    if (code === undefined) code = RAW_JSON;
    this.kind[i] = code;
    this.kindCount[code]++;
    if (code === RAW_JSON) {
      // Keep what this build cannot pack whole, rather than lose fields.
      this.putInt(this.str(JSON.stringify({ ...e, containerId: undefined })));
    } else {
      // seq is stored as the step from the previous event: almost always 1, which compresses to nothing.
      const b = this.base;
      b[0][i] = this.numOrUndef(e.seq - this.lastSeq);
      this.lastSeq = e.seq;
      b[1][i] = this.numOrUndef(e.pid);
      b[2][i] = this.numOrUndef(e.tgid);
      b[3][i] = this.numOrUndef(e.ppid);
      b[4][i] = this.numOrUndef(e.uid);
      b[5][i] = this.numOrUndef(e.gid);
      const comm = e.comm;
      b[6][i] = comm === undefined ? UNDEF : comm === this.lastComm ? this.lastCommIdx : (this.lastCommIdx = this.str((this.lastComm = comm)));
      const cg = e.cgroupId;
      b[7][i] = cg === undefined ? UNDEF : cg === this.lastCgroup ? this.lastCgroupIdx : (this.lastCgroupIdx = this.str((this.lastCgroup = cg)));
      b[8][i] = this.numOrUndef(e.mntns);
      KIND_ENCODERS[code](e, this);
      const p = pathOf(e);
      if (p !== null) this.paths.add(p);
      const ep = endpointOf(e);
      if (ep !== null) this.endpoints.add(ep);
    }
    return this.count === CHUNK_EVENTS ? this.seal() : undefined;
  }

  /** Seals what is pending (possibly a partial chunk); undefined when nothing is. */
  seal(): SealedChunk | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const dictBytes = Buffer.from(JSON.stringify(this.strings));
    const nFloats = this.floats.length;
    // Layout: header | ts f64[n] | floats f64 | base i32[BASE_COLS][n] | container i32[n] | ints i32 | kind u8[n] | dict utf8.
    const header = 24;
    const size = header + 8 * (n + nFloats) + 4 * ((BASE_COLS + 1) * n + this.nInts) + n + dictBytes.length;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, n, true);
    dv.setUint32(8, nFloats, true);
    dv.setUint32(12, this.nInts, true);
    dv.setUint32(16, dictBytes.length, true);
    let o = header;
    out.set(new Uint8Array(this.ts.buffer, 0, n * 8), o); o += n * 8;
    if (nFloats) { out.set(new Uint8Array(Float64Array.from(this.floats).buffer), o); o += nFloats * 8; }
    for (const col of this.base) { out.set(new Uint8Array(col.buffer, 0, n * 4), o); o += n * 4; }
    out.set(new Uint8Array(this.container.buffer, 0, n * 4), o); o += n * 4;
    out.set(new Uint8Array(this.ints.buffer, 0, this.nInts * 4), o); o += this.nInts * 4;
    out.set(this.kind.subarray(0, n), o); o += n;
    out.set(dictBytes, o);
    let kinds = 0;
    const kindCounts: Array<[number, number]> = [];
    for (let k = 0; k < 256; k++) {
      if (!this.kindCount[k]) continue;
      kindCounts.push([k, this.kindCount[k]]);
      kinds += 2 ** (k === RAW_JSON ? 52 : Math.min(k, 51));
      this.kindCount[k] = 0;
    }
    const sealed: SealedChunk = {
      firstId: this.firstId, count: n, tsMin: this.tsMin, tsMax: this.tsMax, kinds, kindCounts,
      containers: [...this.containers], paths: [...this.paths], endpoints: [...this.endpoints], packed: out,
    };
    this.count = 0;
    this.nInts = 0;
    this.floats = [];
    this.dict = new Map();
    this.lastComm = undefined;
    this.lastCgroup = undefined;
    this.strings = [];
    this.tsMin = Infinity;
    this.tsMax = -Infinity;
    this.containers = new Set();
    this.paths = new Set();
    this.endpoints = new Set();
    this.lastSeq = 0;
    return sealed;
  }

  /** Starts the next chunk at another id (a gap in ids, e.g. when converting an old file). */
  restartAt(id: number): SealedChunk | undefined {
    const sealed = this.seal();
    this.nextId = id;
    return sealed;
  }

  /** Used by the generated per-kind encoders. */
  str(s: string): number {
    let i = this.dict.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.dict.set(s, i);
    }
    return i;
  }

  private numOrUndef(v: unknown): number {
    if (v === undefined) return UNDEF;
    const n = v as number;
    if ((n | 0) === n && n > FLOAT) return n;
    this.floats.push(n);
    return FLOAT;
  }

  private putInt(v: number): void {
    if (this.nInts === this.ints.length) this.grow(1);
    this.ints[this.nInts++] = v;
  }

  /** Makes room for at least `more` ints (used by the generated per-kind encoders). */
  grow(more: number): void {
    const grown = new Int32Array(Math.max(this.ints.length * 2, this.nInts + more));
    grown.set(this.ints.subarray(0, this.nInts));
    this.ints = grown;
  }

  /** Stores a number that is not a small integer in the float column; returns the marker (generated encoders). */
  float(v: number): number {
    this.floats.push(v);
    return FLOAT;
  }

  /** Used by the generated per-kind encoders. */
  put(t: FieldType, v: unknown): void {
    if (v === undefined || v === null) {
      this.putInt(UNDEF);
      return;
    }
    switch (t) {
      case 'n': this.putInt(this.numOrUndef(v)); return;
      case 's': this.putInt(this.str(String(v))); return;
      case 'b': this.putInt(v ? 1 : 0); return;
      case 'sa': {
        const a = v as string[];
        this.putInt(a.length);
        for (let j = 0; j < a.length; j++) this.putInt(this.str(String(a[j])));
        return;
      }
      case 'na': {
        const a = v as number[];
        this.putInt(a.length);
        for (let j = 0; j < a.length; j++) this.putInt(this.numOrUndef(a[j]));
        return;
      }
    }
  }
}

/**
 * One generated materializer per kind, like the encoders: an object literal for the header, then named stores in
 * field order, so every event of a kind shares one hidden class (a keyed loop made each event a slow dictionary).
 * Arguments: (chunk columns, event index, its first int, its first float); returns the event without containerId.
 */
type Materializer = (c: ChunkColumns, i: number, ii: number, fi: number) => RuntimeEvent;
const MATERIALIZERS: Materializer[] = EVENT_KINDS.map((k, code) => {
  const num = (x: string) => `((v = ${x}) === ${UNDEF} ? undefined : v === ${FLOAT} ? F[fi++] : v)`;
  const lines = [
    'const I = c.ints, F = c.floats, S = c.strings, B = c.base; let v;',
    // Header fields in the encoder's order (floats are consumed in that order).
    `const e = { ts: c.ts[i], seq: c.seq[i], pid: ${num('B[1][i]')}, tgid: ${num('B[2][i]')}, ppid: ${num('B[3][i]')}, ` +
      `uid: ${num('B[4][i]')}, gid: ${num('B[5][i]')}, comm: S[B[6][i]], cgroupId: S[B[7][i]], mntns: ${num('B[8][i]')}, kind: ${JSON.stringify(k)} };`,
  ];
  KIND_NAMES[code].forEach((name, f) => {
    const t = KIND_TYPES[code][f];
    const set = `e[${JSON.stringify(name)}]`;
    lines.push(`v = I[ii++];`);
    if (t === 'n') lines.push(`if (v !== ${UNDEF}) ${set} = v === ${FLOAT} ? F[fi++] : v;`);
    else if (t === 's') lines.push(`if (v !== ${UNDEF}) ${set} = S[v];`);
    else if (t === 'b') lines.push(`if (v !== ${UNDEF}) ${set} = v === 1;`);
    else if (t === 'sa') lines.push(`if (v !== ${UNDEF}) { const a = new Array(v); for (let j = 0; j < a.length; j++) a[j] = S[I[ii++]]; ${set} = a; }`);
    else lines.push(`if (v !== ${UNDEF}) { const a = new Array(v); for (let j = 0; j < a.length; j++) { const x = I[ii++]; a[j] = x === ${FLOAT} ? F[fi++] : x; } ${set} = a; }`);
  });
  lines.push('return e;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('c', 'i', 'ii', 'fi', lines.join('\n')) as Materializer;
});

/** The raw columns of a decoded chunk (what the generated materializers read). */
interface ChunkColumns {
  ts: Float64Array;
  seq: Float64Array;
  base: Int32Array[];
  ints: Int32Array;
  floats: Float64Array;
  strings: string[];
}

/** A chunk that does not decode: named, with what is wrong, whichever part of it failed. */
function badChunk(what: string): FileFormatError {
  return new FileFormatError(`An event chunk of this recording does not decode: ${what}. The file is damaged or was not written by Glasshouse.`,
    'Open a recording saved by Glasshouse.', 'BAD_CHUNK');
}

/**
 * One decoded chunk, kept as columns: queries filter on ts, kind and container without building objects, and
 * only the events they return are materialized (each call gives a fresh object the caller may change).
 */
export class DecodedChunk implements ChunkColumns {
  readonly count: number;
  readonly ts: Float64Array;
  /** Kind codes (index into EVENT_KINDS; 255 = a kind this build does not know, kept as JSON). */
  readonly kindCodes: Uint8Array;
  readonly base: Int32Array[];
  readonly ints: Int32Array;
  readonly floats: Float64Array;
  private readonly cont: Int32Array;
  private readonly dict: Uint8Array;
  // Built on the first event() call: a chunk that a query's column filters reject never parses its dictionary
  // or walks its int stream.
  private strs: string[] | undefined;
  private seqs: Float64Array | undefined;
  /** Where each event's fields start in the int and float streams (found in one pass, no allocation per event). */
  private intAt: Int32Array | undefined;
  private floatAt: Int32Array | undefined;

  constructor(bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24 || dv.getUint32(0, true) !== MAGIC) throw badChunk('event chunk has an unknown layout');
    const n = dv.getUint32(4, true);
    const nFloats = dv.getUint32(8, true);
    const nInts = dv.getUint32(12, true);
    const dictLen = dv.getUint32(16, true);
    let o = bytes.byteOffset + 24;
    const need = 24 + 8 * (n + nFloats) + 4 * ((BASE_COLS + 1) * n + nInts) + n + dictLen;
    if (need !== bytes.length) throw badChunk(`event chunk is ${bytes.length} bytes, expected ${need}`);
    if (o % 8 !== 0) throw badChunk('event chunk buffer is not aligned');
    const buf = bytes.buffer;
    this.count = n;
    this.ts = new Float64Array(buf, o, n); o += n * 8;
    this.floats = new Float64Array(buf, o, nFloats); o += nFloats * 8;
    this.base = [];
    for (let c = 0; c < BASE_COLS; c++) { this.base.push(new Int32Array(buf, o, n)); o += n * 4; }
    this.cont = new Int32Array(buf, o, n); o += n * 4;
    this.ints = new Int32Array(buf, o, nInts); o += nInts * 4;
    this.kindCodes = new Uint8Array(buf, o, n); o += n;
    this.dict = new Uint8Array(buf, o, dictLen);
  }

  get strings(): string[] {
    if (this.strs) return this.strs;
    let strs: unknown;
    try {
      strs = JSON.parse(Buffer.from(this.dict.buffer, this.dict.byteOffset, this.dict.length).toString('utf8'));
    } catch (err) {
      throw badChunk(`its string table is not JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(strs) || !strs.every((x) => typeof x === 'string')) throw badChunk('its string table is not a list of strings');
    return (this.strs = strs as string[]);
  }

  get seq(): Float64Array {
    if (!this.seqs) this.index();
    return this.seqs!;
  }

  /** One pass over the int stream: each event's seq and where its fields start. Throws on a stream that does not parse. */
  private index(): void {
    const n = this.count;
    const nInts = this.ints.length;
    const nFloats = this.floats.length;
    const seqs = new Float64Array(n);
    const intAt = new Int32Array(n);
    const floatAt = new Int32Array(n);
    const ints = this.ints;
    const b = this.base;
    let ii = 0;
    let fi = 0;
    let seq = 0;
    for (let i = 0; i < n; i++) {
      const code = this.kindCodes[i];
      if (code === RAW_JSON) {
        intAt[i] = ii++;
        continue;
      }
      const types = KIND_TYPES[code];
      if (!types) throw badChunk(`event chunk holds unknown kind ${code}`);
      const d = b[0][i];
      seq += d === FLOAT ? this.floats[fi++] : d;
      seqs[i] = seq;
      intAt[i] = ii;
      floatAt[i] = fi;
      // Floats are consumed by the header (pid..gid, mntns) and then the kind's numeric fields, in that order.
      for (const c of [1, 2, 3, 4, 5, 8]) if (b[c][i] === FLOAT) fi++;
      for (let f = 0; f < types.length; f++) {
        const v = ints[ii++];
        if (v === UNDEF) continue;
        const t = types[f];
        if (t === 'n') { if (v === FLOAT) fi++; continue; }
        if (t !== 'sa' && t !== 'na') continue;
        // an array's length comes from the file: never walk (or allocate) past the int stream
        if (v < 0 || v > nInts - ii) throw badChunk(`event ${i} has an array of ${v} entries where ${nInts - ii} ints remain`);
        if (t === 'sa') ii += v;
        else for (let j = 0; j < v; j++) if (ints[ii++] === FLOAT) fi++;
      }
      if (ii > nInts || fi > nFloats) throw badChunk('event chunk fields run past their columns');
    }
    this.seqs = seqs;
    this.intAt = intAt;
    this.floatAt = floatAt;
  }

  /** The containers-table row of event i, or undefined for a host event. */
  container(i: number): number | undefined {
    const c = this.cont[i];
    return c === UNDEF ? undefined : c;
  }

  /** The containers-table row of event i, or UNDEF_CONTAINER for a host event (no allocation, for filters). */
  containerRow(i: number): number {
    return this.cont[i];
  }

  /** Event i as a fresh object (without containerId). */
  event(i: number): RuntimeEvent {
    if (!this.intAt) this.index();
    const code = this.kindCodes[i];
    try {
      if (code !== RAW_JSON) return MATERIALIZERS[code](this, i, this.intAt![i], this.floatAt![i]);
      const raw: unknown = JSON.parse(this.strings[this.ints[this.intAt![i]]]);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badChunk(`event ${i} is stored as JSON that is not an object`);
      return raw as RuntimeEvent;
    } catch (err) {
      if (err instanceof FileFormatError) throw err;
      throw badChunk(`event ${i} does not decode (${(err as Error).message})`);
    }
  }

  /** Every event, in order (fresh objects). */
  get events(): RuntimeEvent[] {
    return Array.from({ length: this.count }, (_, i) => this.event(i));
  }

  /** Every event's containers-table row, in order. */
  get containers(): Array<number | undefined> {
    return Array.from({ length: this.count }, (_, i) => this.container(i));
  }
}

/** containerRow() of a host event. */
export const UNDEF_CONTAINER = UNDEF;

/** Unpacks a chunk made by ChunkBuilder.seal(). Throws on bytes that do not parse (the caller reports the file as damaged). */
export function decodeChunk(buf: Uint8Array): DecodedChunk {
  // Typed views need 8-byte alignment: copy a blob that arrives at another offset (inflate output is aligned).
  if (buf.byteOffset % 8 === 0) return new DecodedChunk(buf);
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  return new DecodedChunk(bytes);
}

/** The kind code of a kind as stored in a chunk (DecodedChunk.kindCodes). */
export function kindCode(kind: EventKind): number {
  return KIND_CODE[kind];
}

/** The kinds bitmask bit for a kind (matches SealedChunk.kinds). */
export function kindBit(kind: EventKind): number {
  return 2 ** Math.min(KIND_CODE[kind], 51);
}
