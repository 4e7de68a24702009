// Entry point of the exporters: pick a report sink by format, redact, render; ticket sinks live in ./tickets.
import { UserInputError } from '../../common/ipc/errors';
import type { ReportFormat, ReportInput, ReportSink } from './types';
import { REPORT_FORMATS } from './types';
import { sarifSink } from './sarif';
import { markdownSink } from './markdown';
import { htmlSink } from './html';
import { csvSink } from './csv';
import { jsonSink } from './json';
import { redactReportInput } from './redact';

export * from './types';
export { redactReportInput, redactString, summarizeRedactions } from './redact';

export const REPORT_SINKS: Readonly<Record<ReportFormat, ReportSink>> = {
  sarif: sarifSink, md: markdownSink, html: htmlSink, csv: csvSink, json: jsonSink,
};

/** Accepts the names people type ("markdown", "SARIF", "htm") and says which ones exist otherwise. */
export function parseReportFormat(name: string): ReportFormat {
  const n = name.trim().toLowerCase();
  const alias: Record<string, ReportFormat> = { markdown: 'md', htm: 'html', 'sarif-json': 'sarif' };
  const f = (alias[n] ?? n) as ReportFormat;
  if (!REPORT_FORMATS.includes(f)) {
    throw new UserInputError(`Unknown report format "${name}".`, `Use one of: ${REPORT_FORMATS.join(', ')}.`);
  }
  return f;
}

/** Guesses the format from an output file name, e.g. "out/report.sarif" → sarif. */
export function formatFromFileName(file: string): ReportFormat | undefined {
  const m = /\.([a-z]+)$/i.exec(file);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  if (ext === 'markdown') return 'md';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ReportFormat) : ext === 'htm' ? 'html' : undefined;
}

export interface RenderOptions {
  /** Default true. Turning it off is for local debugging only; the CLI never does. */
  redact?: boolean;
}

/** Redacts secrets from the evidence (recording what was removed), then renders with the chosen sink. */
export function renderReport(format: ReportFormat, input: ReportInput, opts: RenderOptions = {}): string {
  const prepared = opts.redact === false ? input : redactReportInput(input);
  return REPORT_SINKS[format].render(prepared);
}
