import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyntheticSource } from '../capture/synthetic';
import { WorldState } from '../../common/state/index';
import { FileFormatError, NotFoundError, UserInputError } from '../../common/ipc/errors';
import type { Finding } from '../../common/model/finding';
import { RecordingStore, storeCreateError, writeFailureError } from './recordingStore';
import { RecentRecordings } from './recent';
import { APPLICATION_ID, MIGRATIONS } from './schema';
import type { RuntimeEvent } from '../../common/model/event';
import type { FileChange } from '../../common/model/process';
import { UNSAVED_META } from './writer';

/** Writes a recording the way format 1 did (one JSON row per event), to prove old files still open. */
function writeFormat1(path: string, events: RuntimeEvent[]): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.transaction(() => {
    MIGRATIONS[0](db);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO meta (key, value) VALUES ('format', 'glasshouse-recording'), ('created_at', '1'), ('created_by', 'glasshouse 0.0.9')").run();
    const rows = new Map<string, number>();
    const ins = db.prepare('INSERT INTO events (seq, ts, kind, container, tgid, path, endpoint, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const e of events) {
      let row = e.containerId === undefined ? null : rows.get(e.containerId);
      if (row === undefined) {
        row = Number(db.prepare('INSERT INTO containers (container_id, name) VALUES (?, ?)').run(e.containerId, e.containerId!.slice(0, 12)).lastInsertRowid);
        rows.set(e.containerId!, row);
      }
      const { containerId: _, ...rest } = e;
      const path = 'path' in e ? e.path : e.kind === 'exec' ? e.filename : null;
      const endpoint = e.kind === 'connect' ? `${e.daddr}:${e.dport}` : e.kind === 'dns' ? e.qname : null;
      ins.run(e.seq, e.ts, ['exec', 'fork', 'exit', 'open'].indexOf(e.kind) >= 0 ? ['exec', 'fork', 'exit', 'open'].indexOf(e.kind) : 13, row, e.tgid, path, endpoint, JSON.stringify(rest));
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function record(path: string, events = 20_000, seed = 5): { world: WorldState; ids: string[] } {
  const src = new SyntheticSource({ events, seed });
  const world = new WorldState();
  const store = RecordingStore.create(path, { title: 'test' });
  const all = src.all();
  for (let i = 0; i < all.length; i += 5000) {
    const batch = all.slice(i, i + 5000);
    world.applyBatch(batch);
    store.appendEvents(batch);
    store.applyDelta(world.takeDelta());
    store.flush();
  }
  store.close();
  return { world, ids: src.containerIds() };
}

describe('RecordingStore', () => {
  it('writes a recording and answers window, subtree, path and flow queries from it', () => {
    const p = join(tmp(), 'a.glasshouse');
    const { world, ids } = record(p);
    const s = RecordingStore.open(p, { readonly: true });
    const info = s.info();
    expect(info.events).toBe(20_000);
    expect(info.meta.title).toBe('test');
    expect(info.meta.finishedAt).toBeGreaterThan(0);
    expect(info.containers.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(Object.values(info.eventsByKind).reduce((a, b) => a + b, 0)).toBe(20_000);

    const mid = (info.firstTs! + info.lastTs!) / 2;
    const win = s.eventsInWindow({ from: mid, to: mid + 10, limit: 100_000 });
    expect(win.length).toBeGreaterThan(0);
    expect(win.every((e) => e.ts >= mid && e.ts < mid + 10)).toBe(true);
    expect(win[0].containerId).toHaveLength(64);
    const one = s.eventsInWindow({ containerId: ids[0], kinds: ['connect'], limit: 100_000 });
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((e) => e.kind === 'connect' && e.containerId === ids[0])).toBe(true);

    const procs = s.processes();
    expect(procs).toHaveLength(world.processes.size);
    const init = world.processes.roots(ids[0])[0];
    expect(s.processSubtree(init.key).map((p) => p.key).sort()).toEqual(world.processes.subtree(init.key).map((p) => p.key).sort());

    const tmpFiles = s.files('/tmp', ids[1]);
    expect(tmpFiles.map((f) => f.path).sort()).toEqual(world.files.underPath(ids[1], '/tmp').map((f) => f.path).sort());
    expect(s.files('/tm')).toHaveLength(0);
    expect(s.eventsForPath('/etc/hosts', 5).every((e) => 'path' in e && e.path === '/etc/hosts')).toBe(true);
    expect(s.flows({ remoteAddr: '140.82.112.3' }).length).toBe(world.flows.flows().filter((f) => f.remoteAddr === '140.82.112.3').length);
    expect(s.eventsForEndpoint('140.82.112.3:443', 3)).toHaveLength(3);
    s.close();
  });

  it('saves and lists findings by fingerprint', () => {
    const p = join(tmp(), 'f.glasshouse');
    const s = RecordingStore.create(p);
    const f: Finding = {
      fingerprint: 'ab'.repeat(32), ruleId: 'shell-in-container', title: 'Shell', source: 'runtime', severity: 'high',
      mitre: ['T1059'], why: 'w', fix: 'f', container: { id: 'c'.repeat(64), name: 'web', image: 'nginx' },
      evidence: { events: [] }, count: 1, first: 1, last: 1, status: 'open',
    };
    s.saveFindings([f]);
    s.saveFindings([{ ...f, count: 3, last: 5 }]);
    expect(s.listFindings()).toEqual([{ ...f, count: 3, last: 5 }]);
    s.close();
    expect(RecordingStore.open(p, { readonly: true }).listFindings()).toHaveLength(1);
  });

  it('skips a row the schema rejects, counts it with its reason, and records everything else to a finished file', () => {
    const p = join(tmp(), 'bad-row.glasshouse');
    const s = RecordingStore.create(p, {}, { flushIntervalMs: 60_000 });
    const world = new WorldState();
    const events = new SyntheticSource({ events: 3000, seed: 9 }).all();
    world.applyBatch(events);
    s.appendEvents(events);
    const delta = world.takeDelta();
    // What `docker diff` answered as a Buffer once became: a file change with no path (files.path is NOT NULL).
    const broken = { containerId: delta.files[0].containerId, kinds: ['modified'], first: 1, last: 1 } as unknown as FileChange;
    s.applyDelta({ ...delta, files: [broken, ...delta.files] });
    expect(s.flush()).toBe(true);
    const f: Finding = {
      fingerprint: 'cd'.repeat(32), ruleId: 'Write below etc', title: 'w', source: 'runtime', severity: 'high', mitre: [],
      why: 'w', fix: 'f', container: { id: 'c'.repeat(64), name: 'web', image: 'nginx' }, evidence: { events: [] }, count: 1, first: 1, last: 1, status: 'open',
    };
    s.saveFindings([f]);
    expect(s.info().events).toBe(3000); // a read waits for the writer thread
    expect(s.failed).toBeUndefined();
    const stats = s.stats();
    expect(stats.unsaved).toBe(1);
    expect(stats.unsavedReasons).toEqual({ 'file: NOT NULL constraint failed: files.path': 1 });
    s.close();

    const ro = RecordingStore.open(p, { readonly: true });
    const info = ro.info();
    expect(info.events).toBe(3000);
    expect(info.meta.finishedAt).toBeGreaterThan(0);
    expect(ro.files()).toHaveLength(delta.files.length);
    expect(ro.processes()).toHaveLength(delta.processes.length);
    expect(ro.listFindings().map((x) => x.fingerprint)).toEqual([f.fingerprint]);
    expect(JSON.parse(ro.metaValue(UNSAVED_META)!)).toEqual({ count: 1, reasons: { 'file: NOT NULL constraint failed: files.path': 1 } });
    ro.close();
    // Reopened for writing (as `glasshouse scan` does to add policy findings): the count is kept, not reset.
    const again = RecordingStore.open(p);
    again.saveFindings([{ ...f, fingerprint: 'ce'.repeat(32) }]);
    again.close();
    const last = RecordingStore.open(p, { readonly: true });
    expect(JSON.parse(last.metaValue(UNSAVED_META)!)).toEqual({ count: 1, reasons: { 'file: NOT NULL constraint failed: files.path': 1 } });
    expect(last.listFindings()).toHaveLength(2);
    last.close();
  });

  it('counts a finding that cannot be serialised, and writes the others', () => {
    const p = join(tmp(), 'bad-finding.glasshouse');
    const s = RecordingStore.create(p);
    const base: Finding = {
      fingerprint: 'ef'.repeat(32), ruleId: 'r', title: 't', source: 'runtime', severity: 'low', mitre: [], why: 'w', fix: 'f',
      container: { id: 'c'.repeat(64), name: 'web', image: 'nginx' }, evidence: { events: [] }, count: 1, first: 1, last: 1, status: 'open',
    };
    const odd = { ...base, fingerprint: '01'.repeat(32), evidence: { events: [], fields: { n: 1n } } } as unknown as Finding;
    s.saveFindings([odd, base]);
    expect(s.stats().unsaved).toBe(1);
    expect(Object.keys(s.stats().unsavedReasons)[0]).toMatch(/^finding: .*BigInt/);
    s.close();
    const ro = RecordingStore.open(p, { readonly: true });
    expect(ro.listFindings().map((x) => x.fingerprint)).toEqual([base.fingerprint]);
    expect(JSON.parse(ro.metaValue(UNSAVED_META)!).count).toBe(1);
    ro.close();
  });

  it('names an I/O error and a file gone read-only as such, with what to do', () => {
    const io = writeFailureError('/r/x.glasshouse', { code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' }, 'T');
    expect(io.code).toBe('IO_ERROR');
    expect(io.message).toBe('The disk holding recording /r/x.glasshouse reported an I/O error (SQLITE_IOERR_WRITE: disk I/O error): recording stopped at T; everything saved before then is in the file.');
    expect(io.hint).toMatch(/failing or was removed/);
    expect(writeFailureError('/r/x.glasshouse', { code: 'EIO', message: 'i/o error' }, 'T').code).toBe('IO_ERROR');
    expect(writeFailureError('/r/x.glasshouse', { code: 'SQLITE_READONLY_DBMOVED', message: 'attempt to write a readonly database' }, 'T').code).toBe('READ_ONLY');
    expect(writeFailureError('/r/x.glasshouse', { code: 'ENOSPC', message: 'no space' }, 'T').code).toBe('DISK_FULL');
  });

  describe('on a real full disk (a 1 MB tmpfs)', () => {
    let mnt: string | undefined;
    afterEach(() => {
      if (mnt) execFileSync('umount', [mnt]);
      mnt = undefined;
    });
    it('stops, names the cause and what to do, counts what it lost, and keeps what it had written', () => {
      const dir = tmp();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
      mnt = dir;
      const p = join(dir, 'full.glasshouse');
      const s = RecordingStore.create(p, {}, { flushIntervalMs: 60_000 });
      const failures: string[] = [];
      s.onFailure((e) => failures.push(e.code ?? ''));
      const src = new SyntheticSource({ events: 400_000, seed: 3 }).all();
      let appended = 0;
      for (let i = 0; i < src.length && !s.failed; i += 5000) {
        s.appendEvents(src.slice(i, i + 5000));
        appended += Math.min(5000, src.length - i);
        s.flush();
        s.info(); // waits for the writer
      }
      const err = s.failed!;
      expect(err).toBeDefined();
      expect(err.code).toBe('DISK_FULL');
      expect(err.message).toMatch(/^The disk holding recording .*full\.glasshouse is full \(SQLITE_FULL\): recording stopped at /);
      expect(err.hint).toMatch(/Free some disk space/);
      expect(failures).toEqual(['DISK_FULL']);
      const st = s.stats();
      expect(st.eventsWritten).toBeGreaterThan(0);
      expect(st.eventsWritten + st.discarded).toBe(appended);
      expect(st.unsaved).toBe(0); // a full disk is not a bad row
      s.close();
    }, 60_000);
  });

  it('names the real cause when a recording cannot be created', () => {
    const d = tmp();
    const missing = storeCreateError(join(d, 'no', 'x.glasshouse'), Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }));
    expect(missing.message).toMatch(/The folder .*\/no does not exist \(ENOENT\)/);
    expect(() => RecordingStore.create(join(d, 'no', 'x.glasshouse'))).toThrow(/The folder .*\/no does not exist/);
    // The loader's own words when the addon was built for another runtime (Node's ERR_DLOPEN_FAILED).
    const abi = storeCreateError(join(d, 'x.glasshouse'), Object.assign(new Error(
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`)."), { code: 'ERR_DLOPEN_FAILED' }));
    expect(abi.code).toBe('NATIVE_MODULE');
    expect(abi.message).toMatch(/better-sqlite3\) does not match this runtime \(Node\.js v\d+/);
    expect(abi.hint).toMatch(/npm rebuild better-sqlite3/);
    // A real loader failure: the addon file is not a shared object at all.
    const bogus = join(d, 'better_sqlite3.node');
    writeFileSync(bogus, 'not an ELF file');
    let loaderError: unknown;
    try { new Database(join(d, 'y.glasshouse'), { nativeBinding: bogus }); } catch (e) { loaderError = e; }
    expect((loaderError as NodeJS.ErrnoException).code).toBe('ERR_DLOPEN_FAILED');
    const real = storeCreateError(join(d, 'y.glasshouse'), loaderError);
    expect(real.code).toBe('NATIVE_MODULE');
    expect(real.message).toMatch(/does not match this runtime \(Node\.js v[^)]*\), so recording .*y\.glasshouse cannot be created: .*better_sqlite3\.node: file too short/);
    const denied = storeCreateError(join(d, 'x.glasshouse'), Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    expect(denied.message).toContain(`Glasshouse may not write in ${d} (permission denied, EACCES)`);
    expect(denied.code).toBe('PERMISSION_DENIED');
  });

  it('never overwrites an existing file', () => {
    const p = join(tmp(), 'exists.glasshouse');
    writeFileSync(p, 'precious');
    expect(() => RecordingStore.create(p)).toThrow(UserInputError);
    expect(readFileSync(p, 'utf8')).toBe('precious');
  });

  describe('refuses bad files with an error that names the file, and leaves them untouched', () => {
    const expectRefused = (p: string, pattern: RegExp, code?: string) => {
      const before = sha(p);
      for (const readonly of [true, false]) {
        let err: unknown;
        try {
          RecordingStore.open(p, { readonly });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FileFormatError);
        expect((err as Error).message).toContain(p);
        expect((err as Error).message).toMatch(pattern);
        if (code) expect((err as FileFormatError).code).toBe(code);
      }
      expect(sha(p)).toBe(before);
    };

    it('missing', () => {
      expect(() => RecordingStore.open(join(tmp(), 'nope.glasshouse'))).toThrow(NotFoundError);
    });
    it('empty', () => {
      const p = join(tmp(), 'empty.glasshouse');
      writeFileSync(p, '');
      expectRefused(p, /empty/, 'TRUNCATED');
    });
    it('another kind of file', () => {
      const p = join(tmp(), 'notes.glasshouse');
      writeFileSync(p, '{"this": "is json"}\n'.repeat(20));
      expectRefused(p, /not an SQLite database/, 'NOT_A_RECORDING');
    });
    it('an SQLite database from another tool', () => {
      const p = join(tmp(), 'other.db');
      const db = new Database(p);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      db.close();
      expectRefused(p, /another tool/, 'NOT_A_RECORDING');
    });
    it('a recording from a newer schema', () => {
      const p = join(tmp(), 'newer.glasshouse');
      record(p, 100);
      const db = new Database(p);
      db.pragma('user_version = 99');
      db.close();
      expectRefused(p, /newer Glasshouse.*format 99/, 'NEWER_SCHEMA');
    });
    it('a truncated copy', () => {
      const p = join(tmp(), 'full.glasshouse');
      record(p, 5000);
      const cut = join(tmp(), 'cut.glasshouse');
      const buf = readFileSync(p);
      writeFileSync(cut, buf.subarray(0, Math.floor(buf.length / 2)));
      expectRefused(cut, /truncated/, 'TRUNCATED');
    });
    it('a damaged file', () => {
      const p = join(tmp(), 'damaged.glasshouse');
      record(p, 5000);
      // Scribble over the schema page and a few data pages, keeping the 100-byte header intact.
      const fd = openSync(p, 'r+');
      const junk = Buffer.alloc(4096 * 3, 0xa5);
      writeSync(fd, junk, 0, 4096 - 100, 100);
      writeSync(fd, junk, 0, junk.length, 4096 * 2);
      closeSync(fd);
      expectRefused(p, /damaged/, 'CORRUPT');
    });
  });
});

describe('recording format 2 (chunked events)', () => {
  const sorted = (evs: RuntimeEvent[]) => evs.map((e, i) => ({ ...e, id: i + 1 }))
    .sort((a, b) => a.ts - b.ts || a.id - b.id);

  it('answers window, path, endpoint and replay queries exactly as a scan of all events would', () => {
    const p = join(tmp(), 'q.glasshouse');
    const all = new SyntheticSource({ events: 6000, seed: 8 }).all();
    // Shuffle timestamps a little so chunks overlap in time, as out-of-order capture does.
    all.forEach((e, i) => { if (i % 97 === 0) e.ts -= 3; });
    const store = RecordingStore.create(p);
    for (let i = 0; i < all.length; i += 700) store.appendEvents(all.slice(i, i + 700));
    store.close();
    const s = RecordingStore.open(p, { readonly: true });
    const truth = sorted(all);
    const mid = truth[3000].ts;
    const inWindow = truth.filter((e) => e.ts >= mid && e.ts < mid + 4);
    expect(s.eventsInWindow({ from: mid, to: mid + 4, limit: 100_000 })).toEqual(inWindow);
    expect(s.eventsInWindow({ from: mid, to: mid + 4, limit: 7 })).toEqual(inWindow.slice(0, 7));
    expect(s.eventsInWindow({ limit: 5 })).toEqual(truth.slice(0, 5));
    // a window that follows a live capture wants its newest events, still oldest first
    expect(s.eventsInWindow({ from: mid, to: mid + 4, limit: 7, newest: true })).toEqual(inWindow.slice(-7));
    expect(s.eventsInWindow({ limit: 5, newest: true })).toEqual(truth.slice(-5));
    const c = all[0].containerId!;
    expect(s.eventsInWindow({ containerId: c, kinds: ['open', 'exec'], limit: 100_000 }))
      .toEqual(truth.filter((e) => e.containerId === c && (e.kind === 'open' || e.kind === 'exec')));
    expect(s.eventsForPath('/tmp', 100_000)).toEqual(truth.filter((e) => 'path' in e && (e.path === '/tmp' || e.path.startsWith('/tmp/'))));
    expect(s.eventsForEndpoint('github.com', 100_000)).toEqual(truth.filter((e) => e.kind === 'dns' && e.qname === 'github.com'));
    let after = 0;
    const replay: number[] = [];
    for (let batch = s.eventsAfter(0, 333); batch.length; batch = s.eventsAfter(after, 333)) {
      replay.push(...batch.map((e) => e.id));
      after = batch[batch.length - 1].id;
    }
    expect(replay).toEqual(all.map((_, i) => i + 1));
    expect(s.eventsAfter(5990, 100).map(({ id: _, ...e }) => e)).toEqual(all.slice(5990));
    s.close();
  });

  it('reads a format-1 file read-only without touching it, and converts it (same events and ids) when opened for writing', () => {
    const p = join(tmp(), 'old.glasshouse');
    const all = new SyntheticSource({ events: 3000, seed: 2 }).all();
    writeFormat1(p, all);
    const before = sha(p);
    const ro = RecordingStore.open(p, { readonly: true });
    expect(ro.info().meta.schemaVersion).toBe(1);
    expect(ro.info().events).toBe(3000);
    const oldWindow = ro.eventsInWindow({ limit: 100_000 });
    expect(oldWindow).toHaveLength(3000);
    expect(ro.eventsInWindow({ limit: 4, newest: true })).toEqual(oldWindow.slice(-4));
    const oldPath = ro.eventsForPath('/etc', 100_000);
    expect(ro.eventsAfter(2990, 5).map((e) => e.id)).toEqual([2991, 2992, 2993, 2994, 2995]);
    ro.close();
    expect(sha(p)).toBe(before);

    const rw = RecordingStore.open(p);
    rw.appendEvents(new SyntheticSource({ events: 10, seed: 3, startTs: 1_800_000_000_000 }).all());
    rw.close();
    const db = new Database(p, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'events'").get()).toEqual({ n: 0 });
    db.close();
    const s = RecordingStore.open(p, { readonly: true });
    const info = s.info();
    expect(info.meta.schemaVersion).toBe(2);
    expect(info.events).toBe(3010);
    expect(s.eventsInWindow({ to: 1_800_000_000_000, limit: 100_000 })).toEqual(oldWindow);
    expect(s.eventsForPath('/etc', 100_000).filter((e) => e.ts < 1_800_000_000_000)).toEqual(oldPath);
    expect(s.eventsAfter(3000, 100).map((e) => e.id)).toEqual([3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010]);
    s.close();
  });

  it('reads its own uncommitted writes only once committed, and counts nothing as lost', () => {
    const p = join(tmp(), 'live.glasshouse');
    const s = RecordingStore.create(p, {}, { flushIntervalMs: 60_000 });
    s.appendEvents(new SyntheticSource({ events: 1234, seed: 1 }).all());
    expect(s.stats().queued).toBe(1234);
    // A query on the writing store hands over the queue and waits for the writer thread.
    expect(s.info().events).toBe(1234);
    expect(s.stats()).toMatchObject({ eventsWritten: 1234, queued: 0, discarded: 0 });
    s.close();
  });

  it('writes the first state on the first timer flush that has any, however many empty flushes came before', async () => {
    const p = join(tmp(), 'first-state.glasshouse');
    const s = RecordingStore.create(p, {}, { flushIntervalMs: 10, stateIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 60)); // timer flushes with nothing to write (the capture has not begun)
    const world = new WorldState();
    const events = new SyntheticSource({ events: 500, seed: 4 }).all();
    world.applyBatch(events);
    s.appendEvents(events);
    s.applyDelta(world.takeDelta());
    let rows = 0;
    for (let t = 0; t < 100 && rows === 0; t++) {
      await new Promise((r) => setTimeout(r, 20));
      const ro = RecordingStore.open(p, { readonly: true });
      rows = ro.processes().length;
      ro.close();
    }
    expect(rows).toBeGreaterThan(0); // without a flush() or close(): what a crash right now would leave
    s.close();
  });

  it('holds state rows back on timer flushes until their interval, coalesced to the latest version, and writes them on flush', async () => {
    const p = join(tmp(), 'cadence.glasshouse');
    const s = RecordingStore.create(p, {}, { flushIntervalMs: 10, stateIntervalMs: 60_000 });
    const world = new WorldState();
    const events = new SyntheticSource({ events: 3000, seed: 2 }).all();
    world.applyBatch(events.slice(0, 1500));
    s.appendEvents(events.slice(0, 1500));
    s.applyDelta(world.takeDelta());
    await new Promise((r) => setTimeout(r, 50)); // the first timer flush writes state (nothing was written yet)
    world.applyBatch(events.slice(1500));
    s.appendEvents(events.slice(1500));
    s.applyDelta(world.takeDelta());
    // Later timer flushes write events only (polled: the writer thread commits on its own time).
    for (let t = 0; t < 200 && s.stats().eventsWritten < 3000; t++) await new Promise((r) => setTimeout(r, 25));
    expect(s.stats().eventsWritten).toBe(3000);
    // A second connection sees what is committed without making the writer hand anything over.
    const ro = RecordingStore.open(p, { readonly: true });
    const early = ro.processes().length;
    ro.close();
    expect(early).toBeGreaterThan(0);
    expect(early).toBeLessThan(world.processes.size);
    s.flush();
    const all = s.processes();
    expect(all).toHaveLength(world.processes.size);
    // Upserts keep one row per process, with its latest state.
    const byKey = new Map([...world.processes.all()].map((n) => [n.key, n]));
    for (const n of all) expect(n).toEqual(JSON.parse(JSON.stringify(byKey.get(n.key))));
    s.close();
  });
});

describe('RecentRecordings', () => {
  it('keeps the most recent first, without duplicates, and survives a damaged list', () => {
    const dir = join(tmp(), 'config');
    const r = new RecentRecordings(dir, 3);
    expect(r.list()).toEqual([]);
    r.add({ path: '/x/a.glasshouse', openedAt: 1 });
    r.add({ path: '/x/b.glasshouse', openedAt: 2 });
    r.add({ path: '/x/a.glasshouse', openedAt: 3, events: 10 });
    r.add({ path: '/x/c.glasshouse', openedAt: 4 });
    r.add({ path: '/x/d.glasshouse', openedAt: 5 });
    expect(r.list().map((e) => e.path)).toEqual(['/x/d.glasshouse', '/x/c.glasshouse', '/x/a.glasshouse']);
    writeFileSync(join(dir, 'recent-recordings.json'), '[{"path": "/ok", "openedAt": 1}, {"bad": true}, 7]');
    expect(r.list()).toEqual([{ path: '/ok', openedAt: 1 }]);
    writeFileSync(join(dir, 'recent-recordings.json'), 'garbage');
    expect(r.list()).toEqual([]);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});

describe('RecordingStore and crafted files (issue 16.6)', () => {
  it('refuses a chunk that would inflate beyond what its events can take (a deflate bomb), before taking the memory', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const p = join(tmp(), 'bomb.glasshouse');
    record(p, 2000);
    const db = new Database(p);
    // 1 declared event, a blob that inflates to 8 MiB (a real bomb inflates to gigabytes; the bound is the same)
    db.prepare('UPDATE event_chunks SET count = 1, data = ? WHERE first_id = (SELECT min(first_id) FROM event_chunks)').run(deflateRawSync(Buffer.alloc(8 << 20)));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const s = RecordingStore.open(p, { readonly: true });
    try {
      expect(() => s.eventsInWindow({ limit: 10 })).toThrow(/inflates beyond 69632 bytes for its 1 events/);
    } finally {
      s.close();
    }
  });

  it('refuses a chunk declaring more events than a chunk holds', () => {
    const p = join(tmp(), 'count.glasshouse');
    record(p, 2000);
    const db = new Database(p);
    db.prepare('UPDATE event_chunks SET count = 100000 WHERE first_id = (SELECT min(first_id) FROM event_chunks)').run();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const s = RecordingStore.open(p, { readonly: true });
    try {
      expect(() => s.eventsInWindow({ limit: 10 })).toThrow(/declares 100000 events/);
    } finally {
      s.close();
    }
  });

  it('refuses, at once, a file whose meta table was replaced by a recursive view that never returns, and one with a trigger', () => {
    const p = join(tmp(), 'view.glasshouse');
    record(p, 100);
    const db = new Database(p);
    db.exec(`ALTER TABLE meta RENAME TO meta_old;
      CREATE VIEW meta AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT 'format' AS key, 'glasshouse-recording' AS value FROM n WHERE i < 0;`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(() => RecordingStore.open(p, { readonly: true })).toThrow(/holds a view "meta", which a recording never has/);

    const q = join(tmp(), 'trigger.glasshouse');
    record(q, 100);
    const db2 = new Database(q);
    db2.exec(`CREATE TRIGGER t AFTER INSERT ON findings BEGIN DELETE FROM event_chunks; END;`);
    db2.pragma('wal_checkpoint(TRUNCATE)');
    db2.close();
    expect(() => RecordingStore.open(q)).toThrow(/holds a trigger "t"/);
  });
});
