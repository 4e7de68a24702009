// `glasshouse report FILE`: summarise a recording (text or summary JSON), or render it as a report (SARIF, Markdown, HTML, CSV, versioned JSON).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError } from '../../common/ipc/errors';
import { GLASSHOUSE_VERSION } from '../../node/engine';
import { reportInputFromRecording } from '../../node/export/fromRecording';
import { chooseFormat, writeReport } from '../../node/export/write';
import type { EventKind, SensorStats } from '../../common/model/event';
import type { FileChange, Flow, ListeningSocket } from '../../common/model/process';
import { keyedFile, keyedFlow, keyedListening } from '../../common/state/keys';
import { SEVERITY_RANK, type Finding } from '../../common/model/finding';
import { RecordingStore } from '../../node/store/index';

const USAGE = `Usage: glasshouse report FILE.glasshouse [--format FORMAT] [--out FILE]

Summarises a recording, or renders it as a report to hand on (secrets in evidence are always redacted).
  --format text          a short human summary (default)
  --format json          the recording summary, machine-readable ("schema": "glasshouse.summary/v1"; fields below)
  --format sarif         SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps)
  --format md            Markdown
  --format html          one self-contained HTML page with the process tree and flow graph
  --format csv           one row per finding
  --format report-json   the exporters' versioned report ("schema": "glasshouse.report/v1"), as \`glasshouse scan\` writes
  --out FILE             write to FILE instead of stdout (the format follows its extension when --format is not given)

Summary JSON fields: schema, recording, containers[] (id, name, image), processes, files[], flows[], listening[],
events {total, byKind}, drops {ringDrops, queueDrops, corruptFrames, sourceDropped, unsaved, unsavedReasons, gaps,
unsupportedKinds, observerErrors, subscriberErrors, finished}, findings[] (rule, severity, mitre, container, evidence,
count, first, last, ...). unsaved counts events and rows that are not in the file (a row the file's schema rejected, or
everything after a write failure); unsavedReasons says why, per reason.`;

export const SUMMARY_SCHEMA = 'glasshouse.summary/v1';

export interface RecordingReport {
  schema: typeof SUMMARY_SCHEMA;
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
    ringDrops: number; queueDrops: number; corruptFrames: number; sourceDropped: number;
    /** Events and rows not in the file: rejected by its schema one by one, or all after a write failure. */
    unsaved: number;
    unsavedReasons: Record<string, number>;
    gaps: Array<{ start: number; end: number; reason?: string }>; unsupportedKinds: EventKind[];
    /** Exceptions of the rules/findings observer and of live subscribers during the capture (caught; capture went on). */
    observerErrors: number;
    subscriberErrors: number;
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
  let capture: { sourceDropped?: number; source?: string } = {};
  try {
    capture = JSON.parse(store.metaValue('capture') ?? '{}');
  } catch { /* older or partial recordings */ }
  const lost = store.recordedLoss();
  return {
    schema: SUMMARY_SCHEMA,
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
    // Rows of a recording made before rows carried keys get the keys their tables would have given them.
    files: store.files('/').map(keyedFile),
    flows: store.flows().map(keyedFlow),
    listening: store.listening().map(keyedListening),
    events: { total: info.events, byKind: info.eventsByKind },
    drops: {
      ringDrops: last?.ringDrops ?? 0, queueDrops: last?.queueDrops ?? 0, corruptFrames: last?.corruptFrames ?? 0,
      sourceDropped: capture.sourceDropped ?? 0, unsaved: lost.unsaved, unsavedReasons: lost.unsavedReasons, gaps: store.gaps(),
      unsupportedKinds: last?.unsupportedKinds ?? [], observerErrors: lost.observerErrors, subscriberErrors: lost.subscriberErrors,
      finished: info.meta.finishedAt !== undefined,
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
    ...Object.entries(r.drops.unsavedReasons).map(([why, n]) => `  unsaved: ${n} × ${why}`),
    ...(r.drops.observerErrors || r.drops.subscriberErrors
      ? [`errors caught during capture: ${r.drops.observerErrors} in the rules, ${r.drops.subscriberErrors} in live views (findings may be incomplete)`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function writeSummary(file: string, body: string): void {
  try {
    writeFileSync(file, body);
  } catch (e) {
    throw new UserInputError(`The summary could not be written to ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'Check that the directory exists and is writable, or pass another --out.');
  }
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Summarise a recording, or render it as SARIF, Markdown, HTML, CSV or JSON',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('report', argv, { format: { type: 'string' }, out: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UserInputError('Give exactly one recording file.', 'Run `glasshouse report FILE.glasshouse --format json`.');
    const asked = values.format?.trim().toLowerCase();
    // text and json are the recording summary; everything else goes through the exporters (report-json is theirs).
    const summary = asked === 'text' || asked === 'json' || (!asked && !values.out) ? (asked ?? 'text') : undefined;
    const exportFormat = summary ? undefined : asked === 'report-json' ? 'json' : chooseFormat(asked, values.out);
    const store = RecordingStore.open(resolve(io.cwd, positionals[0]), { readonly: true });
    try {
      if (exportFormat) {
        const input = reportInputFromRecording(store, { toolVersion: GLASSHOUSE_VERSION });
        for (const s of input.skipped ?? []) io.stderr.write(`glasshouse report: left out ${s}.\n`);
        const bytes = writeReport(exportFormat, input, values.out, io.stdout, io.cwd);
        if (values.out) io.stderr.write(`glasshouse report: ${asked ?? exportFormat} report written to ${values.out} (${bytes} bytes).\n`);
      } else {
        const report = buildReport(store);
        const body = summary === 'json' ? `${JSON.stringify(report, null, 2)}\n` : text(report);
        if (values.out) writeSummary(resolve(io.cwd, values.out), body);
        else io.stdout.write(body);
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
