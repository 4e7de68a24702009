// The recording file format: identification, schema version, and the migrations that reach it.
import type Database from 'better-sqlite3';

/** PRAGMA application_id of every Glasshouse recording: "GHRC". Lets us tell our files from any other SQLite file. */
export const APPLICATION_ID = 0x47485243;
/** PRAGMA user_version: the recording format this build writes and the newest it reads. */
export const SCHEMA_VERSION = 1;

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
];

/**
 * Indexes that would slow the capture path if maintained per insert; built when a recording is closed
 * (or when an unfinished recording, e.g. after a crash, is next opened for writing).
 */
export const DEFERRED_INDEXES = [
  'CREATE INDEX IF NOT EXISTS events_container_ts ON events (container, ts)',
  'CREATE INDEX IF NOT EXISTS events_kind_ts ON events (kind, ts)',
  'CREATE INDEX IF NOT EXISTS events_path ON events (path) WHERE path IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS events_endpoint ON events (endpoint) WHERE endpoint IS NOT NULL',
];
