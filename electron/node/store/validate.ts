// Decides from the file's bytes alone (never writing) whether a file is a recording this build can open.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { FileFormatError, NotFoundError } from '../../common/ipc/errors';
import { APPLICATION_ID, SCHEMA_VERSION } from './schema';

const SQLITE_MAGIC = 'SQLite format 3\0';

export interface HeaderFacts {
  size: number;
  pageSize: number;
  /** Pages according to the header, when the header says that count is valid. */
  pageCount?: number;
  applicationId: number;
  userVersion: number;
  hasWal: boolean;
}

/** Reads the 100-byte SQLite header and throws a FileFormatError that names the file and the problem. */
export function checkRecordingHeader(path: string): HeaderFacts {
  if (!existsSync(path)) {
    throw new NotFoundError(`Recording ${path} does not exist.`, 'Check the path, or pick it again from recent recordings.');
  }
  const st = statSync(path);
  if (st.isDirectory()) {
    throw new FileFormatError(`${path} is a folder, not a Glasshouse recording.`, 'Open a .glasshouse file.', 'NOT_A_FILE');
  }
  if (st.size === 0) {
    throw new FileFormatError(`Recording ${path} is empty (0 bytes): it was cut off before anything was saved.`,
      'Record again, or copy the file again if it came from elsewhere.', 'TRUNCATED');
  }
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new FileFormatError(`${path} is not a Glasshouse recording: it is not an SQLite database.`,
      'Open a file saved by Glasshouse (.glasshouse).', 'NOT_A_RECORDING');
  }
  if (n < 100) {
    throw new FileFormatError(`Recording ${path} is truncated: its ${n}-byte header is incomplete.`,
      'Copy the file again from its source.', 'TRUNCATED');
  }
  const rawPage = header.readUInt16BE(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const changeCounter = header.readUInt32BE(24);
  const validFor = header.readUInt32BE(92);
  const pageCount = changeCounter === validFor ? header.readUInt32BE(28) : undefined;
  const userVersion = header.readUInt32BE(60);
  const applicationId = header.readUInt32BE(68);
  const hasWal = existsSync(`${path}-wal`);
  if (applicationId !== APPLICATION_ID) {
    throw new FileFormatError(
      `${path} is not a Glasshouse recording: it is an SQLite database written by another tool (application id 0x${applicationId.toString(16).padStart(8, '0')}).`,
      'Open a file saved by Glasshouse (.glasshouse).', 'NOT_A_RECORDING');
  }
  if (userVersion > SCHEMA_VERSION) {
    throw new FileFormatError(
      `Recording ${path} was saved by a newer Glasshouse (recording format ${userVersion}; this version reads up to ${SCHEMA_VERSION}).`,
      'Update Glasshouse to open it. The file was not changed.', 'NEWER_SCHEMA');
  }
  // With a WAL beside it the main file may legitimately be shorter than its pages: the WAL holds the rest.
  if (pageCount !== undefined && !hasWal && pageCount * pageSize > st.size) {
    throw new FileFormatError(
      `Recording ${path} is truncated: it should be ${pageCount * pageSize} bytes but is ${st.size}.`,
      'Copy the file again from its source; a partial copy cannot be opened.', 'TRUNCATED');
  }
  return { size: st.size, pageSize, pageCount, applicationId, userVersion, hasWal };
}
