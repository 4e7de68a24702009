// The recording file format: identification, schema version, and the migrations that reach it.
import type Database from 'better-sqlite3';
import { deflateRawSync } from 'node:zlib';
import { ChunkBuilder, DEFLATE_LEVEL, type SealedChunk } from './eventCodec';
import { STATEMENTS, chunkOps } from './writer';

/** PRAGMA application_id of every Glasshouse recording: "GHRC". Lets us tell our files from any other SQLite file. */
export const APPLICATION_ID = 0x47485243;
/** PRAGMA user_version: the recording format this build writes and the newest it reads. */
export const SCHEMA_VERSION = 2;

/**
 * Format 2 keeps events in chunks of a few hundred per row (column-packed, deflated) with small side tables that
 * say which chunks hold a container, a path or an endpoint: ~25× smaller and ~10× cheaper to write than a row per event.
 */
const CHUNK_TABLES = `
  -- Events first_id .. first_id + count - 1, in recording order; the blob is eventCodec's packed layout, deflated.
  CREATE TABLE event_chunks (
    first_id INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    ts_min REAL NOT NULL,
    ts_max REAL NOT NULL,
    kinds INTEGER NOT NULL,
    codec INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE INDEX event_chunks_ts ON event_chunks (ts_min, ts_max);
  CREATE TABLE chunk_containers (container INTEGER NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (container, chunk)) WITHOUT ROWID;
  CREATE TABLE chunk_paths (path TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (path, chunk)) WITHOUT ROWID;
  CREATE TABLE chunk_endpoints (endpoint TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (endpoint, chunk)) WITHOUT ROWID;
  CREATE TABLE event_kinds (kind INTEGER PRIMARY KEY, n INTEGER NOT NULL);
`;

/** Rewrites a format-1 events table (one JSON row per event) as chunks, keeping every event's id. */
function chunkRowEvents(db: Database.Database): void {
  const stmts = Object.fromEntries(['chunk', 'chunkContainers', 'chunkPaths', 'chunkEndpoints', 'kindCount']
    .map((k) => [k, db.prepare(STATEMENTS[k])]));
  const write = (c: SealedChunk | undefined) => {
    if (!c) return;
    for (const [name, args] of chunkOps(c, deflateRawSync(c.packed, { level: DEFLATE_LEVEL }))) stmts[name].run(...args);
  };
  const b = new ChunkBuilder(1);
  // Pages, not one iterator: better-sqlite3 allows no writes on a connection while a read is open.
  const page = db.prepare('SELECT id, container, data FROM events WHERE id > ? ORDER BY id LIMIT 4096');
  for (let after = 0; ;) {
    const rows = page.all(after) as Array<{ id: number; container: number | null; data: string }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      if (r.id !== b.nextEventId) write(b.restartAt(r.id));
      write(b.add(JSON.parse(r.data), r.container ?? undefined));
    }
    after = rows[rows.length - 1].id;
  }
  write(b.seal());
}

/** Migrations[i] takes a file from version i to i + 1; each runs inside one transaction. */
export const MIGRATIONS: Array<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE containers (
        id INTEGER PRIMARY KEY,
        container_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        image TEXT NOT NULL DEFAULT '',
        ref TEXT,
        detail TEXT,
        first_seen REAL,
        last_seen REAL,
        events INTEGER NOT NULL DEFAULT 0
      );
      -- One row per event; the columns are what queries filter on, data is the rest of the event as JSON.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        ts REAL NOT NULL,
        kind INTEGER NOT NULL,
        container INTEGER,
        tgid INTEGER NOT NULL,
        path TEXT,
        endpoint TEXT,
        data TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events (ts);
      CREATE TABLE processes (
        key TEXT PRIMARY KEY,
        container INTEGER,
        tgid INTEGER NOT NULL,
        parent_key TEXT,
        start REAL NOT NULL,
        exit REAL,
        exe TEXT NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX processes_parent ON processes (parent_key);
      CREATE INDEX processes_container ON processes (container, start);
      CREATE TABLE files (
        container INTEGER NOT NULL,
        path TEXT NOT NULL,
        first REAL NOT NULL,
        last REAL NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (container, path)
      ) WITHOUT ROWID;
      CREATE INDEX files_path ON files (path);
      CREATE TABLE flows (
        key TEXT PRIMARY KEY,
        container INTEGER NOT NULL,
        direction TEXT NOT NULL,
        proto TEXT NOT NULL,
        remote_addr TEXT NOT NULL,
        remote_port INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX flows_endpoint ON flows (remote_addr, remote_port);
      CREATE TABLE listening (key TEXT PRIMARY KEY, container INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE resources (container INTEGER NOT NULL, ts REAL NOT NULL, data TEXT NOT NULL);
      CREATE INDEX resources_container_ts ON resources (container, ts);
      CREATE TABLE sensor_stats (ts REAL NOT NULL, data TEXT NOT NULL);
      CREATE TABLE gaps (start REAL NOT NULL, end REAL NOT NULL, reason TEXT);
      CREATE TABLE findings (
        fingerprint TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        container_id TEXT NOT NULL,
        first REAL NOT NULL,
        last REAL NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX findings_rule ON findings (rule_id);
    `);
  },
  (db) => {
    db.exec(CHUNK_TABLES);
    chunkRowEvents(db);
    db.exec('DROP TABLE events');
  },
];
