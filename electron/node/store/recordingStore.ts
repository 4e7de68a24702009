// One recording = one SQLite file (WAL): events packed in chunks and written on a writer thread, and the queries views need.
import Database from 'better-sqlite3';
import { inflateRawSync } from 'node:zlib';
import { accessSync, constants as fsConstants, existsSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENT_KINDS, KIND_CODE, type EventKind, type RuntimeEvent, type SensorStats } from '../../common/model/event';
import type { FileChange, Flow, ListeningSocket, ProcessNode, ResourceSample } from '../../common/model/process';
import type { ContainerDetail, ContainerRef } from '../../common/model/container';
import type { Finding } from '../../common/model/finding';
import type { ContainerRecord, WorldDelta } from '../../common/state/index';
import { FileFormatError, GlasshouseError, UserInputError } from '../../common/ipc/errors';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { checkRecordingHeader } from './validate';
import { assertSqliteRuntime } from './runtime';
import { GLASSHOUSE_VERSION } from '../version';
import { CHUNK_EVENTS, ChunkBuilder, decodeChunk, endpointOf, kindBit, kindCode, pathOf, UNDEF_CONTAINER, type DecodedChunk, type SealedChunk } from './eventCodec';
import { UNSAVED_META, WriterThread, addReason, type UnsavedReasons, type WriteFailure, type WriteOp } from './writer';

export interface StoreOptions {
  /** Flush the write queue at least this often (ms). */
  flushIntervalMs?: number;
  /** Flush early once this many events are queued. */
  flushEvents?: number;
  /**
   * Timer flushes write the changed state rows (processes, files, flows) at most this often (ms); explicit flushes,
   * reads and close always write them. Rows coalesce by identity in between, so a busy capture rewrites far fewer.
   */
  stateIntervalMs?: number;
}

export interface RecordingMeta {
  format: string;
  schemaVersion: number;
  createdAt: number;
  createdBy: string;
  title?: string;
  source?: string;
  finishedAt?: number;
  /** Why the recording ended early (disk full, sensor died), if it did. */
  stopReason?: string;
}

export interface RecordingInfo {
  path: string;
  meta: RecordingMeta;
  events: number;
  firstTs?: number;
  lastTs?: number;
  containers: StoredContainer[];
  eventsByKind: Partial<Record<EventKind, number>>;
}

export interface StoredContainer {
  id: string;
  ref: ContainerRef;
  detail?: ContainerDetail;
  firstSeen?: number;
  lastSeen?: number;
  events: number;
}

export interface EventQuery {
  from?: number;
  to?: number;
  containerId?: string;
  kinds?: EventKind[];
  limit?: number;
  /** The newest `limit` events of the window instead of the first (a window that follows a live capture). */
  newest?: boolean;
}

/** What a recording lost while it was made (see RecordingStore.recordedLoss). */
export interface RecordedLoss {
  unsaved: number;
  unsavedReasons: UnsavedReasons;
  observerErrors: number;
  subscriberErrors: number;
}

/** A stored event with its row id (the recording's order). */
export type StoredEvent = RuntimeEvent & { id: number };

export interface WriteStats {
  eventsWritten: number;
  flushes: number;
  lastFlushMs: number;
  maxFlushMs: number;
  /** Time the writer thread spent compressing and writing, in total (ms). */
  writerBusyMs?: number;
  queued: number;
  /** Events discarded because the recording had already failed (e.g. the disk was full). */
  discarded: number;
  /** Rows (and a chunk's events) the schema rejected: each was skipped and the recording went on. */
  unsaved: number;
  /** `unsaved` by reason ("files: NOT NULL constraint failed: files.path"). */
  unsavedReasons: UnsavedReasons;
}

/** Decoded chunks kept for the next query (replay reads the chunk a batch boundary split twice). */
const CHUNK_CACHE = 8;

interface ChunkRow { first_id: number; count: number; ts_min: number; ts_max?: number; data: Buffer }

/** The most an event takes in a packed chunk, generously (argv and paths are bounded by the helper to a few KiB). */
const MAX_PACKED_EVENT_BYTES = 64 * 1024;

/**
 * Inflates a chunk no further than its declared event count allows: a crafted file whose blob would inflate to
 * hundreds of megabytes (a deflate bomb) is refused before the memory is taken.
 */
function inflateChunk(r: ChunkRow): Buffer {
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > CHUNK_EVENTS) {
    throw new FileFormatError(`An event chunk of this recording declares ${String(r.count)} events (at most ${CHUNK_EVENTS} are written): the file is damaged or was not written by Glasshouse.`,
      'Open a recording saved by Glasshouse.', 'BAD_CHUNK');
  }
  try {
    return inflateRawSync(r.data, { maxOutputLength: r.count * MAX_PACKED_EVENT_BYTES + 4096 });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new FileFormatError(`An event chunk of this recording inflates beyond ${r.count * MAX_PACKED_EVENT_BYTES + 4096} bytes for its ${r.count} events: the file is damaged or crafted.`,
        'Open a recording saved by Glasshouse.', 'BAD_CHUNK');
    }
    throw err;
  }
}
const byTsThenId = (a: { ts: number; id: number }, b: { ts: number; id: number }) => a.ts - b.ts || a.id - b.id;
const byTsThenIdDesc = (a: { ts: number; id: number }, b: { ts: number; id: number }) => b.ts - a.ts || b.id - a.id;

function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && (err as unknown as { code: string }).code.startsWith('SQLITE_');
}

/**
 * A recording holds only tables and their indexes. A view, trigger or virtual table in a file is code the file
 * brings along (a recursive view in place of \`meta\` never returns; a trigger runs on our writes): refuse the file
 * before any query touches it, and let no schema object call functions with side effects (trusted_schema off).
 */
function checkSchemaObjects(db: Database.Database, path: string): void {
  db.pragma('trusted_schema = OFF');
  const odd = (db.prepare("SELECT type, name, sql FROM sqlite_master WHERE type NOT IN ('table', 'index') OR sql LIKE 'CREATE VIRTUAL%'").all() as Array<{ type: string; name: string }>);
  if (odd.length) {
    throw new FileFormatError(`${path} is not a plain Glasshouse recording: it holds ${odd.map((o) => `a ${o.type === 'table' ? 'virtual table' : o.type} "${o.name}"`).join(', ')}, which a recording never has.`,
      'It may have been crafted to run code when opened; open only recordings saved by Glasshouse.', 'UNEXPECTED_SCHEMA');
  }
}

/** Turns SQLite's complaint about a damaged file into a sentence that names the file. */
function corruptError(path: string, err: unknown): GlasshouseError {
  if (isSqliteError(err) && (err.code === 'SQLITE_CORRUPT' || err.code === 'SQLITE_NOTADB' || err.code.startsWith('SQLITE_CORRUPT'))) {
    return new FileFormatError(`Recording ${path} is damaged (${err.message}).`,
      'Copy it again from its source; Glasshouse did not change it.', 'CORRUPT');
  }
  if (err instanceof GlasshouseError) return err;
  return new GlasshouseError(`Could not read recording ${path}: ${err instanceof Error ? err.message : String(err)}.`);
}

/** The first line of an error message (the native loader's messages run over several lines). */
const firstLine = (m: string) => m.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');

/**
 * Why a recording file could not be made, as a sentence naming the real cause: the SQLite addon built for another
 * runtime, a folder that is missing, read-only or not writable, a full disk, or (otherwise) the error's own words.
 */
export function storeCreateError(path: string, err: unknown): GlasshouseError {
  if (err instanceof GlasshouseError) return err;
  const e = err as NodeJS.ErrnoException;
  const msg = firstLine(e?.message ?? String(err));
  let dir = dirname(path);
  if (e?.code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|compiled against a different Node\.js version|invalid ELF header|Could not locate the bindings file|wrong ELF class/.test(msg)) {
    return new GlasshouseError(
      `The SQLite module Glasshouse records with (better-sqlite3) does not match this runtime (${process.versions.electron ? `Electron ${process.versions.electron}` : `Node.js ${process.version}`}), so recording ${path} cannot be created: ${msg}`,
      'Rebuild it for the runtime you run: `npm rebuild better-sqlite3` for the CLI and `npm run serve`, or `npx electron-builder install-app-deps` for the desktop app.',
      'NATIVE_MODULE');
  }
  // SQLite says only "unable to open database file", and a folder that cannot be made looks "missing": ask the file
  // system about the nearest folder that exists (read-only, not writable, or not a folder at all).
  let code = e?.code;
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'ENOENT' || code === 'ENOTDIR' || code === undefined) {
    let at = dir;
    while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
    try {
      if (!statSync(at).isDirectory()) {
        code = 'ENOTDIR';
        dir = at;
      } else {
        accessSync(at, fsConstants.W_OK);
        if (at !== dir) code = 'ENOENT';
      }
    } catch (fsErr) {
      code = (fsErr as NodeJS.ErrnoException).code ?? code;
      dir = at;
    }
  }
  switch (code) {
    case 'EACCES': case 'EPERM':
      return new GlasshouseError(`Glasshouse may not write in ${dir} (permission denied, ${code}), so recording ${path} cannot be created.`,
        `Make the folder writable for this user (for example \`chown $(id -u) ${dir}\`), or record somewhere you own (\`--out\`, or GLASSHOUSE_DATA_DIR for the app).`, 'PERMISSION_DENIED');
    case 'EROFS':
      return new GlasshouseError(`${dir} is on a read-only file system (EROFS), so recording ${path} cannot be created.`,
        'Record to a writable disk (`--out`, or GLASSHOUSE_DATA_DIR for the app).', 'READ_ONLY');
    case 'ENOENT':
      return new GlasshouseError(`The folder ${dir} does not exist (ENOENT), so recording ${path} cannot be created.`,
        'Create the folder first, or choose another path.', 'NO_FOLDER');
    case 'ENOTDIR':
      return new GlasshouseError(`${dir} is a file, not a folder (ENOTDIR), so recording ${path} cannot be created.`,
        'Create the folder first, or choose another path.', 'NO_FOLDER');
    case 'ENOSPC': case 'SQLITE_FULL':
      return new GlasshouseError(`The disk holding ${dir} is full (${code}), so recording ${path} cannot be created.`,
        'Free some disk space, or record to another disk.', 'DISK_FULL');
    default:
      if (code?.startsWith('SQLITE_IOERR') || code === 'EIO') {
        return new GlasshouseError(`The disk holding ${dir} reported an I/O error (${code}: ${msg}), so recording ${path} cannot be created.`,
          'The disk or its connection may be failing: check it (for example `dmesg`), then record to another disk.', 'IO_ERROR');
      }
      return new GlasshouseError(`Could not create recording ${path} (${code ?? 'error'}: ${msg}).`, 'Check that the folder exists and is writable.');
  }
}

/**
 * The sentence for a failure that stops a recording, naming its cause: a full disk, an I/O error, a file that
 * became read-only, or (otherwise) SQLite's own words. A row the schema rejects never gets here (it is counted instead).
 */
export function writeFailureError(path: string, f: WriteFailure, when: string): GlasshouseError {
  const kept = `recording stopped at ${when}; everything saved before then is in the file`;
  if (f.code === 'SQLITE_FULL' || f.code === 'ENOSPC') {
    return new GlasshouseError(`The disk holding recording ${path} is full (${f.code}): ${kept}.`,
      'Free some disk space (or record to another disk) and start a new recording.', 'DISK_FULL');
  }
  if (f.code.startsWith('SQLITE_IOERR') || f.code === 'EIO') {
    return new GlasshouseError(`The disk holding recording ${path} reported an I/O error (${f.code}: ${f.message}): ${kept}.`,
      'The disk or its connection may be failing or was removed: check it (for example `dmesg`), then record to another disk.', 'IO_ERROR');
  }
  if (f.code.startsWith('SQLITE_READONLY') || f.code === 'EROFS' || f.code === 'EACCES' || f.code === 'EPERM') {
    return new GlasshouseError(`Recording ${path} can no longer be written (${f.code}: ${f.message}): ${kept}.`,
      'The file or its disk became read-only, or its permissions changed: record to a writable folder.', 'READ_ONLY');
  }
  return new GlasshouseError(`Writing recording ${path} failed (${f.code}: ${f.message}): ${kept}.`,
    'Check the disk and start a new recording.', f.code.startsWith('SQLITE_') ? f.code : 'WRITE_FAILED');
}

export class RecordingStore {
  readonly readonly: boolean;
  private readonly db: Database.Database;
  /** 'chunks' (format 2); 'rows' only for a format-1 file opened read-only (opening it for writing converts it). */
  private readonly layout: 'chunks' | 'rows';
  private readonly containerIds = new Map<string, number>();
  private readonly containerById = new Map<number, string>();
  private lastContainerRow = 0;
  private readonly chunkCache = new Map<number, DecodedChunk>();

  // Writing: events are packed as they arrive; sealed chunks and the view models coalesced by identity go to the
  // writer thread at the next flush, one transaction per flush.
  private writer: WriterThread | undefined;
  private builder!: ChunkBuilder;
  private sealed: SealedChunk[] = [];
  private sealedEvents = 0;
  private pendingOps: WriteOp[] = [];
  private appended = 0;
  private queuedProcesses = new Set<ProcessNode>();
  private queuedFiles = new Set<FileChange>();
  private queuedFlows = new Set<Flow>();
  private queuedListening = new Set<ListeningSocket>();
  private queuedContainers = new Set<ContainerRecord>();
  private queuedResources: ResourceSample[] = [];
  private queuedStats: SensorStats[] = [];
  private queuedFindings = new Map<string, WriteOp>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private failure: GlasshouseError | undefined;
  private closed = false;
  private readonly failureListeners: Array<(err: GlasshouseError) => void> = [];
  private discarded = 0;
  /** Rows that could not even be handed to the writer (a value JSON cannot hold), by reason. */
  private mainUnsaved = 0;
  private readonly mainReasons: UnsavedReasons = {};
  private readonly flushEvents: number;
  private readonly stateIntervalMs: number;
  private lastStateWrite = -Infinity;

  private constructor(readonly path: string, db: Database.Database, readonlyMode: boolean, opts: StoreOptions) {
    this.db = db;
    this.readonly = readonlyMode;
    this.layout = (db.pragma('user_version', { simple: true }) as number) < 2 ? 'rows' : 'chunks';
    this.flushEvents = opts.flushEvents ?? 32_768;
    this.stateIntervalMs = opts.stateIntervalMs ?? Math.max(1000, opts.flushIntervalMs ?? 0);
    for (const r of db.prepare('SELECT id, container_id FROM containers').all() as Array<{ id: number; container_id: string }>) {
      this.containerIds.set(r.container_id, r.id);
      this.containerById.set(r.id, r.container_id);
      if (r.id > this.lastContainerRow) this.lastContainerRow = r.id;
    }
    if (!readonlyMode) {
      const next = (db.prepare('SELECT max(first_id + count) AS next FROM event_chunks').get() as { next: number | null }).next ?? 1;
      this.builder = new ChunkBuilder(next);
      this.writer = new WriterThread(path);
      const ms = opts.flushIntervalMs ?? 100;
      this.timer = setInterval(() => this.post(true, performance.now() - this.lastStateWrite >= this.stateIntervalMs), ms);
      this.timer.unref();
    }
  }

  /** Starts a new recording file; refuses to replace an existing file. */
  static create(path: string, meta: { title?: string; source?: string } = {}, opts: StoreOptions = {}): RecordingStore {
    assertSqliteRuntime();
    if (existsSync(path)) {
      throw new UserInputError(`${path} already exists; Glasshouse never overwrites a file.`, 'Choose another file name or delete the old file first.');
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      RecordingStore.configure(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      RecordingStore.migrate(db, 0);
      const now = Date.now();
      const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        put.run('format', 'glasshouse-recording');
        put.run('created_at', String(now));
        put.run('created_by', `glasshouse ${GLASSHOUSE_VERSION}`);
        if (meta.title) put.run('title', meta.title);
        if (meta.source) put.run('source', meta.source);
      })();
      // Put the header (application id, version) in the main file now, so even a crashed recording identifies itself.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return new RecordingStore(path, db, false, opts);
    } catch (err) {
      try { db?.close(); } catch { /* the error below says what happened */ }
      // The file did not exist before this call: a half-made one is ours to remove.
      for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      throw storeCreateError(path, err);
    }
  }

  /**
   * Opens an existing recording. Foreign, newer, truncated and damaged files are refused with a FileFormatError
   * before anything is written; read-only opens never write at all. Opening a format-1 file for writing converts
   * it to format 2 in one transaction (all or nothing); read-only opens read format 1 as it is.
   */
  static open(path: string, opts: StoreOptions & { readonly?: boolean } = {}): RecordingStore {
    assertSqliteRuntime();
    checkRecordingHeader(path);
    const ro = opts.readonly ?? false;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: ro, fileMustExist: true });
      checkSchemaObjects(db, path);
      if (!ro) RecordingStore.configure(db);
      const format = (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
      if (format !== 'glasshouse-recording') {
        throw new FileFormatError(`${path} is not a Glasshouse recording: its format marker is missing.`, 'Open a file saved by Glasshouse.', 'NOT_A_RECORDING');
      }
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new FileFormatError(`Recording ${path} was saved by a newer Glasshouse (recording format ${version}).`, 'Update Glasshouse to open it.', 'NEWER_SCHEMA');
      }
      if (!ro && version < SCHEMA_VERSION) RecordingStore.migrate(db, version);
      return new RecordingStore(path, db, ro, opts);
    } catch (err) {
      db?.close();
      throw corruptError(path, err);
    }
  }

  private static configure(db: Database.Database): void {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a committed transaction survives the process being killed; only power loss may lose the last ones.
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -16000');
    db.pragma('temp_store = MEMORY');
    db.pragma('busy_timeout = 10000');
  }

  private static migrate(db: Database.Database, from: number): void {
    for (let v = from; v < SCHEMA_VERSION; v++) {
      db.transaction(() => {
        MIGRATIONS[v](db);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  // ───────────────────────────── writing ─────────────────────────────

  /** Packs events into chunks; they reach the file at the next flush (on the writer thread). Never blocks on I/O. */
  appendEvents(events: readonly RuntimeEvent[]): void {
    if (this.failure || this.closed || this.readonly || this.checkWriter()) {
      this.discarded += events.length;
      return;
    }
    const b = this.builder;
    // Consecutive events mostly share a container (the sensor's ids are not always the same string object, so
    // each Map lookup would hash 64 characters): look its row up only when it changes.
    let lastCid: string | undefined;
    let lastRow: number | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const cid = e.containerId;
      if (cid !== lastCid) {
        lastCid = cid;
        lastRow = cid === undefined ? undefined : this.containerRow(cid);
      }
      const sealed = b.add(e, lastRow);
      if (sealed) {
        this.sealed.push(sealed);
        this.sealedEvents += sealed.count;
      }
    }
    this.appended += events.length;
    if (this.sealedEvents >= this.flushEvents && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.post(false, false);
      });
    }
  }

  /** Queues the changed view models of a state delta (latest version of each is written). */
  applyDelta(d: WorldDelta): void {
    if (this.failure || this.closed) return;
    for (const p of d.processes) this.queuedProcesses.add(p);
    for (const f of d.files) this.queuedFiles.add(f);
    for (const f of d.flows) this.queuedFlows.add(f);
    for (const l of d.listening) this.queuedListening.add(l);
    for (const c of d.containers) this.queuedContainers.add(c);
    for (const r of d.resources) this.queuedResources.push(r);
  }

  recordSensorStats(s: SensorStats): void {
    if (!this.failure && !this.closed) this.queuedStats.push(s);
  }

  recordGap(start: number, end: number, reason?: string): void {
    this.writeNow([['gap', [start, end, reason ?? null]]]);
  }

  setMeta(key: string, value: string): void {
    this.writeNow([['meta', [key, value]]]);
  }

  /**
   * Saves (upserts by fingerprint) findings from the rules engine at the next flush (≤ flushIntervalMs), coalesced by
   * fingerprint: a capture hands over changed findings every tick without forcing the state rows out with them.
   */
  saveFindings(findings: Finding[]): void {
    if (this.readonly) throw new GlasshouseError(`Recording ${this.path} is open read-only.`);
    if (this.failure || this.closed || this.checkWriter()) return;
    for (const f of findings) {
      const one: WriteOp[] = [];
      this.row(one, 'finding', () => [f.fingerprint, f.ruleId, f.severity, f.container.id, f.first, f.last, JSON.stringify(f)]);
      if (one.length) this.queuedFindings.set(f.fingerprint, one[0]);
    }
  }

  /** One row's arguments; a row that cannot be serialised is counted as unsaved with its reason, and the rest go on. */
  private row(into: WriteOp[], statement: string, args: () => unknown[]): void {
    try {
      into.push([statement, args()]);
    } catch (err) {
      this.mainUnsaved++;
      addReason(this.mainReasons, `${statement}: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
  }

  /** Called once when writing fails for good (disk full, I/O error); the recording has stopped by then. */
  onFailure(listener: (err: GlasshouseError) => void): void {
    this.failureListeners.push(listener);
  }

  get failed(): GlasshouseError | undefined {
    this.checkWriter();
    return this.failure;
  }

  stats(): WriteStats {
    const w = this.writer;
    const written = w?.committed ?? 0;
    const t = w?.timing() ?? { flushes: 0, lastFlushMs: 0, maxFlushMs: 0, busyMs: 0 };
    const skipped = w?.unsaved() ?? { count: 0, events: 0, reasons: {} };
    const unsavedReasons = { ...skipped.reasons };
    for (const [r, n] of Object.entries(this.mainReasons)) addReason(unsavedReasons, r, n);
    return {
      eventsWritten: written, flushes: t.flushes, lastFlushMs: t.lastFlushMs, maxFlushMs: t.maxFlushMs, writerBusyMs: t.busyMs,
      queued: this.failure ? 0 : Math.max(0, this.appended - written - skipped.events), discarded: this.discarded,
      unsaved: skipped.count + this.mainUnsaved, unsavedReasons,
    };
  }

  /**
   * Hands everything queued (including a partly filled chunk) to the writer thread as one transaction.
   * Returns false if the recording has failed. Reads on this store wait for it to be committed.
   */
  flush(): boolean {
    return this.post(true, true);
  }

  /** Writes everything queued, marks the recording finished and closes the file (waits for the writer thread). */
  close(reason?: string): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    const w = this.writer;
    if (w) {
      this.post(true, true);
      const finish: WriteOp[] = this.failure ? [] : [['meta', ['finished_at', String(Date.now())]]];
      if (reason && !this.failure) finish.push(['meta', ['stop_reason', reason]]);
      w.post([], [], 0, finish, true, { count: this.mainUnsaved, reasons: this.mainReasons });
      w.settle();
      this.checkWriter();
      w.stop();
    }
    this.closed = true;
    try {
      this.db.close();
    } catch {
      // A failed checkpoint on close (disk full) leaves the WAL beside the file, which still holds every commit.
    }
  }

  /** `withState`: also hand over the queued state rows (otherwise they keep coalescing until a later post). */
  private post(sealPartial: boolean, withState: boolean): boolean {
    const w = this.writer;
    if (!w || this.closed || this.failure) return !this.failure;
    if (this.checkWriter()) return false;
    if (sealPartial) {
      const last = this.builder.seal();
      if (last) {
        this.sealed.push(last);
        this.sealedEvents += last.count;
      }
    }
    const ops = this.pendingOps;
    if (this.queuedFindings.size) {
      for (const op of this.queuedFindings.values()) ops.push(op);
      this.queuedFindings = new Map();
    }
    if (withState) this.stateOps(ops);
    const chunks = this.sealed;
    if (ops.length === 0 && chunks.length === 0) return true;
    this.pendingOps = [];
    this.sealed = [];
    const events = this.sealedEvents;
    this.sealedEvents = 0;
    w.post(ops, chunks, events);
    return true;
  }

  /** The queued view models as upserts (latest version of each), and the samples, in one go. */
  private stateOps(ops: WriteOp[]): void {
    const before = ops.length;
    // Each row on its own: one that cannot be serialised is counted (row()), the others are written.
    for (const c of this.queuedContainers) {
      this.row(ops, 'containerUpdate', () => [c.ref.name, c.ref.image, JSON.stringify(c.ref), c.detail ? JSON.stringify(c.detail) : null,
        c.firstSeen, c.lastSeen, c.events, this.containerRow(c.id)]);
    }
    for (const p of this.queuedProcesses) {
      this.row(ops, 'process', () => [p.key, p.containerId === undefined ? null : this.containerRow(p.containerId), p.tgid, p.parentKey ?? null,
        p.start, p.exit ?? null, p.exe, JSON.stringify(p)]);
    }
    for (const f of this.queuedFiles) this.row(ops, 'file', () => [this.containerRow(f.containerId), f.path, f.first, f.last, JSON.stringify(f)]);
    for (const f of this.queuedFlows) {
      this.row(ops, 'flow', () => [f.key, this.containerRow(f.containerId), f.direction, f.proto, f.remoteAddr,
        f.direction === 'outbound' ? f.remotePort : (f.localPort ?? 0), JSON.stringify(f)]);
    }
    for (const l of this.queuedListening) this.row(ops, 'listening', () => [l.key, this.containerRow(l.containerId), JSON.stringify(l)]);
    for (const r of this.queuedResources) this.row(ops, 'resource', () => [this.containerRow(r.containerId), r.ts, JSON.stringify(r)]);
    for (const st of this.queuedStats) this.row(ops, 'stats', () => [st.ts, JSON.stringify(st)]);
    // The interval runs from the last write that held something: an empty first flush (before the capture's
    // first delta) must not hold the first state back for a whole interval, or a crash then leaves no processes.
    if (ops.length > before) this.lastStateWrite = performance.now();
    this.queuedProcesses = new Set();
    this.queuedFiles = new Set();
    this.queuedFlows = new Set();
    this.queuedListening = new Set();
    this.queuedContainers = new Set();
    this.queuedResources = [];
    this.queuedStats = [];
  }

  /** Small writes (meta, gaps, findings) go out at once, after everything queued before them. */
  private writeNow(ops: WriteOp[]): void {
    if (this.readonly) throw new GlasshouseError(`Recording ${this.path} is open read-only.`);
    if (this.failure || this.closed || this.checkWriter()) return;
    this.post(false, true);
    this.writer!.post(ops, [], 0);
  }

  /** Picks up a failure the writer thread reported; true if the recording has failed. */
  private checkWriter(): boolean {
    if (this.failure) return true;
    const f = this.writer?.failed();
    if (!f) return false;
    this.fail(f);
    return true;
  }

  private containerRow(containerId: string): number {
    let row = this.containerIds.get(containerId);
    if (row === undefined) {
      row = ++this.lastContainerRow;
      this.pendingOps.push(['containerInsert', [row, containerId, containerId.slice(0, 12)]]);
      this.containerIds.set(containerId, row);
      this.containerById.set(row, containerId);
    }
    return row;
  }

  private fail(f: WriteFailure): void {
    if (this.failure) return;
    this.failure = writeFailureError(this.path, f, new Date().toISOString());
    // Everything handed over but not committed is lost: count it, so loss is never hidden (skipped rows are counted already).
    this.discarded += Math.max(0, this.appended - (this.writer?.committed ?? 0) - (this.writer?.unsaved().events ?? 0));
    this.sealed = [];
    this.sealedEvents = 0;
    this.pendingOps = [];
    this.queuedFindings = new Map();
    for (const l of this.failureListeners) l(this.failure);
  }

  // ───────────────────────────── reading ─────────────────────────────

  meta(): RecordingMeta {
    const rows = this.read(() => this.db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>);
    const m = new Map(rows.map((r) => [r.key, r.value]));
    return {
      format: m.get('format') ?? '',
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      createdAt: Number(m.get('created_at') ?? 0),
      createdBy: m.get('created_by') ?? '',
      title: m.get('title'),
      source: m.get('source'),
      finishedAt: m.has('finished_at') ? Number(m.get('finished_at')) : undefined,
      stopReason: m.get('stop_reason'),
    };
  }

  /**
   * What the recording says it lost while it was made: the writer's count at the close (UNSAVED_META) or else the
   * capture's, by reason, and the exceptions caught in the pipeline. Older files know none of it (all zero).
   */
  recordedLoss(): RecordedLoss {
    const json = <T>(key: string): Partial<T> => {
      try {
        return JSON.parse(this.metaValue(key) ?? '{}') as Partial<T>;
      } catch {
        return {}; // older or partial recordings
      }
    };
    const capture = json<{ unsaved: number; unsavedReasons: UnsavedReasons; observerErrors: { count: number }; subscriberErrors: { count: number } }>('capture');
    const closed = json<{ count: number; reasons: UnsavedReasons }>(UNSAVED_META);
    return {
      unsaved: Math.max(closed.count ?? 0, capture.unsaved ?? 0),
      unsavedReasons: { ...(capture.unsavedReasons ?? {}), ...(closed.reasons ?? {}) },
      observerErrors: capture.observerErrors?.count ?? 0,
      subscriberErrors: capture.subscriberErrors?.count ?? 0,
    };
  }

  metaValue(key: string): string | undefined {
    return this.read(() => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value);
  }

  processCount(): number {
    return this.read(() => (this.db.prepare('SELECT count(*) AS n FROM processes').get() as { n: number }).n);
  }

  info(): RecordingInfo {
    return this.read(() => {
      const chunks = this.layout === 'chunks';
      const range = (chunks
        ? this.db.prepare('SELECT coalesce(sum(count), 0) AS n, min(ts_min) AS first, max(ts_max) AS last FROM event_chunks')
        : this.db.prepare('SELECT count(*) AS n, min(ts) AS first, max(ts) AS last FROM events')).get() as { n: number; first: number | null; last: number | null };
      const byKind: Partial<Record<EventKind, number>> = {};
      const kinds = chunks ? 'SELECT kind, n FROM event_kinds' : 'SELECT kind, count(*) AS n FROM events GROUP BY kind';
      for (const r of this.db.prepare(kinds).all() as Array<{ kind: number; n: number }>) {
        const k = EVENT_KINDS[r.kind];
        if (k) byKind[k] = r.n;
      }
      return {
        path: this.path, meta: this.meta(), events: range.n, firstTs: range.first ?? undefined, lastTs: range.last ?? undefined,
        containers: this.containers(), eventsByKind: byKind,
      };
    });
  }

  containers(): StoredContainer[] {
    return this.read(() => (this.db.prepare('SELECT * FROM containers ORDER BY id').all() as Array<Record<string, unknown>>).map((r) => ({
      id: r.container_id as string,
      ref: r.ref ? JSON.parse(r.ref as string) : { id: r.container_id as string, name: r.name as string, image: r.image as string },
      detail: r.detail ? JSON.parse(r.detail as string) : undefined,
      firstSeen: (r.first_seen as number | null) ?? undefined,
      lastSeen: (r.last_seen as number | null) ?? undefined,
      events: r.events as number,
    })));
  }

  /** Events in [from, to), oldest first: the first `limit` of them, or the last with `newest`. */
  eventsInWindow(q: EventQuery = {}): StoredEvent[] {
    const limit = q.limit ?? 10_000;
    if (this.layout === 'rows') return this.legacyWindow(q, limit);
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.from !== undefined) { where.push('ts_max >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts_min < ?'); args.push(q.to); }
    const row = q.containerId === undefined ? undefined : (this.containerIds.get(q.containerId) ?? -1);
    if (row !== undefined) { where.push('first_id IN (SELECT chunk FROM chunk_containers WHERE container = ?)'); args.push(row); }
    let kinds: Uint8Array | undefined;
    if (q.kinds?.length) {
      where.push('(kinds & ?) != 0');
      args.push(q.kinds.reduce((m, k) => m | BigInt(kindBit(k)), 0n));
      kinds = new Uint8Array(256);
      for (const k of q.kinds) if (kindCode(k) !== undefined) kinds[kindCode(k)] = 1;
    }
    const from = q.from ?? -Infinity;
    const to = q.to ?? Infinity;
    // Filters read the chunk's columns: only the events returned are ever built as objects.
    const order = q.newest ? 'ts_max DESC, first_id DESC' : 'ts_min, first_id';
    return this.collect(`SELECT first_id, count, ts_min, ts_max, data FROM event_chunks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`,
      args, limit, (d, i) => {
        const ts = d.ts[i];
        return ts >= from && ts < to && (row === undefined || d.containerRow(i) === row) && (kinds === undefined || kinds[d.kindCodes[i]] === 1);
      }, q.newest);
  }

  /** Events in recording order after an event id (ids run 1..n), for replay. */
  eventsAfter(afterId: number, limit: number): StoredEvent[] {
    if (this.layout === 'rows') {
      return this.read(() => (this.db.prepare('SELECT id, container, data FROM events WHERE id > ? ORDER BY id LIMIT ?')
        .all(afterId, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
    }
    return this.read(() => {
      const out: StoredEvent[] = [];
      if (limit <= 0) return out;
      const rows = this.db.prepare(`SELECT first_id, count, ts_min, data FROM event_chunks
        WHERE first_id >= coalesce((SELECT max(first_id) FROM event_chunks WHERE first_id <= ?), 0) ORDER BY first_id`).iterate(afterId + 1) as Iterable<ChunkRow>;
      for (const r of rows) {
        const d = this.decoded(r);
        for (let i = Math.max(0, afterId + 1 - r.first_id); i < d.count; i++) {
          out.push(this.materialize(d, i, r.first_id + i));
          if (out.length === limit) return out;
        }
      }
      return out;
    });
  }

  /** Events touching a path or anything under it. */
  eventsForPath(prefix: string, limit = 10_000): StoredEvent[] {
    const dir = `${prefix.replace(/\/$/, '')}/`;
    const upper = `${prefix.replace(/\/$/, '')}0`;
    if (this.layout === 'rows') {
      return this.read(() => (this.db.prepare('SELECT id, container, data FROM events WHERE path = ? OR (path >= ? AND path < ?) ORDER BY ts, id LIMIT ?')
        .all(prefix, dir, upper, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
    }
    return this.collect(`SELECT first_id, count, ts_min, data FROM event_chunks WHERE first_id IN
      (SELECT chunk FROM chunk_paths WHERE path = ? OR (path >= ? AND path < ?)) ORDER BY ts_min, first_id`, [prefix, dir, upper], limit,
    (d, i) => {
      const p = pathOf(d.event(i));
      return p !== null && (p === prefix || (p >= dir && p < upper));
    });
  }

  /** Events to or from an endpoint ("addr:port", a unix path, or a DNS name). */
  eventsForEndpoint(endpoint: string, limit = 10_000): StoredEvent[] {
    if (this.layout === 'rows') {
      return this.read(() => (this.db.prepare('SELECT id, container, data FROM events WHERE endpoint = ? ORDER BY ts, id LIMIT ?')
        .all(endpoint, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
    }
    return this.collect(`SELECT first_id, count, ts_min, data FROM event_chunks WHERE first_id IN
      (SELECT chunk FROM chunk_endpoints WHERE endpoint = ?) ORDER BY ts_min, first_id`, [endpoint], limit, (d, i) => endpointOf(d.event(i)) === endpoint);
  }

  /**
   * The first `limit` matching events by (ts, id) from chunks listed in ts_min order. Stops once no later chunk
   * can hold an earlier event, so a small limit over a long recording decodes only the first chunks. With
   * `newest`, the last `limit` from chunks listed in ts_max order, newest first (still returned oldest first).
   */
  private collect(sql: string, args: unknown[], limit: number, keep: (d: DecodedChunk, i: number) => boolean, newest = false): StoredEvent[] {
    const order = newest ? byTsThenIdDesc : byTsThenId;
    return this.read(() => {
      // Candidates are (ts, id, chunk, index) until the final cut: only the events returned are copied out.
      let hits: Array<{ ts: number; id: number; d: DecodedChunk; i: number }> = [];
      if (limit <= 0) return [];
      let cutoff = newest ? -Infinity : Infinity;
      for (const r of this.db.prepare(sql).iterate(...args) as Iterable<ChunkRow>) {
        if (newest ? r.ts_max! < cutoff : r.ts_min > cutoff) break;
        const d = this.decoded(r);
        const ts = d.ts;
        for (let i = 0; i < d.count; i++) {
          if ((newest ? ts[i] >= cutoff : ts[i] <= cutoff) && keep(d, i)) hits.push({ ts: ts[i], id: r.first_id + i, d, i });
        }
        if (hits.length >= limit) {
          hits.sort(order);
          hits = hits.slice(0, limit);
          cutoff = hits[limit - 1].ts;
        }
      }
      hits = hits.sort(order).slice(0, limit);
      if (newest) hits.reverse();
      return hits.map((h) => this.materialize(h.d, h.i, h.id));
    });
  }

  private decoded(r: ChunkRow): DecodedChunk {
    let d = this.chunkCache.get(r.first_id);
    if (d) return d;
    d = decodeChunk(inflateChunk(r));
    if (this.chunkCache.size >= CHUNK_CACHE) this.chunkCache.delete(this.chunkCache.keys().next().value!);
    this.chunkCache.set(r.first_id, d);
    return d;
  }

  /** A fresh object (callers may change what they get; the cached chunk stays intact). */
  private materialize(d: DecodedChunk, i: number, id: number): StoredEvent {
    const e = d.event(i) as StoredEvent;
    e.id = id;
    const c = d.containerRow(i);
    if (c !== UNDEF_CONTAINER) e.containerId = this.containerById.get(c);
    return e;
  }

  private legacyWindow(q: EventQuery, limit: number): StoredEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.from !== undefined) { where.push('ts >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts < ?'); args.push(q.to); }
    if (q.containerId !== undefined) { where.push('container = ?'); args.push(this.containerIds.get(q.containerId) ?? -1); }
    if (q.kinds?.length) { where.push(`kind IN (${q.kinds.map(() => '?').join(',')})`); args.push(...q.kinds.map((k) => KIND_CODE[k])); }
    const sql = `SELECT id, container, data FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${q.newest ? 'ts DESC, id DESC' : 'ts, id'} LIMIT ?`;
    args.push(limit);
    return this.read(() => {
      const rows = this.db.prepare(sql).all(...args) as Array<{ id: number; container: number | null; data: string }>;
      if (q.newest) rows.reverse();
      return rows.map((r) => this.toEvent(r));
    });
  }

  processes(containerId?: string): ProcessNode[] {
    return this.read(() => {
      const rows = containerId === undefined
        ? this.db.prepare('SELECT data FROM processes ORDER BY start').all()
        : this.db.prepare('SELECT data FROM processes WHERE container = ? ORDER BY start').all(this.containerIds.get(containerId) ?? -1);
      return (rows as Array<{ data: string }>).map((r) => JSON.parse(r.data) as ProcessNode);
    });
  }

  /** A process and all its descendants. */
  processSubtree(key: string): ProcessNode[] {
    return this.read(() => (this.db.prepare(`
      WITH RECURSIVE tree(key) AS (SELECT ? UNION SELECT p.key FROM processes p JOIN tree t ON p.parent_key = t.key)
      SELECT data FROM processes WHERE key IN (SELECT key FROM tree) ORDER BY start`).all(key) as Array<{ data: string }>)
      .map((r) => JSON.parse(r.data) as ProcessNode));
  }

  /** File changes at a path or under it (all containers unless one is given). */
  files(prefix = '/', containerId?: string): FileChange[] {
    const dir = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const upper = `${dir.slice(0, -1)}0`;
    return this.read(() => {
      const rows = containerId === undefined
        ? this.db.prepare('SELECT data FROM files WHERE path = ? OR (path >= ? AND path < ?) ORDER BY path').all(prefix, dir, upper)
        : this.db.prepare('SELECT data FROM files WHERE container = ? AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path')
          .all(this.containerIds.get(containerId) ?? -1, prefix, dir, upper);
      return (rows as Array<{ data: string }>).map((r) => JSON.parse(r.data) as FileChange);
    });
  }

  flows(filter: { containerId?: string; remoteAddr?: string; remotePort?: number } = {}): Flow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.containerId !== undefined) { where.push('container = ?'); args.push(this.containerIds.get(filter.containerId) ?? -1); }
    if (filter.remoteAddr !== undefined) { where.push('remote_addr = ?'); args.push(filter.remoteAddr); }
    if (filter.remotePort !== undefined) { where.push('remote_port = ?'); args.push(filter.remotePort); }
    const sql = `SELECT data FROM flows ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY key`;
    return this.read(() => (this.db.prepare(sql).all(...args) as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Flow));
  }

  listening(): ListeningSocket[] {
    return this.read(() => (this.db.prepare('SELECT data FROM listening ORDER BY key').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data)));
  }

  resources(containerId?: string): ResourceSample[] {
    return this.read(() => {
      const rows = containerId === undefined
        ? this.db.prepare('SELECT data FROM resources ORDER BY ts').all()
        : this.db.prepare('SELECT data FROM resources WHERE container = ? ORDER BY ts').all(this.containerIds.get(containerId) ?? -1);
      return (rows as Array<{ data: string }>).map((r) => JSON.parse(r.data) as ResourceSample);
    });
  }

  /** Every sensor stats sample, oldest first. */
  sensorStats(): SensorStats[] {
    return this.read(() => (this.db.prepare('SELECT data FROM sensor_stats ORDER BY ts').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data)));
  }

  gaps(): Array<{ start: number; end: number; reason?: string }> {
    return this.read(() => (this.db.prepare('SELECT start, end, reason FROM gaps ORDER BY start').all() as Array<{ start: number; end: number; reason: string | null }>)
      .map((g) => ({ start: g.start, end: g.end, reason: g.reason ?? undefined })));
  }

  listFindings(): Finding[] {
    return this.read(() => (this.db.prepare('SELECT data FROM findings ORDER BY first, fingerprint').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data)));
  }

  /** Full integrity check (reads the whole file): throws FileFormatError naming the file if it is damaged. */
  verify(): void {
    const rows = this.read(() => this.db.pragma('quick_check') as Array<{ quick_check: string }>);
    if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
      throw new FileFormatError(`Recording ${this.path} is damaged: ${rows.slice(0, 3).map((r) => r.quick_check).join('; ')}.`,
        'Copy it again from its source; Glasshouse did not change it.', 'CORRUPT');
    }
  }

  private toEvent(r: { id: number; container: number | null; data: string }): StoredEvent {
    const e = JSON.parse(r.data) as StoredEvent;
    e.id = r.id;
    if (r.container !== null) e.containerId = this.containerById.get(r.container);
    return e;
  }

  private read<T>(fn: () => T): T {
    // A store being written answers from what is committed: hand over what is queued and wait for the writer.
    if (this.writer && !this.closed && !this.failure) {
      this.post(true, true);
      this.writer.settle();
      this.checkWriter();
    }
    try {
      return fn();
    } catch (err) {
      throw corruptError(this.path, err);
    }
  }
}
