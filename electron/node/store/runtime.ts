// The store's SQLite addon (better-sqlite3 13) is a Node-API 10 addon. On a Node without Node-API 10 (Node 20,
// Node 22 before 22.14) it does not fail to load: the process dies (SIGSEGV) at the first database it opens.
// RecordingStore asks here first, so such a Node gets a sentence instead, and everything that needs no recording
// (status, preflight, the catalog) keeps working.
import { GlasshouseError } from '../../common/ipc/errors';

/** The Node-API version the prebuilt addon is built against (its binding.gyp's NAPI_VERSION). */
export const SQLITE_NODE_API = 10;

/** Why this runtime cannot load the SQLite addon, or undefined when it can (or does not say its Node-API version). */
export function sqliteRuntimeProblem(versions: { node?: string; napi?: string } = process.versions): string | undefined {
  const napi = Number(versions.napi);
  if (!versions.napi || !Number.isFinite(napi) || napi >= SQLITE_NODE_API) return undefined;
  return `This Node.js (v${versions.node ?? '?'}) cannot open recordings: Glasshouse's SQLite addon needs Node-API ${SQLITE_NODE_API}, ` +
    `and this Node has Node-API ${versions.napi}.`;
}

/** Throws a GlasshouseError (code NODE_TOO_OLD) before the addon is loaded on a runtime that would crash on it. */
export function assertSqliteRuntime(versions: { node?: string; napi?: string } = process.versions): void {
  const problem = sqliteRuntimeProblem(versions);
  if (problem) throw new GlasshouseError(problem, 'Run Glasshouse with Node.js 22.14 or later (Node 24 is what it is tested on).', 'NODE_TOO_OLD');
}
