// Versioned JSON report; its shape is pinned by schema/glasshouse-report.v1.schema.json.
import type { ReportInput, ReportSink } from './types';
import { countBySeverity, sortFindings } from './shared';

/** Bump the suffix (and add a new schema file) when a field changes meaning or is removed; adding is fine. */
export const JSON_REPORT_SCHEMA = 'glasshouse.report/v1';

export function renderJson(input: ReportInput): string {
  const findings = sortFindings(input.findings);
  const doc = {
    schema: JSON_REPORT_SCHEMA,
    recording: input.recording,
    summary: { total: findings.length, bySeverity: countBySeverity(findings) },
    containers: input.containers,
    findings,
    processes: input.processes ?? [],
    flows: input.flows ?? [],
    fileChanges: input.fileChanges ?? [],
    loss: input.loss ?? null,
    redactions: input.redactions ?? [],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const jsonSink: ReportSink = { format: 'json', extension: '.json', mediaType: 'application/json', render: renderJson };
