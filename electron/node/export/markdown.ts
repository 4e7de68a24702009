// Markdown report for pull requests, wikis and CI summaries (GitHub-flavoured; every piece of evidence escaped).
import type { Finding } from '../../common/model';
import type { ReportInput, ReportSink } from './types';
import {
  ancestryLine, containerLabel, countBySeverity, fp12, iso, lossSentence, mitreUrl, sortFindings,
} from './shared';
import { summarizeRedactions } from './redact';
import { rejectedSentence } from './validate';

/** Escapes text so Markdown/HTML in evidence is shown, never interpreted. */
export function mdEscape(s: string): string {
  return s
    .replace(/[\\`*_[\]|<>~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks in the content. */
export function mdCode(s: string): string {
  const one = s.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || one === '' ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

/** A fenced block that survives fences in the content. */
export function mdBlock(s: string, lang = 'text'): string {
  const longest = Math.max(2, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${s}\n${fence}`;
}

export function mitreMarkdown(ids: string[]): string {
  return ids.map((t) => (mitreUrl(t) ? `[${mdEscape(t)}](${mitreUrl(t)})` : mdEscape(t))).join(', ');
}

/** Evidence of one finding as Markdown lines; shared with the GitHub and GitLab ticket bodies. */
export function findingEvidenceMarkdown(f: Finding): string[] {
  const out: string[] = [];
  const line = (k: string, v: string) => out.push(`- **${k}:** ${v}`);
  line('Rule', mdCode(f.ruleId));
  line('Severity', mdEscape(String(f.severity)));
  line('Container', `${mdCode(f.container.name)} (${mdCode(f.container.image)})`);
  if (f.composeProject || f.composeService) line('Compose', mdCode(`${f.composeProject ?? ''}/${f.composeService ?? ''}`));
  line('Seen', `${f.count}× between ${iso(f.first)} and ${iso(f.last)}`);
  const a = ancestryLine(f);
  if (a) line('Process tree', mdCode(a));
  if (f.evidence.path) line('Path', mdCode(f.evidence.path));
  if (f.evidence.endpoint) line('Endpoint', mdCode(f.evidence.endpoint));
  if (f.evidence.field) line('Field', `${mdCode(f.evidence.field)} = ${mdCode(f.evidence.value ?? '')}`);
  if (f.mitre.length) line('MITRE ATT&CK', mitreMarkdown(f.mitre));
  if (f.why) line('Why it matters', mdEscape(f.why));
  if (f.fix) line('Fix', mdEscape(f.fix));
  const cmdlines = f.evidence.ancestry?.map((p) => `${p.pid}  ${p.cmdline || p.exe}`);
  if (cmdlines?.length) out.push('', 'Command lines:', '', mdBlock(cmdlines.join('\n')));
  if (f.evidence.output) out.push('', 'Rule output:', '', mdBlock(f.evidence.output));
  return out;
}

export function renderMarkdown(input: ReportInput): string {
  const findings = sortFindings(input.findings);
  const counts = countBySeverity(findings);
  const r = input.recording;
  const out: string[] = [];
  out.push(`# Glasshouse report${r.name ? `: ${mdEscape(r.name)}` : ''}`, '');
  out.push(`Recorded ${iso(r.startedAt)}${r.endedAt ? ` to ${iso(r.endedAt)}` : ''}${r.host ? ` on ${mdCode(r.host)}` : ''} by Glasshouse ${mdEscape(r.toolVersion)}.`);
  if (r.command?.length) out.push('', `Command: ${mdCode(r.command.join(' '))}`);
  out.push('');
  out.push('| Critical | High | Medium | Low | Info |', '|---:|---:|---:|---:|---:|');
  out.push(`| ${counts.critical} | ${counts.high} | ${counts.medium} | ${counts.low} | ${counts.info} |`, '');
  const loss = lossSentence(input);
  if (loss) out.push(`> ${mdEscape(loss)}`, '');
  const skipped = rejectedSentence(input.skipped ?? []);
  if (skipped) out.push(`> ${mdEscape(skipped)}`, '');
  out.push(`> ${mdEscape(summarizeRedactions(input.redactions))}`, '');

  out.push('## Containers', '');
  if (!input.containers.length) out.push('No containers were watched.', '');
  else {
    out.push('| Container | Image | Compose | Findings |', '|---|---|---|---:|');
    for (const c of input.containers) {
      const n = findings.filter((f) => f.container.id === c.id || f.container.name === c.name).length;
      const compose = 'composeProject' in c && c.composeProject ? `${c.composeProject}/${c.composeService ?? ''}` : '';
      out.push(`| ${mdEscape(c.name)} | ${mdEscape(c.image)} | ${mdEscape(compose)} | ${n} |`);
    }
    out.push('');
  }

  out.push('## Findings', '');
  if (!findings.length) out.push('No findings.', '');
  findings.forEach((f, i) => {
    out.push(`### ${i + 1}. [${mdEscape(String(f.severity).toUpperCase())}] ${mdEscape(f.title)} — ${mdEscape(containerLabel(f.container))}`, '');
    out.push(...findingEvidenceMarkdown(f));
    out.push('', `Fingerprint: ${mdCode(`glasshouse-fp-${fp12(f.fingerprint)}`)}${f.status !== 'open' ? ` · status: ${f.status}` : ''}`, '');
  });

  if (input.redactions?.length) {
    out.push('## Redactions', '', '| Kind | Where | Count |', '|---|---|---:|');
    for (const n of input.redactions) out.push(`| ${mdEscape(n.kind)} | ${mdCode(n.where)} | ${n.count} |`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

export const markdownSink: ReportSink = {
  format: 'md', extension: '.md', mediaType: 'text/markdown', render: renderMarkdown,
};
