// A foreign recording is first read in a worker thread with a time limit, so a file crafted to make SQLite work
// forever (or for minutes) costs a worker, never the engine's thread: the app stays responsive and says why.
import { Worker } from 'node:worker_threads';
import { FileFormatError } from '../../common/ipc/errors';

/** What the worker does: the statements opening a recording runs first, read-only, with untrusted schema off. */
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
let db;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  db.pragma('trusted_schema = OFF');
  const odd = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type NOT IN ('table', 'index') OR sql LIKE 'CREATE VIRTUAL%'").get().n;
  // what opening runs first (the real open refuses a file with views or triggers by name): never a scan of the
  // events, which for a large recording would cost seconds here and again in the real open
  if (odd === 0) {
    db.prepare("SELECT value FROM meta WHERE key = 'format'").get();
    db.pragma('user_version', { simple: true });
  }
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String(e && e.message || e) });
} finally {
  try { db && db.close(); } catch {}
}
`;

/**
 * Reads what opening the recording reads first, in a worker, giving up after `timeoutMs`. Resolves when the file answered in time
 * (its own errors are left to the real open, which names them); rejects with a sentence when it did not.
 */
export async function probeRecording(path: string, timeoutMs = 15_000): Promise<void> {
  const worker = new Worker(PROBE, { eval: true, workerData: { path, sqlite: require.resolve('better-sqlite3') } });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new FileFormatError(`Reading ${path} took longer than ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} to read, so Glasshouse stopped reading it.`,
        'The file may be crafted to stall whoever opens it; open only recordings saved by Glasshouse.', 'SLOW_FILE')), timeoutMs);
      worker.once('message', () => { clearTimeout(t); resolve(); });
      worker.once('error', () => { clearTimeout(t); resolve(); }); // the real open names the problem
      worker.once('exit', () => { clearTimeout(t); resolve(); });
    });
  } finally {
    // not awaited: a thread stuck inside SQLite ends only when SQLite returns; the engine goes on meanwhile
    worker.unref();
    void worker.terminate();
  }
}
