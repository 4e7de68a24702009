// `glasshouse report FILE`: summarise a recording (containers, processes, files, flows, counts, loss) as JSON or text.
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError } from '../../common/ipc/errors';
import type { EventKind, SensorStats } from '../../common/model/event';
import type { FileChange, Flow, ListeningSocket } from '../../common/model/process';
import { SEVERITY_RANK, type Finding } from '../../common/model/finding';
import { RecordingStore } from '../../node/store/index';

const USAGE = `Usage: glasshouse report FILE.glasshouse [--format json|text]

Prints a summary of a recording: its containers, how many processes ran, the files they changed, the
network flows, event counts per kind and the loss counters (events the sensor could not deliver).
  --format json   machine-readable (stable field names; see below)
  --format text   a short human summary (default)

JSON fields: recording, containers[] (id, name, image), processes, files[], flows[], listening[],
events {total, byKind}, drops {ringDrops, queueDrops, corruptFrames, sourceDropped, unsaved, gaps,
unsupportedKinds}, findings[].`;

export interface RecordingReport {
  recording: {
    path: string; title?: string; createdAt: number; finishedAt?: number; stopReason?: string; schemaVersion: number;
    source?: string; firstEventTs?: number; lastEventTs?: number;
  };
  containers: Array<{ id: string; name: string; image: string; imageDigest?: string; composeProject?: string; composeService?: string; events: number }>;
  processes: number;
  files: FileChange[];
  flows: Flow[];
  listening: ListeningSocket[];
  events: { total: number; byKind: Partial<Record<EventKind, number>> };
  drops: {
    ringDrops: number; queueDrops: number; corruptFrames: number; sourceDropped: number; unsaved: number;
    gaps: Array<{ start: number; end: number; reason?: string }>; unsupportedKinds: EventKind[];
    /** False when the recording ended without being closed (crash, kill): the tail may be missing. */
    finished: boolean;
  };
  /** Runtime, posture and policy findings saved with the recording, most severe first. */
  findings: ReportFinding[];
}

/** A finding as `report --format json` prints it (the documented report shape). */
export interface ReportFinding {
  rule: string;
  title: string;
  source: Finding['source'];
  severity: Finding['severity'];
  mitre: string[];
  container: { id: string; name: string; image: string; imageDigest?: string };
  composeProject?: string;
  composeService?: string;
  evidence: Finding['evidence'];
  count: number;
  first: number;
  last: number;
  status: Finding['status'];
  fingerprint: string;
  why: string;
  fix: string;
}

export function reportFinding(f: Finding): ReportFinding {
  return {
    rule: f.ruleId, title: f.title, source: f.source, severity: f.severity, mitre: f.mitre,
    container: { id: f.container.id, name: f.container.name, image: f.container.image, ...(f.container.imageDigest ? { imageDigest: f.container.imageDigest } : {}) },
    ...(f.composeProject ? { composeProject: f.composeProject } : {}), ...(f.composeService ? { composeService: f.composeService } : {}),
    evidence: f.evidence, count: f.count, first: f.first, last: f.last, status: f.status, fingerprint: f.fingerprint, why: f.why, fix: f.fix,
  };
}

/** Builds the report from an open recording; shared by the CLI and anything else that summarises files. */
export function buildReport(store: RecordingStore): RecordingReport {
  const info = store.info();
  const stats = store.sensorStats();
  const last: SensorStats | undefined = stats[stats.length - 1];
  let capture: { sourceDropped?: number; unsaved?: number; source?: string } = {};
  try {
    capture = JSON.parse(store.metaValue('capture') ?? '{}');
  } catch { /* older or partial recordings */ }
  return {
    recording: {
      path: store.path, title: info.meta.title, createdAt: info.meta.createdAt, finishedAt: info.meta.finishedAt,
      stopReason: info.meta.stopReason, schemaVersion: info.meta.schemaVersion, source: info.meta.source,
      firstEventTs: info.firstTs, lastEventTs: info.lastTs,
    },
    containers: info.containers.map((c) => ({
      id: c.id, name: c.ref.name, image: c.ref.image, imageDigest: c.ref.imageDigest,
      composeProject: c.ref.composeProject, composeService: c.ref.composeService, events: c.events,
    })),
    processes: store.processCount(),
    files: store.files('/'),
    flows: store.flows(),
    listening: store.listening(),
    events: { total: info.events, byKind: info.eventsByKind },
    drops: {
      ringDrops: last?.ringDrops ?? 0, queueDrops: last?.queueDrops ?? 0, corruptFrames: last?.corruptFrames ?? 0,
      sourceDropped: capture.sourceDropped ?? 0, unsaved: capture.unsaved ?? 0, gaps: store.gaps(),
      unsupportedKinds: last?.unsupportedKinds ?? [], finished: info.meta.finishedAt !== undefined,
    },
    findings: store.listFindings().sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.first - b.first).map(reportFinding),
  };
}

function text(r: RecordingReport): string {
  const lines = [
    `${r.recording.path}${r.recording.title ? ` — ${r.recording.title}` : ''}`,
    `${r.events.total} events, ${r.processes} processes, ${r.files.length} changed paths, ${r.flows.length} flows, ${r.findings.length} findings`,
    ...r.containers.map((c) => `  container ${c.name} (${c.image || 'image unknown'}) ${c.id.slice(0, 12)}: ${c.events} events`),
    `events by kind: ${Object.entries(r.events.byKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `lost: ${r.drops.ringDrops} ring, ${r.drops.queueDrops} queue, ${r.drops.sourceDropped} slow consumer, ${r.drops.unsaved} unsaved; ${r.drops.gaps.length} gaps`
      + `${r.drops.finished ? '' : ' (recording was not closed cleanly: the last moments may be missing)'}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Summarise a recording (JSON or text)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('report', argv, { format: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UserInputError('Give exactly one recording file.', 'Run `glasshouse report FILE.glasshouse --format json`.');
    const format = values.format ?? 'text';
    if (format !== 'json' && format !== 'text') throw new UserInputError(`"${format}" is not a report format here.`, 'Use --format json or --format text.');
    const store = RecordingStore.open(resolve(io.cwd, positionals[0]), { readonly: true });
    try {
      const report = buildReport(store);
      io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : text(report));
    } finally {
      store.close();
    }
    return 0;
  },
};
