// CSV of findings: RFC 4180 quoting, and cells that a spreadsheet would run as a formula are defused.
import type { ReportInput, ReportSink } from './types';
import { ancestryLine, fp12, iso, sortFindings } from './shared';

/**
 * A spreadsheet treats a cell starting with = + - @ (or tab/CR, which some strip first) as a formula,
 * so evidence like `=HYPERLINK(...)` could run on open (OWASP "CSV injection"). A leading quote makes it text.
 */
export function defuseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** RFC 4180: quote when the cell holds a comma, quote, CR or LF; double inner quotes. */
export function csvCell(value: unknown): string {
  const s = defuseFormula(value === undefined || value === null ? '' : String(value));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'severity', 'rule_id', 'title', 'source', 'container', 'image', 'compose_project', 'compose_service',
  'count', 'first_seen', 'last_seen', 'process_tree', 'path', 'endpoint', 'field', 'value', 'mitre', 'output', 'why',
  'fix', 'status', 'fingerprint',
] as const;

export function renderCsv(input: ReportInput): string {
  const rows = sortFindings(input.findings).map((f) => [
    f.severity, f.ruleId, f.title, f.source, f.container.name, f.container.image, f.composeProject ?? '',
    f.composeService ?? '', f.count, iso(f.first), iso(f.last), ancestryLine(f) ?? '', f.evidence.path ?? '',
    f.evidence.endpoint ?? '', f.evidence.field ?? '', f.evidence.value ?? '', f.mitre.join(' '), f.evidence.output ?? '', f.why, f.fix,
    f.status, `glasshouse-fp-${fp12(f.fingerprint)}`,
  ]);
  // CRLF line ends per RFC 4180.
  return [CSV_COLUMNS as readonly string[], ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export const csvSink: ReportSink = { format: 'csv', extension: '.csv', mediaType: 'text/csv', render: renderCsv };
