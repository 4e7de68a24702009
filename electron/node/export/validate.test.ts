// A crafted recording's findings are checked against the model, and the renderers escape what they are given anyway.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../common/model';
import { renderReport } from './index';
import { sampleReportInput } from './sample';
import { checkFindings, rejectedSentence } from './validate';

const META = '<meta http-equiv=refresh content="0;url=https://evil.example/">';

function crafted(): Finding[] {
  const [a, b] = sampleReportInput().findings;
  return [{ ...a, severity: META as Finding['severity'] }, b, { ...b, status: 'closed<script>' as Finding['status'] }, { ...b, mitre: ['T1059"><img src=x>'] }];
}

describe('findings from a file', () => {
  it('keeps valid findings and names each invalid one with its field and value', () => {
    const { findings, rejected } = checkFindings(crafted(), 'evil.glasshouse');
    expect(findings).toHaveLength(1);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]).toMatch(/^finding 1 \(rule ".+"\) in evil\.glasshouse: severity "<meta http-equiv=refresh/);
    expect(rejected[1]).toMatch(/^finding 3 .*: status "closed<script>" is not valid/);
    expect(rejected[2]).toMatch(/^finding 4 .*: mitre\.0 /);
    expect(rejectedSentence(rejected)).toMatch(/^3 findings left out because the file does not match the Glasshouse model: /);
    expect(checkFindings(sampleReportInput().findings).rejected).toEqual([]);
    expect(checkFindings([null, 7, 'x']).rejected).toHaveLength(3);
  });

  it('HTML, SVG and Markdown escape a crafted severity even when it reaches them', () => {
    const input = { ...sampleReportInput(), findings: crafted().slice(0, 1) };
    input.findings[0].evidence.ancestry = [{ pid: input.processes![0].tgid, exe: '/bin/sh', cmdline: 'sh' }];
    input.findings[0].container = { ...input.findings[0].container, id: input.processes![0].containerId ?? input.findings[0].container.id };
    const html = renderReport('html', input);
    expect(html).not.toMatch(/<meta http-equiv=refresh/i);
    expect(html).not.toMatch(/sev-[^a-z]|sev-(?!critical|high|medium|low|info)/);
    expect(html).toContain('&lt;META HTTP-EQUIV=REFRESH');
    // Markdown shows it as text: every < is backslash-escaped, so no HTML tag survives rendering.
    const md = renderReport('md', input);
    expect(md).not.toMatch(/(?<!\\)<meta/i);
    expect(md).toContain('\\<meta http-equiv=refresh');
  });
});
