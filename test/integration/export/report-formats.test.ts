// `glasshouse report FILE --format ...` renders a real recording through the exporters; `--format json` stays the summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBusyboxImage, removeTestContainers, runContainer } from '../../support/docker';
import { cliInProcess } from '../../support/cli';
import { multitoolValidate, sarifSchemaValidator } from '../../support/sarif';

const dir = mkdtempSync(join(tmpdir(), 'gh-report-fmt-'));
beforeAll(async () => { await ensureBusyboxImage(); });
afterAll(async () => {
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (argv: string[]) => cliInProcess(argv, { cwd: dir });

describe('glasshouse report --format', () => {
  it('renders a recorded container as valid SARIF, Markdown and HTML naming it; json stays the versioned summary', async () => {
    const c = await runContainer({ cmd: ['sh', '-c', 'while true; do echo x > /tmp/x; ls / > /dev/null; sleep 0.3; done'] });
    const file = join(dir, 'rec.glasshouse');
    const rec = await cli(['record', '--container', c.name, '--duration', '3s', '--out', file]);
    expect(rec.code, rec.err).toBe(0);

    const sarif = await cli(['report', file, '--format', 'sarif']);
    expect(sarif.code, sarif.err).toBe(0);
    const doc = JSON.parse(sarif.out);
    const validate = sarifSchemaValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect((await multitoolValidate(dir, sarif.out)).filter((i) => i.level === 'error')).toEqual([]);
    // The busybox container runs as root without limits: posture findings name it.
    expect(doc.runs[0].results.length).toBeGreaterThan(0);
    expect(doc.runs[0].results.every((r: { properties: { container: string } }) => r.properties.container === c.name)).toBe(true);

    const md = await cli(['report', file, '--format', 'md']);
    expect(md.code, md.err).toBe(0);
    expect(md.out).toContain(c.name);
    const htmlFile = join(dir, 'out', 'report.html');
    const html = await cli(['report', file, '--out', htmlFile]); // format from the extension
    expect(html.code, html.err).toBe(0);
    const page = readFileSync(htmlFile, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain(c.name);

    const summary = JSON.parse((await cli(['report', file, '--format', 'json'])).out);
    expect(summary.schema).toBe('glasshouse.summary/v1');
    expect(summary.containers.map((x: { name: string }) => x.name)).toEqual([c.name]);
    expect(summary.findings[0]).toEqual(expect.objectContaining({ rule: expect.any(String), severity: expect.any(String), count: expect.any(Number) }));
    const versioned = JSON.parse((await cli(['report', file, '--format', 'report-json'])).out);
    expect(versioned.schema).toBe('glasshouse.report/v1');
    expect(versioned.containers.map((x: { name: string }) => x.name)).toEqual([c.name]);

    const bad = await cli(['report', file, '--format', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Unknown report format "pdf"');
  });
});
