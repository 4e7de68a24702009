// Small facts every exporter shares: severity scales, fingerprint labels, MITRE links, evidence lines.
import type { ContainerRef, ContainerSummary, Finding, Severity } from '../../common/model';
import { SEVERITIES, SEVERITY_RANK } from '../../common/model';
import type { ReportInput } from './types';

/** First 12 hex of the fingerprint: short enough for a label, long enough not to collide in one project. */
export function fp12(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-f]/gi, '').slice(0, 12).toLowerCase();
}

export function fingerprintLabel(fingerprint: string): string {
  return `glasshouse-fp-${fp12(fingerprint)}`;
}

/** GitHub code scanning reads security-severity as a CVSS-like score (integrations.md §5). */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', info: '0.1',
};

export const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note',
};

export function mitreUrl(technique: string): string | undefined {
  const m = /^T(\d{4})(?:\.(\d{3}))?$/.exec(technique.trim());
  if (!m) return undefined;
  return m[2] ? `https://attack.mitre.org/techniques/T${m[1]}/${m[2]}/` : `https://attack.mitre.org/techniques/T${m[1]}/`;
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.first - b.first || a.ruleId.localeCompare(b.ruleId),
  );
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

export function ancestryLine(f: Finding): string | undefined {
  const a = f.evidence.ancestry;
  if (!a?.length) return undefined;
  return a.map((p) => `${programName(p.exe, p.cmdline)}(${p.pid})`).join(' → ');
}

/** Multi-call binaries (busybox, toybox) run the applet named by argv[0]; the exe alone would say "busybox". */
export function programName(exe: string, cmdline: string): string {
  const b = basename(exe);
  if (b !== 'busybox' && b !== 'toybox') return b;
  const argv0 = cmdline.trim().split(/\s+/)[0];
  return argv0 ? basename(argv0) : b;
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) || path : path;
}

export function iso(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  return new Date(ms).toISOString();
}

/** The key a source location is looked up by: the compose service when known, else the container name. */
export function locationKey(f: Pick<Finding, 'composeService' | 'container'>): string[] {
  return [f.composeService, f.container.name].filter((x): x is string => !!x);
}

export function containerLabel(c: ContainerRef | ContainerSummary | Finding['container']): string {
  return `${c.name} (${c.image})`;
}

/** Totals a reader needs first: how many findings per severity, and whether the recording lost data. */
export function lossSentence(input: ReportInput): string | undefined {
  const l = input.loss;
  if (!l) return undefined;
  const parts: string[] = [];
  if (l.ringDrops) parts.push(`${l.ringDrops} events dropped in the kernel ring buffer`);
  if (l.queueDrops) parts.push(`${l.queueDrops} events dropped in the engine queue`);
  if (l.corruptFrames) parts.push(`${l.corruptFrames} corrupt frames skipped`);
  if (l.unsupportedKinds.length) {
    parts.push(l.observedBy
      ? `observed by ${l.observedBy}, which cannot see: ${l.unsupportedKinds.join(', ')}`
      : `not observable on this kernel: ${l.unsupportedKinds.join(', ')}`);
  }
  if (l.gaps.length) parts.push(`${l.gaps.length} sensor gap(s)`);
  return parts.length ? `Incomplete recording: ${parts.join('; ')}.` : 'No sensor loss was recorded.';
}

/** A short, single-line description of what the finding is about (exe, path or endpoint). */
export function evidenceKey(f: Finding): string {
  return f.evidence.endpoint ?? f.evidence.path ?? f.evidence.ancestry?.at(-1)?.exe ?? f.evidence.field ?? '';
}

/** A severity as a CSS class part: one of the model's names, whatever a crafted file held (text is escaped besides). */
export function severityClass(s: unknown): string {
  return typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s) ? s : 'info';
}
