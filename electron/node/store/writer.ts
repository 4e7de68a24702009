// The recording's writer thread: compresses packed event chunks and runs every SQLite write, so capture never waits on disk.
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { SealedChunk } from './eventCodec';
import { DEFLATE_LEVEL, CODEC_PACKED_DEFLATE } from './eventCodec';

/** A write the thread runs by statement name (see STATEMENTS), inside the batch's transaction. */
export type WriteOp = [statement: string, args: unknown[]];

export interface WriteFailure {
  code: string;
  message: string;
}

/** Rows (or a chunk's events) the writer could not write, by reason ("files: NOT NULL constraint failed: files.path"). */
export type UnsavedReasons = Record<string, number>;

/** Distinct reasons kept; more are counted under OTHER_REASON, so a flood of odd rows cannot grow the map. */
export const MAX_REASONS = 32;
export const OTHER_REASON = 'other reasons';

/** Adds `n` under `reason` (at most MAX_REASONS distinct reasons, each at most 200 characters). */
export function addReason(into: UnsavedReasons, reason: string, n: number): void {
  const r = reason.length > 200 ? `${reason.slice(0, 199)}…` : reason;
  const key = r in into || Object.keys(into).length < MAX_REASONS ? r : OTHER_REASON;
  into[key] = (into[key] ?? 0) + n;
}

/** Meta key the writer sets when the recording closes: {"count": n, "reasons": {...}} of what it could not write. */
export const UNSAVED_META = 'unsaved';

/** Statements the writer thread prepares; the main thread names them in WriteOps. */
export const STATEMENTS: Record<string, string> = {
  chunk: 'INSERT INTO event_chunks (first_id, count, ts_min, ts_max, kinds, codec, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
  // A chunk's side index rows go in one statement each (a JSON array of keys): one call instead of ~100 per chunk.
  chunkContainers: 'INSERT OR IGNORE INTO chunk_containers (container, chunk) SELECT value, ? FROM json_each(?)',
  chunkPaths: 'INSERT OR IGNORE INTO chunk_paths (path, chunk) SELECT value, ? FROM json_each(?)',
  chunkEndpoints: 'INSERT OR IGNORE INTO chunk_endpoints (endpoint, chunk) SELECT value, ? FROM json_each(?)',
  kindCount: 'INSERT INTO event_kinds (kind, n) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET n = n + excluded.n',
  // Upserts that set only what can change: REPLACE would delete and re-insert the row and every index entry.
  process: `INSERT INTO processes (key, container, tgid, parent_key, start, exit, exe, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET parent_key = excluded.parent_key, exit = excluded.exit, exe = excluded.exe, data = excluded.data`,
  file: `INSERT INTO files (container, path, first, last, data) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (container, path) DO UPDATE SET first = excluded.first, last = excluded.last, data = excluded.data`,
  flow: `INSERT INTO flows (key, container, direction, proto, remote_addr, remote_port, data) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET data = excluded.data`,
  listening: 'INSERT OR REPLACE INTO listening (key, container, data) VALUES (?, ?, ?)',
  resource: 'INSERT INTO resources (container, ts, data) VALUES (?, ?, ?)',
  stats: 'INSERT INTO sensor_stats (ts, data) VALUES (?, ?)',
  meta: 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)',
  gap: 'INSERT INTO gaps (start, end, reason) VALUES (?, ?, ?)',
  finding: 'INSERT OR REPLACE INTO findings (fingerprint, rule_id, severity, container_id, first, last, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
  containerInsert: 'INSERT OR IGNORE INTO containers (id, container_id, name) VALUES (?, ?, ?)',
  containerUpdate: 'UPDATE containers SET name = ?, image = ?, ref = ?, detail = COALESCE(?, detail), first_seen = ?, last_seen = ?, events = ? WHERE id = ?',
};

/** Writes one sealed chunk and its side index rows with the given statement runner (used by the thread and by migration). */
export function chunkOps(c: SealedChunk, data: Uint8Array): WriteOp[] {
  const ops: WriteOp[] = [['chunk', [c.firstId, c.count, c.tsMin, c.tsMax, c.kinds, CODEC_PACKED_DEFLATE, data]]];
  if (c.containers.length) ops.push(['chunkContainers', [c.firstId, JSON.stringify(c.containers)]]);
  if (c.paths.length) ops.push(['chunkPaths', [c.firstId, JSON.stringify(c.paths)]]);
  if (c.endpoints.length) ops.push(['chunkEndpoints', [c.firstId, JSON.stringify(c.endpoints)]]);
  for (const [k, n] of c.kindCounts) ops.push(['kindCount', [k, n]]);
  return ops;
}

// Plain CommonJS run with `eval: true`, so it needs no bundling step of its own. Shared state (Int32 slots):
// 0 = last batch committed, 1 = failed; Float64 slots: 0 events committed, 1 flushes, 2 last flush ms, 3 max flush ms,
// 4 total ms spent writing (the thread's busy time), 5 rows/events not written (a row the schema rejected), 6 the
// events among them (chunks that could not be written).
// A row the schema rejects (a constraint, a type or size it cannot bind) is skipped and counted with its reason; the
// statement's own changes are undone by SQLite and the transaction goes on. Anything else (disk full, I/O error, a
// damaged file) stops the writer: the transaction is rolled back and the main thread is told why.
const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { deflateRawSync } = require('node:zlib');
const { sqlitePath, path, statements, level, ctlBuf, numBuf, replyPort } = workerData;
const ctl = new Int32Array(ctlBuf);
const num = new Float64Array(numBuf);
let db;
let st;
let failed = false;
const ROW_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
let unsavedTotal = 0;
const unsavedReasons = {};
let batchReasons = {};
function failWith(err) {
  if (failed) return;
  failed = true;
  try { replyPort.postMessage({ kind: 'failure', code: (err && err.code) || 'WRITE_FAILED', message: (err && err.message) || String(err) }); } catch {}
  Atomics.store(ctl, 1, 1);
  Atomics.notify(ctl, 0);
}
function addReason(into, reason, n) {
  const r = reason.length > 200 ? reason.slice(0, 199) + '…' : reason;
  const key = r in into || Object.keys(into).length < ${MAX_REASONS} ? r : ${JSON.stringify(OTHER_REASON)};
  into[key] = (into[key] || 0) + n;
}
// One row's failure: counted and skipped when it is the row's fault and the transaction is intact; rethrown otherwise.
function skipRow(name, err, n) {
  const rowFault = err instanceof TypeError || err instanceof RangeError || (err && typeof err.code === 'string' && ROW_CODES.test(err.code));
  if (!rowFault || !db.inTransaction) throw err;
  const reason = name + ': ' + ((err && err.message) || String(err));
  addReason(batchReasons, reason, n);
  unsavedTotal += n;
}
function runRow(name, args) {
  try { st[name].run(...args); } catch (err) { skipRow(name, err, 1); }
}
try {
  const Database = require(sqlitePath);
  db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -16000');
  st = {};
  for (const k of Object.keys(statements)) st[k] = db.prepare(statements[k]);
} catch (err) {
  failWith(err);
}
parentPort.on('message', (m) => {
  if (!failed) {
    const t0 = performance.now();
    try {
      const chunks = m.chunks || [];
      const blobs = chunks.map((c) => deflateRawSync(c.packed, { level }));
      let skippedEvents = 0;
      batchReasons = {};
      const before = unsavedTotal;
      db.transaction(() => {
        for (const [name, args] of m.ops) runRow(name, args);
        for (let i = 0; i < chunks.length; i++) {
          const c = chunks[i];
          try {
            st.chunk.run(c.firstId, c.count, c.tsMin, c.tsMax, c.kinds, ${CODEC_PACKED_DEFLATE}, blobs[i]);
          } catch (err) {
            // the chunk's events are lost, and its index rows would point at nothing
            skipRow('chunk', err, c.count);
            skippedEvents += c.count;
            continue;
          }
          if (c.containers.length) runRow('chunkContainers', [c.firstId, JSON.stringify(c.containers)]);
          if (c.paths.length) runRow('chunkPaths', [c.firstId, JSON.stringify(c.paths)]);
          if (c.endpoints.length) runRow('chunkEndpoints', [c.firstId, JSON.stringify(c.endpoints)]);
          for (const [k, n] of c.kindCounts) runRow('kindCount', [k, n]);
        }
        for (const [name, args] of m.after || []) runRow(name, args);
        if (m.close) {
          // What could not be written, kept in the file (the main thread's own count comes with the close message),
          // added to what an earlier writing session of this file counted (a scan reopens it to add policy findings).
          let prev = {};
          try { prev = JSON.parse((db.prepare('SELECT value FROM meta WHERE key = ?').get('${UNSAVED_META}') || {}).value || '{}'); } catch {}
          const reasons = Object.assign({}, prev.reasons || {});
          for (const [r, n] of Object.entries(unsavedReasons)) addReason(reasons, r, n);
          for (const [r, n] of Object.entries(batchReasons)) addReason(reasons, r, n);
          for (const [r, n] of Object.entries((m.unsaved && m.unsaved.reasons) || {})) addReason(reasons, r, n);
          const count = (prev.count || 0) + unsavedTotal + ((m.unsaved && m.unsaved.count) || 0);
          st.meta.run('${UNSAVED_META}', JSON.stringify({ count, reasons }));
        }
      })();
      const ms = performance.now() - t0;
      num[0] += m.events - skippedEvents;
      if (unsavedTotal !== before) {
        for (const [r, n] of Object.entries(batchReasons)) addReason(unsavedReasons, r, n);
        num[5] = unsavedTotal;
        num[6] += skippedEvents;
        try { replyPort.postMessage({ kind: 'unsaved', reasons: batchReasons }); } catch {}
      }
      if (m.events || m.ops.length) {
        num[1]++;
        num[2] = ms;
        if (ms > num[3]) num[3] = ms;
        num[4] += ms;
      }
      if (m.close) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      failWith(err);
    }
  }
  if (m.close) {
    try { db && db.close(); } catch {}
  }
  Atomics.store(ctl, 0, m.seq);
  Atomics.notify(ctl, 0);
  if (m.close) parentPort.close();
});
`;

function sqliteModulePath(): string {
  // The thread loads better-sqlite3 by absolute path: its own require would resolve from the working directory.
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  return req.resolve('better-sqlite3');
}

/** Main-thread handle of the writer thread: posts batches in order and reads what is committed from shared memory. */
export class WriterThread {
  private readonly worker: Worker;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(8));
  private readonly num = new Float64Array(new SharedArrayBuffer(56));
  private readonly reply: MessagePort;
  private sent = 0;
  private failure: WriteFailure | undefined;
  private exited = false;
  private readonly reasons: UnsavedReasons = {};

  constructor(path: string) {
    const { port1, port2 } = new MessageChannel();
    this.reply = port1;
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        sqlitePath: sqliteModulePath(), path, statements: STATEMENTS, level: DEFLATE_LEVEL,
        ctlBuf: this.ctl.buffer, numBuf: this.num.buffer, replyPort: port2,
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('error', (err) => this.noteFailure({ code: 'WRITE_FAILED', message: err.message }));
    this.worker.on('exit', () => { this.exited = true; });
  }

  /**
   * Queues one transaction: ops, then the chunks (compressed on the thread), then `after` ops. The closing one also
   * writes the unsaved count (UNSAVED_META), adding `unsaved` (what the main thread could not even hand over).
   */
  post(ops: WriteOp[], chunks: SealedChunk[], events: number, after: WriteOp[] = [], close = false, unsaved?: { count: number; reasons: UnsavedReasons }): void {
    const seq = ++this.sent;
    this.worker.postMessage({ seq, ops, chunks, events, after, close, unsaved }, chunks.map((c) => c.packed.buffer as ArrayBuffer));
  }

  /** Rows and events the thread skipped because the schema rejected them (the recording went on). */
  unsaved(): { count: number; events: number; reasons: UnsavedReasons } {
    this.drain();
    return { count: this.num[5], events: this.num[6], reasons: { ...this.reasons } };
  }

  /** Events committed so far (durable against a process kill). */
  get committed(): number {
    return this.num[0];
  }

  timing(): { flushes: number; lastFlushMs: number; maxFlushMs: number; busyMs: number } {
    return { flushes: this.num[1], lastFlushMs: this.num[2], maxFlushMs: this.num[3], busyMs: this.num[4] };
  }

  /** The thread's write failure, if it had one (checked without waiting). */
  failed(): WriteFailure | undefined {
    if (!this.failure && Atomics.load(this.ctl, 1) === 1) {
      this.drain();
      this.failure ??= { code: 'WRITE_FAILED', message: 'the writer stopped' };
    }
    return this.failure;
  }

  /** Reads the thread's reports (skipped rows by reason, its failure) without waiting. */
  private drain(): void {
    for (let m = receiveMessageOnPort(this.reply); m; m = receiveMessageOnPort(this.reply)) {
      const msg = m.message as { kind: 'failure'; code: string; message: string } | { kind: 'unsaved'; reasons: UnsavedReasons };
      if (msg.kind === 'failure') this.failure ??= { code: msg.code, message: msg.message };
      else for (const [r, n] of Object.entries(msg.reasons)) addReason(this.reasons, r, n);
    }
  }

  /** Blocks until every posted batch is committed or the thread failed. */
  settle(): void {
    let lastSeen = Atomics.load(this.ctl, 0);
    let stalledMs = 0;
    while (lastSeen < this.sent && Atomics.load(this.ctl, 1) === 0) {
      const r = Atomics.wait(this.ctl, 0, lastSeen, 1000);
      const now = Atomics.load(this.ctl, 0);
      if (r === 'timed-out' && now === lastSeen) {
        stalledMs += 1000;
        // A thread that makes no progress for a minute (killed, wedged disk) must not hang the engine.
        if (stalledMs >= 60_000 || this.exited) {
          this.noteFailure({ code: 'WRITE_FAILED', message: 'the writer thread stopped responding' });
          return;
        }
      } else {
        stalledMs = 0;
      }
      lastSeen = now;
    }
  }

  /** Stops the thread after its last batch (already posted with close = true and settled). */
  stop(): void {
    void this.worker.terminate();
  }

  private noteFailure(f: WriteFailure): void {
    this.failure ??= f;
    Atomics.store(this.ctl, 1, 1);
  }
}
