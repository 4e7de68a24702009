// One recording = one SQLite file (WAL): batched writes off the capture path, and the queries views need.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { EVENT_KINDS, type EventKind, type RuntimeEvent, type SensorStats } from '../../common/model/event';
import type { FileChange, Flow, ListeningSocket, ProcessNode, ResourceSample } from '../../common/model/process';
import type { ContainerDetail, ContainerRef } from '../../common/model/container';
import type { Finding } from '../../common/model/finding';
import type { ContainerRecord, WorldDelta } from '../../common/state/index';
import { FileFormatError, GlasshouseError, UserInputError } from '../../common/ipc/errors';
import { APPLICATION_ID, DEFERRED_INDEXES, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { checkRecordingHeader } from './validate';

export interface StoreOptions {
  /** Flush the write queue at least this often (ms). */
  flushIntervalMs?: number;
  /** Flush early once this many events are queued. */
  flushEvents?: number;
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
}

/** A stored event with its row id (the recording's order). */
export type StoredEvent = RuntimeEvent & { id: number };

export interface WriteStats {
  eventsWritten: number;
  flushes: number;
  lastFlushMs: number;
  maxFlushMs: number;
  queued: number;
  /** Events discarded because the recording had already failed (e.g. the disk was full). */
  discarded: number;
}

const KIND_CODE: Record<string, number> = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i]));
const GLASSHOUSE_VERSION = '0.1.0';
const ROWS_PER_INSERT = 64;

function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && (err as unknown as { code: string }).code.startsWith('SQLITE_');
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

function endpointOf(e: RuntimeEvent): string | null {
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

function pathOf(e: RuntimeEvent): string | null {
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

function flowKey(f: Flow): string {
  return f.direction === 'outbound'
    ? `${f.containerId}|o|${f.proto}|${f.remoteAddr}|${f.remotePort}`
    : `${f.containerId}|i|${f.proto}|${f.remoteAddr}|${f.localPort ?? 0}`;
}

export class RecordingStore {
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly containerIds = new Map<string, number>();
  private readonly containerById = new Map<number, string>();

  // The write queue: events in arrival order, view models coalesced by identity until the next flush.
  private queuedEvents: RuntimeEvent[] = [];
  private queuedProcesses = new Set<ProcessNode>();
  private queuedFiles = new Set<FileChange>();
  private queuedFlows = new Set<Flow>();
  private queuedListening = new Set<ListeningSocket>();
  private queuedContainers = new Set<ContainerRecord>();
  private queuedResources: ResourceSample[] = [];
  private queuedStats: SensorStats[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private failure: GlasshouseError | undefined;
  private closed = false;
  private readonly failureListeners: Array<(err: GlasshouseError) => void> = [];
  private readonly writeStats: WriteStats = { eventsWritten: 0, flushes: 0, lastFlushMs: 0, maxFlushMs: 0, queued: 0, discarded: 0 };
  private readonly flushEvents: number;
  private statements!: ReturnType<RecordingStore['prepareWrites']>;
  private readonly rowArgs: unknown[] = new Array(ROWS_PER_INSERT * 8);

  private constructor(readonly path: string, db: Database.Database, readonlyMode: boolean, opts: StoreOptions) {
    this.db = db;
    this.readonly = readonlyMode;
    this.flushEvents = opts.flushEvents ?? 20_000;
    for (const r of db.prepare('SELECT id, container_id FROM containers').all() as Array<{ id: number; container_id: string }>) {
      this.containerIds.set(r.container_id, r.id);
      this.containerById.set(r.id, r.container_id);
    }
    if (!readonlyMode) {
      this.statements = this.prepareWrites();
      const ms = opts.flushIntervalMs ?? 100;
      this.timer = setInterval(() => this.flush(), ms);
      this.timer.unref();
    }
  }

  /** Starts a new recording file; refuses to replace an existing file. */
  static create(path: string, meta: { title?: string; source?: string } = {}, opts: StoreOptions = {}): RecordingStore {
    if (existsSync(path)) {
      throw new UserInputError(`${path} already exists; Glasshouse never overwrites a file.`, 'Choose another file name or delete the old file first.');
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw new GlasshouseError(`Could not create recording ${path}: ${(err as Error).message}.`, 'Check that the folder exists and is writable.');
    }
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
  }

  /**
   * Opens an existing recording. Foreign, newer, truncated and damaged files are refused with a FileFormatError
   * before anything is written; read-only opens never write at all.
   */
  static open(path: string, opts: StoreOptions & { readonly?: boolean } = {}): RecordingStore {
    const header = checkRecordingHeader(path);
    const ro = opts.readonly ?? false;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: ro, fileMustExist: true });
      if (!ro) RecordingStore.configure(db);
      const format = (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
      if (format !== 'glasshouse-recording') {
        throw new FileFormatError(`${path} is not a Glasshouse recording: its format marker is missing.`, 'Open a file saved by Glasshouse.', 'NOT_A_RECORDING');
      }
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new FileFormatError(`Recording ${path} was saved by a newer Glasshouse (recording format ${version}).`, 'Update Glasshouse to open it.', 'NEWER_SCHEMA');
      }
      if (!ro) {
        if (version < SCHEMA_VERSION) RecordingStore.migrate(db, version);
        // A recording that ended without close() (crash, SIGKILL) lacks the indexes built at close.
        for (const sql of DEFERRED_INDEXES) db.exec(sql);
      }
      void header;
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
    db.pragma('cache_size = -32000');
    db.pragma('temp_store = MEMORY');
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

  /** Queues events; they are written in one transaction at the next flush. Never blocks on I/O. */
  appendEvents(events: readonly RuntimeEvent[]): void {
    if (this.failure || this.closed) {
      this.writeStats.discarded += events.length;
      return;
    }
    for (let i = 0; i < events.length; i++) this.queuedEvents.push(events[i]);
    if (this.queuedEvents.length >= this.flushEvents && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.flush();
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
    this.guardWrite(() => this.db.prepare('INSERT INTO gaps (start, end, reason) VALUES (?, ?, ?)').run(start, end, reason ?? null));
  }

  setMeta(key: string, value: string): void {
    this.guardWrite(() => this.statements.meta.run(key, value));
  }

  /** Saves (upserts by fingerprint) findings from the rules engine. */
  saveFindings(findings: Finding[]): void {
    this.guardWrite(() => this.db.transaction(() => {
      for (const f of findings) {
        this.statements.finding.run(f.fingerprint, f.ruleId, f.severity, f.container.id, f.first, f.last, JSON.stringify(f));
      }
    })());
  }

  /** Called once when writing fails for good (disk full, I/O error); the recording has stopped by then. */
  onFailure(listener: (err: GlasshouseError) => void): void {
    this.failureListeners.push(listener);
  }

  get failed(): GlasshouseError | undefined {
    return this.failure;
  }

  stats(): WriteStats {
    return { ...this.writeStats, queued: this.queuedEvents.length };
  }

  /** Writes everything queued in one transaction. Returns false if the recording has failed. */
  flush(): boolean {
    if (this.readonly || this.closed || this.failure) return !this.failure;
    const events = this.queuedEvents;
    if (events.length === 0 && this.queuedProcesses.size === 0 && this.queuedFiles.size === 0 && this.queuedFlows.size === 0
      && this.queuedContainers.size === 0 && this.queuedResources.length === 0 && this.queuedStats.length === 0
      && this.queuedListening.size === 0) return true;
    const processes = this.queuedProcesses;
    const files = this.queuedFiles;
    const flows = this.queuedFlows;
    const listening = this.queuedListening;
    const containers = this.queuedContainers;
    const resources = this.queuedResources;
    const stats = this.queuedStats;
    this.queuedEvents = [];
    this.queuedProcesses = new Set();
    this.queuedFiles = new Set();
    this.queuedFlows = new Set();
    this.queuedListening = new Set();
    this.queuedContainers = new Set();
    this.queuedResources = [];
    this.queuedStats = [];
    const t0 = performance.now();
    try {
      this.writeBatch(events, processes, files, flows, listening, containers, resources, stats);
    } catch (err) {
      this.fail(err, events.length);
      return false;
    }
    const ms = performance.now() - t0;
    this.writeStats.flushes++;
    this.writeStats.eventsWritten += events.length;
    this.writeStats.lastFlushMs = ms;
    if (ms > this.writeStats.maxFlushMs) this.writeStats.maxFlushMs = ms;
    return true;
  }

  /** Flushes, builds the query indexes, marks the recording finished and closes the file. */
  close(reason?: string): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (!this.readonly) {
      this.flush();
      if (!this.failure) {
        try {
          this.db.transaction(() => {
            this.statements.meta.run('finished_at', String(Date.now()));
            if (reason) this.statements.meta.run('stop_reason', reason);
          })();
          for (const sql of DEFERRED_INDEXES) this.db.exec(sql);
          this.db.pragma('wal_checkpoint(TRUNCATE)');
        } catch (err) {
          this.fail(err, 0);
        }
      }
    }
    this.closed = true;
    try {
      this.db.close();
    } catch {
      // A failed checkpoint on close (disk full) leaves the WAL beside the file, which still holds every commit.
    }
  }

  private writeBatch(events: RuntimeEvent[], processes: Set<ProcessNode>, files: Set<FileChange>, flows: Set<Flow>,
    listening: Set<ListeningSocket>, containers: Set<ContainerRecord>, resources: ResourceSample[], stats: SensorStats[]): void {
    const s = this.statements;
    this.db.transaction(() => {
      for (const c of containers) this.writeContainer(c);
      // Many rows per statement: the per-call cost of crossing into SQLite dominates small inserts.
      const args = this.rowArgs;
      let k = 0;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        const cid = e.containerId;
        const container = cid === undefined ? null : this.containerRow(cid);
        // The container id is stored once per container, not in every event's JSON.
        e.containerId = undefined;
        const data = JSON.stringify(e);
        e.containerId = cid;
        args[k++] = e.seq; args[k++] = e.ts; args[k++] = KIND_CODE[e.kind]; args[k++] = container;
        args[k++] = e.tgid; args[k++] = pathOf(e); args[k++] = endpointOf(e); args[k++] = data;
        if (k === args.length) {
          s.eventMany.run(args);
          k = 0;
        }
      }
      for (let j = 0; j < k; j += 8) s.event.run(args.slice(j, j + 8));
      for (const p of processes) {
        s.process.run(p.key, p.containerId === undefined ? null : this.containerRow(p.containerId), p.tgid, p.parentKey ?? null,
          p.start, p.exit ?? null, p.exe, JSON.stringify(p));
      }
      for (const f of files) s.file.run(this.containerRow(f.containerId), f.path, f.first, f.last, JSON.stringify(f));
      for (const f of flows) {
        s.flow.run(flowKey(f), this.containerRow(f.containerId), f.direction, f.proto, f.remoteAddr,
          f.direction === 'outbound' ? f.remotePort : (f.localPort ?? 0), JSON.stringify(f));
      }
      for (const l of listening) s.listening.run(`${l.containerId}|${l.proto}|${l.addr}|${l.port}`, this.containerRow(l.containerId), JSON.stringify(l));
      for (const r of resources) s.resource.run(this.containerRow(r.containerId), r.ts, JSON.stringify(r));
      for (const st of stats) s.stats.run(st.ts, JSON.stringify(st));
    })();
  }

  private writeContainer(c: ContainerRecord): void {
    const row = this.containerRow(c.id);
    this.statements.containerUpdate.run(c.ref.name, c.ref.image, JSON.stringify(c.ref), c.detail ? JSON.stringify(c.detail) : null,
      c.firstSeen, c.lastSeen, c.events, row);
  }

  private containerRow(containerId: string): number {
    let row = this.containerIds.get(containerId);
    if (row === undefined) {
      row = Number(this.statements.containerInsert.run(containerId, containerId.slice(0, 12)).lastInsertRowid);
      this.containerIds.set(containerId, row);
      this.containerById.set(row, containerId);
    }
    return row;
  }

  private prepareWrites() {
    const db = this.db;
    return {
      event: db.prepare('INSERT INTO events (seq, ts, kind, container, tgid, path, endpoint, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      eventMany: db.prepare(`INSERT INTO events (seq, ts, kind, container, tgid, path, endpoint, data) VALUES ${
        Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`),
      process: db.prepare('INSERT OR REPLACE INTO processes (key, container, tgid, parent_key, start, exit, exe, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      file: db.prepare('INSERT OR REPLACE INTO files (container, path, first, last, data) VALUES (?, ?, ?, ?, ?)'),
      flow: db.prepare('INSERT OR REPLACE INTO flows (key, container, direction, proto, remote_addr, remote_port, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      listening: db.prepare('INSERT OR REPLACE INTO listening (key, container, data) VALUES (?, ?, ?)'),
      resource: db.prepare('INSERT INTO resources (container, ts, data) VALUES (?, ?, ?)'),
      stats: db.prepare('INSERT INTO sensor_stats (ts, data) VALUES (?, ?)'),
      meta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      finding: db.prepare('INSERT OR REPLACE INTO findings (fingerprint, rule_id, severity, container_id, first, last, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      containerInsert: db.prepare('INSERT INTO containers (container_id, name) VALUES (?, ?)'),
      containerUpdate: db.prepare('UPDATE containers SET name = ?, image = ?, ref = ?, detail = COALESCE(?, detail), first_seen = ?, last_seen = ?, events = ? WHERE id = ?'),
    };
  }

  private guardWrite(fn: () => void): void {
    if (this.readonly) throw new GlasshouseError(`Recording ${this.path} is open read-only.`);
    if (this.failure || this.closed) return;
    try {
      fn();
    } catch (err) {
      this.fail(err, 0);
    }
  }

  private fail(err: unknown, lostEvents: number): void {
    if (this.failure) return;
    const code = isSqliteError(err) ? err.code : undefined;
    const when = new Date().toISOString();
    if (code === 'SQLITE_FULL' || (err as NodeJS.ErrnoException)?.code === 'ENOSPC') {
      this.failure = new GlasshouseError(
        `The disk holding recording ${this.path} is full: recording stopped at ${when}; everything saved before then is in the file.`,
        'Free some disk space (or record to another disk) and start a new recording.', 'DISK_FULL');
    } else {
      this.failure = new GlasshouseError(
        `Writing recording ${this.path} failed (${err instanceof Error ? err.message : String(err)}): recording stopped at ${when}; everything saved before then is in the file.`,
        'Check the disk and start a new recording.', code ?? 'WRITE_FAILED');
    }
    this.writeStats.discarded += lostEvents + this.queuedEvents.length;
    this.queuedEvents = [];
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

  metaValue(key: string): string | undefined {
    return this.read(() => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value);
  }

  processCount(): number {
    return this.read(() => (this.db.prepare('SELECT count(*) AS n FROM processes').get() as { n: number }).n);
  }

  info(): RecordingInfo {
    return this.read(() => {
      const range = this.db.prepare('SELECT count(*) AS n, min(ts) AS first, max(ts) AS last FROM events').get() as { n: number; first: number | null; last: number | null };
      const byKind: Partial<Record<EventKind, number>> = {};
      for (const r of this.db.prepare('SELECT kind, count(*) AS n FROM events GROUP BY kind').all() as Array<{ kind: number; n: number }>) {
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

  /** Events in [from, to), oldest first. */
  eventsInWindow(q: EventQuery = {}): StoredEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.from !== undefined) { where.push('ts >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts < ?'); args.push(q.to); }
    if (q.containerId !== undefined) { where.push('container = ?'); args.push(this.containerIds.get(q.containerId) ?? -1); }
    if (q.kinds?.length) { where.push(`kind IN (${q.kinds.map(() => '?').join(',')})`); args.push(...q.kinds.map((k) => KIND_CODE[k])); }
    const sql = `SELECT id, container, data FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, id LIMIT ?`;
    args.push(q.limit ?? 10_000);
    return this.read(() => (this.db.prepare(sql).all(...args) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
  }

  /** Events in recording order after a row id, for replay. */
  eventsAfter(afterId: number, limit: number): StoredEvent[] {
    return this.read(() => (this.db.prepare('SELECT id, container, data FROM events WHERE id > ? ORDER BY id LIMIT ?')
      .all(afterId, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
  }

  /** Events touching a path or anything under it. */
  eventsForPath(prefix: string, limit = 10_000): StoredEvent[] {
    return this.read(() => (this.db.prepare("SELECT id, container, data FROM events WHERE path = ? OR (path >= ? AND path < ?) ORDER BY ts, id LIMIT ?")
      .all(prefix, `${prefix.replace(/\/$/, '')}/`, `${prefix.replace(/\/$/, '')}0`, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
  }

  /** Events to or from an endpoint ("addr:port", a unix path, or a DNS name). */
  eventsForEndpoint(endpoint: string, limit = 10_000): StoredEvent[] {
    return this.read(() => (this.db.prepare('SELECT id, container, data FROM events WHERE endpoint = ? ORDER BY ts, id LIMIT ?')
      .all(endpoint, limit) as Array<{ id: number; container: number | null; data: string }>).map((r) => this.toEvent(r)));
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
    try {
      return fn();
    } catch (err) {
      throw corruptError(this.path, err);
    }
  }
}
