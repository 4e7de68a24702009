// Writes a rendered report to a file (atomically) or a stream; the one call `scan` and `report` share.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileFormatError } from '../../common/ipc/errors';
import type { SensorStats } from '../../common/model/event';
import { formatFromFileName, parseReportFormat, renderReport } from './index';
import type { ReportFormat, ReportInput, SensorLoss } from './types';

/** --format wins; else the --out extension; else the fallback. */
export function chooseFormat(format: string | undefined, out: string | undefined, fallback: ReportFormat = 'sarif'): ReportFormat {
  if (format) return parseReportFormat(format);
  return (out && formatFromFileName(out)) || fallback;
}

/**
 * Renders (always redacted) and writes the report. With `out` the file is replaced atomically, so a CI step
 * never reads half a report; without it the text goes to `stream`. Returns the number of bytes written.
 */
export function writeReport(format: ReportFormat, input: ReportInput, out: string | undefined, stream?: NodeJS.WritableStream, cwd = process.cwd()): number {
  const text = renderReport(format, input);
  if (!out) {
    stream?.write(text);
    return Buffer.byteLength(text);
  }
  const file = resolve(cwd, out);
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    throw new FileFormatError(`The report could not be written to ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'Check that the directory exists and is writable, or pass another --out.');
  }
  return Buffer.byteLength(text);
}

/** Sensor counters as a report shows them (summed by the recording). */
export function lossFromStats(s: Pick<SensorStats, 'ringDrops' | 'queueDrops' | 'corruptFrames' | 'unsupportedKinds' | 'gaps'>): SensorLoss {
  return { ringDrops: s.ringDrops, queueDrops: s.queueDrops, corruptFrames: s.corruptFrames, unsupportedKinds: [...s.unsupportedKinds], gaps: s.gaps.map((g) => [g[0], g[1]]) };
}
