// Self-contained HTML report: inline CSS with a hash-pinned CSP, inline SVG drawings, no scripts, no external URLs.
import { createHash } from 'node:crypto';
import type { Finding } from '../../common/model';
import type { ReportInput, ReportSink } from './types';
import { ancestryLine, countBySeverity, fp12, iso, lossSentence, severityClass, sortFindings } from './shared';
import { rejectedSentence } from './validate';
import { summarizeRedactions } from './redact';
import { esc, flowGraphSvg, processTreeSvg } from './svg';

const CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#fff;--card:#f5f7fa;--line:#c9d1dc;
--critical:#8b1e3f;--high:#c0392b;--medium:#d68910;--low:#2e86c1;--info:#7f8c8d}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#a3acbb;--bg:#14171c;--card:#1e232b;--line:#3a4250}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 6px}.muted,.note{color:var(--muted)}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:var(--card);padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
.counts td{text-align:center;font-size:18px}.finding{background:var(--card);border-left:4px solid var(--info);padding:10px 14px;margin:10px 0}
.finding.sev-critical{border-color:var(--critical)}.finding.sev-high{border-color:var(--high)}.finding.sev-medium{border-color:var(--medium)}.finding.sev-low{border-color:var(--low)}
.badge{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px;background:var(--info)}
.badge.sev-critical{background:var(--critical)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--medium)}.badge.sev-low{background:var(--low)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:var(--muted)}dd{margin:0}
.warn{border:1px solid var(--medium);padding:6px 10px}
svg{display:block;max-width:100%;height:auto;margin:8px 0}svg text{font:11px ui-monospace,Menlo,monospace;fill:var(--fg)}
svg .proc rect,svg .node rect{fill:var(--card);stroke:var(--line)}svg .proc.exited rect{stroke-dasharray:3 2}
svg .proc.sev-critical rect{stroke:var(--critical);stroke-width:2}svg .proc.sev-high rect{stroke:var(--high);stroke-width:2}
svg .proc.sev-medium rect{stroke:var(--medium);stroke-width:2}svg .proc.sev-low rect{stroke:var(--low);stroke-width:2}
svg .edge{fill:none;stroke:var(--line)}svg .flow{stroke:var(--line)}svg .flow.flagged{stroke:var(--high)}svg .flow.inbound{stroke-dasharray:4 3}
`.trim();

/** `style-src 'sha256-…'` pins the one stylesheet; nothing else (script, image, font, frame) may load. */
export function htmlCsp(css = CSS): string {
  const hash = createHash('sha256').update(css, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
}

function dl(rows: Array<[string, string | undefined]>): string {
  return `<dl>${rows.filter(([, v]) => v).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

const code = (s: string) => `<code>${esc(s)}</code>`;

function findingHtml(f: Finding, i: number): string {
  const cmdlines = f.evidence.ancestry?.map((p) => `${p.pid}  ${p.cmdline || p.exe}`).join('\n');
  const sev = severityClass(f.severity);
  return `<section class="finding sev-${sev}" id="f${i + 1}">`
    + `<h3><span class="badge sev-${sev}">${esc(String(f.severity).toUpperCase())}</span> ${esc(f.title)}</h3>`
    + dl([
      ['Rule', code(f.ruleId)],
      ['Container', `${code(f.container.name)} ${esc(f.container.image)}`],
      ['Compose', f.composeProject || f.composeService ? code(`${f.composeProject ?? ''}/${f.composeService ?? ''}`) : undefined],
      ['Seen', esc(`${f.count}× between ${iso(f.first)} and ${iso(f.last)}`)],
      ['Process tree', ancestryLine(f) ? code(ancestryLine(f)!) : undefined],
      ['Path', f.evidence.path ? code(f.evidence.path) : undefined],
      ['Endpoint', f.evidence.endpoint ? code(f.evidence.endpoint) : undefined],
      ['Field', f.evidence.field ? `${code(f.evidence.field)} = ${code(f.evidence.value ?? '')}` : undefined],
      ['MITRE ATT&CK', f.mitre.length ? esc(f.mitre.join(', ')) : undefined],
      ['Why', f.why ? esc(f.why) : undefined],
      ['Fix', f.fix ? esc(f.fix) : undefined],
      ['Fingerprint', code(`glasshouse-fp-${fp12(f.fingerprint)}`)],
      ['Status', f.status !== 'open' ? esc(f.status) : undefined],
    ])
    + (cmdlines ? `<pre>${esc(cmdlines)}</pre>` : '')
    + (f.evidence.output ? `<pre>${esc(f.evidence.output)}</pre>` : '')
    + '</section>';
}

export function renderHtml(input: ReportInput): string {
  const findings = sortFindings(input.findings);
  const counts = countBySeverity(findings);
  const r = input.recording;
  const title = `Glasshouse report${r.name ? `: ${r.name}` : ''}`;
  const loss = lossSentence(input);
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(`<p class="muted">Recorded ${esc(iso(r.startedAt))}${r.endedAt ? ` to ${esc(iso(r.endedAt))}` : ''}${r.host ? ` on ${code(r.host)}` : ''} by Glasshouse ${esc(r.toolVersion)}.</p>`);
  if (r.command?.length) body.push(`<p>Command: ${code(r.command.join(' '))}</p>`);
  body.push('<table class="counts"><tr><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Info</th></tr>'
    + `<tr><td>${counts.critical}</td><td>${counts.high}</td><td>${counts.medium}</td><td>${counts.low}</td><td>${counts.info}</td></tr></table>`);
  if (loss) body.push(`<p class="${input.loss && loss.startsWith('Incomplete') ? 'warn' : 'muted'}">${esc(loss)}</p>`);
  const skipped = rejectedSentence(input.skipped ?? []);
  if (skipped) body.push(`<p class="warn">${esc(skipped)}</p>`);
  body.push(`<p class="muted">${esc(summarizeRedactions(input.redactions))}</p>`);

  body.push('<h2>Containers</h2>');
  if (!input.containers.length) body.push('<p>No containers were watched.</p>');
  else {
    body.push('<table><tr><th>Container</th><th>Image</th><th>Compose</th><th>Findings</th></tr>'
      + input.containers.map((c) => {
        const n = findings.filter((f) => f.container.id === c.id || f.container.name === c.name).length;
        const compose = c.composeProject ? `${c.composeProject}/${c.composeService ?? ''}` : '';
        return `<tr><td>${code(c.name)}</td><td>${esc(c.image)}</td><td>${esc(compose)}</td><td>${n}</td></tr>`;
      }).join('') + '</table>');
  }

  body.push('<h2>Findings</h2>');
  body.push(findings.length ? findings.map(findingHtml).join('') : '<p>No findings.</p>');

  const procs = input.processes ?? [];
  if (procs.length) {
    body.push('<h2>Process trees</h2>');
    const byContainer = new Map<string, typeof procs>();
    for (const p of procs) {
      const k = p.containerId ?? 'host';
      byContainer.set(k, [...(byContainer.get(k) ?? []), p]);
    }
    for (const [cid, list] of byContainer) {
      const name = input.containers.find((c) => c.id === cid)?.name ?? (cid === 'host' ? 'host' : cid.slice(0, 12));
      body.push(`<h3>${esc(name)}</h3>${processTreeSvg(list, findings, `Process tree of ${name}`)}`);
    }
  }
  if (input.flows?.length) {
    body.push('<h2>Network flows</h2>');
    body.push(flowGraphSvg(input.flows, input.containers, findings));
  }
  if (input.redactions?.length) {
    body.push('<h2>Redactions</h2><table><tr><th>Kind</th><th>Where</th><th>Count</th></tr>'
      + input.redactions.map((n) => `<tr><td>${esc(n.kind)}</td><td>${code(n.where)}</td><td>${n.count}</td></tr>`).join('')
      + '</table>');
  }
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    + `<meta http-equiv="Content-Security-Policy" content="${esc(htmlCsp())}">`
    + '<meta name="viewport" content="width=device-width,initial-scale=1">'
    + '<meta name="referrer" content="no-referrer">'
    + `<title>${esc(title)}</title><style>${CSS}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

export const htmlSink: ReportSink = { format: 'html', extension: '.html', mediaType: 'text/html', render: renderHtml };
