// Report sinks: escaping, CSP, formula defusing, JSON schema conformance, and the facts each format must carry.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { renderReport, parseReportFormat, formatFromFileName } from './index';
import { csvCell, renderCsv } from './csv';
import { mdCode, mdEscape } from './markdown';
import { htmlCsp } from './html';
import { flowGraphSvg, layoutProcessTree } from './svg';
import { keyedFlow } from '../../common/state/keys';
import { sampleReportInput } from './sample';

const schema = JSON.parse(readFileSync(fileURLToPath(new URL('./schema/glasshouse-report.v1.schema.json', import.meta.url)), 'utf8'));

describe('JSON report', () => {
  const ajv = new Ajv({ allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it('validates against its versioned schema', () => {
    const doc = JSON.parse(renderReport('json', sampleReportInput()));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.schema).toBe('glasshouse.report/v1');
    expect(doc.summary.bySeverity).toEqual({ critical: 1, high: 1, medium: 1, low: 1, info: 0 });
  });

  it('the schema rejects a document with a bad severity', () => {
    const doc = JSON.parse(renderReport('json', sampleReportInput()));
    doc.findings[0].severity = 'urgent';
    expect(validate(doc)).toBe(false);
  });
});

describe('CSV report', () => {
  it('quotes per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('plain')).toBe('plain');
  });

  it('has one header row and one CRLF row per finding with the same column count', () => {
    const csv = renderCsv(sampleReportInput());
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(5);
    expect(lines[0].startsWith('severity,rule_id,title')).toBe(true);
    // The planted =HYPERLINK title must not start a cell.
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""x"") write outside allowed paths"`);
  });
});

describe('Markdown report', () => {
  it('escapes markup in evidence and survives backticks in code', () => {
    expect(mdEscape('<img src=x onerror=alert(1)> *bold* [l](u) |')).toBe('\\<img src=x onerror=alert(1)\\> \\*bold\\* \\[l\\](u) \\|');
    expect(mdCode('a`b')).toBe('``a`b``');
    const md = renderReport('md', sampleReportInput());
    expect(md).toContain('### 1. [CRITICAL] Connection to a mining-pool port — shop-web-1 (nginx:1.25)');
    expect(md).toContain('[T1496](https://attack.mitre.org/techniques/T1496/)');
    expect(md).toContain('Incomplete recording: 12 events dropped');
    // Evidence appears raw only inside code spans/blocks, where Markdown shows it literally.
    const prose = md.replace(/```[\s\S]*?```/g, '').replace(/(`+)[\s\S]*?\1/g, '');
    expect(prose).not.toMatch(/<[a-z]/i);
    expect(md).toContain('\n412  sh -c "echo <script>alert(1)</script> | tee /tmp/x"');
  });
});

describe('HTML report', () => {
  const html = renderReport('html', sampleReportInput());

  it('is self-contained: no scripts, no external resources, a CSP that pins the one stylesheet', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).toContain(`content="${htmlCsp().replace(/'/g, '&#39;')}"`);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    expect(htmlCsp(css)).toBe(htmlCsp());
  });

  it('escapes evidence so planted markup is text', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('draws the process tree and the flow graph, marking the offending process and flow', () => {
    expect(html).toMatch(/<svg class="tree"[^>]*aria-label="Process tree of shop-web-1"/);
    expect(html).toContain('xmrig (977)');
    expect(html).toMatch(/<g class="proc sev-critical">/);
    expect(html).toMatch(/<svg class="flows"/);
    expect(html).toMatch(/<line class="flow flagged"/);
  });
});

describe('flow graph', () => {
  it('flags the flow a finding\'s evidence names by key, not every flow to the same client', () => {
    const cid = 'a'.repeat(64);
    const inbound = (localPort: number) => keyedFlow({ containerId: cid, direction: 'inbound', proto: 'tcp', remoteAddr: '172.17.0.1', remotePort: 0, localPort, count: 1, failures: 0, first: 1, last: 2, exes: ['/bin/nc'] });
    const [web, shell] = [inbound(80), inbound(4444)];
    const input = sampleReportInput();
    const finding = { ...input.findings[0], evidence: { events: [], endpoint: '172.17.0.1:0', flowKey: shell.key } };
    const svg = flowGraphSvg([web, shell], input.containers, [finding]);
    expect(svg.match(/<line class="flow[^"]*"/g)).toEqual(['<line class="flow inbound"', '<line class="flow flagged inbound"']);
  });
});

describe('process tree layout', () => {
  it('puts a parent between its children and survives a parent cycle', () => {
    const p = (key: string, parentKey?: string, start = 0) => ({ key, parentKey, tgid: Number(key), ppid: 0, exe: `/bin/${key}`, argv: [], uid: 0, comm: key, start, lineage: [] });
    const { roots, rows } = layoutProcessTree([p('1'), p('2', '1', 1), p('3', '1', 2), p('4', '3', 3)]);
    expect(rows).toBe(2);
    expect(roots[0].row).toBe(0.5);
    const cyc = layoutProcessTree([p('5', '6'), p('6', '5')]);
    expect(cyc.rows).toBe(0); // both are children of each other: nothing is a root, nothing hangs
  });
});

describe('format names', () => {
  it('accepts aliases and explains unknown ones', () => {
    expect(parseReportFormat('Markdown')).toBe('md');
    expect(formatFromFileName('out/x.sarif')).toBe('sarif');
    expect(() => parseReportFormat('pdf')).toThrow('Unknown report format "pdf".');
    try { parseReportFormat('pdf'); } catch (e) { expect((e as { hint?: string }).hint).toBe('Use one of: sarif, json, md, html, csv.'); }
  });
});

describe('compose locations', async () => {
  const { locateComposeServices } = await import('./locations');
  it('finds the line of each service key and ignores broken files', () => {
    const text = 'name: shop\nservices:\n  web:\n    image: nginx\n  db:\n    image: postgres\n';
    expect(locateComposeServices(text, 'compose.yaml')).toEqual({
      web: { uri: 'compose.yaml', startLine: 3 }, db: { uri: 'compose.yaml', startLine: 5 },
    });
    expect(locateComposeServices('services: [oops', 'c.yaml')).toEqual({});
  });

  it('says when the compose file cannot be read, does not parse or has no services, and locates a good one', async () => {
    const { locateComposeFile } = await import('./locations');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(join(tmpdir(), 'gh-loc-'));
    writeFileSync(join(d, 'bad.yaml'), 'services:\n  web:\n    image: [unclosed\n');
    writeFileSync(join(d, 'none.yaml'), 'volumes: {}\n');
    writeFileSync(join(d, 'good.yaml'), 'services:\n  web:\n    image: x\n');
    expect(locateComposeFile(join(d, 'missing.yaml'), d).problem).toMatch(/cannot read the compose file .*missing\.yaml \(ENOENT\)/);
    expect(locateComposeFile(join(d, 'bad.yaml'), d).problem).toMatch(/bad\.yaml:\d+:\d+ does not parse/);
    expect(locateComposeFile(join(d, 'none.yaml'), d).problem).toMatch(/has no services/);
    expect(locateComposeFile(join(d, 'good.yaml'), d)).toEqual({ locations: { web: { uri: 'good.yaml', startLine: 2 } } });
  });
});

describe('process names in evidence', async () => {
  const { programName } = await import('./shared');
  it('names busybox applets by argv[0]', () => {
    expect(programName('/bin/busybox', 'nc -l -p 4444')).toBe('nc');
    expect(programName('/usr/sbin/nginx', 'nginx: master process')).toBe('nginx');
  });
});
