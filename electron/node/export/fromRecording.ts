// Turns a saved recording (the store's read API) into a ReportInput, so `glasshouse report FILE --format sarif|md|…` works.
import type { ContainerRef, EventKind, FileChange, Finding, Flow, ProcessNode, SensorStats } from '../../common/model';
import type { ReportInput } from './types';
import { keyedFile, keyedFlow } from '../../common/state/keys';
import { checkFindings } from './validate';

/** The part of RecordingStore (electron/node/store) a report needs; structural, so export does not depend on SQLite. */
export interface RecordingReader {
  readonly path: string;
  info(): {
    meta: { title?: string; createdAt: number; finishedAt?: number; createdBy?: string; source?: string };
    firstTs?: number;
    lastTs?: number;
    containers: Array<{ id: string; ref: ContainerRef }>;
  };
  processes(containerId?: string): ProcessNode[];
  flows(): Flow[];
  files(prefix?: string): FileChange[];
  listFindings(): Finding[];
  sensorStats(): SensorStats[];
  gaps(): Array<{ start: number; end: number; reason?: string }>;
}

export function reportInputFromRecording(r: RecordingReader, opts: { toolVersion: string; host?: string }): ReportInput {
  const info = r.info();
  const stats = r.sensorStats();
  const last = stats[stats.length - 1];
  const unsupported = new Set<EventKind>(stats.flatMap((s) => s.unsupportedKinds));
  const base = r.path.split('/').pop() ?? r.path;
  const { findings, rejected } = checkFindings(r.listFindings(), base);
  return {
    findings,
    ...(rejected.length ? { skipped: rejected } : {}),
    containers: info.containers.map((c) => ({ ...c.ref, id: c.id })),
    processes: r.processes(),
    // A recording made before rows carried keys gets the keys its tables would have given them.
    flows: r.flows().map(keyedFlow),
    fileChanges: r.files('/').map(keyedFile),
    recording: {
      id: base.replace(/\.[^.]+$/, ''),
      name: info.meta.title ?? base,
      startedAt: info.firstTs ?? info.meta.createdAt,
      endedAt: info.meta.finishedAt ?? info.lastTs,
      host: opts.host,
      toolVersion: opts.toolVersion,
    },
    // Counters in a recording are cumulative per helper run: the last sample is the total.
    loss: {
      ringDrops: last?.ringDrops ?? 0,
      queueDrops: last?.queueDrops ?? 0,
      corruptFrames: last?.corruptFrames ?? 0,
      unsupportedKinds: [...unsupported],
      gaps: r.gaps().map((g) => [g.start, g.end]),
      ...(info.meta.source && /poll/i.test(info.meta.source) ? { observedBy: info.meta.source } : {}),
    },
  };
}
