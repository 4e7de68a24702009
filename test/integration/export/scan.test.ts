// `glasshouse scan` over real container runs: non-zero for malicious behaviour, zero for benign, right container and rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { scanCommand } from '../../../electron/cli/commands/scan';
import { RecordingStore } from '../../../electron/node/store';
import { renderReport } from '../../../electron/node/export';
import { reportInputFromRecording } from '../../../electron/node/export/fromRecording';
import type { CliIo } from '../../../electron/cli/command';
import { testLabelArgs, ensureBusyboxImage, removeTestContainers, testName, TEST_LABEL } from '../../support/docker';

const schema = JSON.parse(readFileSync(join(__dirname, '../../fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8'));

function io(cwd: string): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (b) => { o += b; });
  stderr.on('data', (b) => { e += b; });
  return { stdout, stderr, env: process.env, cwd, interrupted: new Promise(() => undefined), out: () => o, err: () => e };
}

let image: string;
let dir: string;
beforeAll(async () => { image = await ensureBusyboxImage(); dir = mkdtempSync(join(tmpdir(), 'gh-scan-')); });
afterAll(async () => { await removeTestContainers(); rmSync(dir, { recursive: true, force: true }); });

const dockerRun = (name: string, script: string) =>
  ['docker', 'run', '--rm', '--name', name, ...testLabelArgs(), image, 'sh', '-c', script];

describe('glasshouse scan', () => {
  it('fails on a bind shell, names the container and the rule, and writes valid SARIF', async () => {
    const name = testName('scan-bad');
    const c = io(dir);
    const out = join(dir, 'bad.sarif');
    const rec = join(dir, 'bad.glasshouse');
    const code = await scanCommand.run(['--container', name, '--out', out, '--record', rec, '--no-policy', '--settle', '500ms', '--',
      ...dockerRun(name, 'sleep 1; nc -l -p 4444 -e /bin/sh & sleep 2; echo finished')], c);
    expect(code, c.err()).toBe(1);
    expect(c.out()).toContain('finished'); // the command's own output is passed through
    expect(c.err()).toMatch(/failing because \d finding\(s\) are at or above high/);
    expect(c.err()).toMatch(/observed by the eBPF sensor/);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    expect(ajv.validate(schema, sarif), JSON.stringify(ajv.errors?.slice(0, 2))).toBe(true);
    const hit = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'Netcat remote code execution in container');
    expect(hit).toBeDefined();
    expect(hit.level).toBe('error');
    expect(hit.properties.container).toBe(name);
    expect(hit.locations[0].logicalLocations[0].name).toBe(name);
    expect(hit.properties.ancestry).toMatch(/sh\(\d+\) → nc\(\d+\)/);

    // The saved recording renders to the same finding through the report path.
    const store = RecordingStore.open(rec, { readonly: true });
    try {
      const input = reportInputFromRecording(store, { toolVersion: 'test' });
      const md = renderReport('md', input);
      expect(md).toContain(`Netcat remote code execution in container in ${name}`);
      expect(md).toContain('nc -l -p 4444 -e /bin/sh');
      expect(input.flows!.length + input.processes!.length).toBeGreaterThan(0);
      expect(input.processes!.some((p) => p.argv[0] === 'nc')).toBe(true);
      expect(ajv.validate(schema, JSON.parse(renderReport('sarif', input)))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('passes a benign run (exit 0) even with posture findings below the threshold', async () => {
    const name = testName('scan-ok');
    const c = io(dir);
    const code = await scanCommand.run(['--container', name, '--format', 'json', '--no-policy', '--settle', '500ms', '--',
      ...dockerRun(name, 'sleep 2; echo fine')], c);
    expect(code, c.err()).toBe(0);
    // The report went to stdout, so the command's output moved to stderr.
    const report = JSON.parse(c.out());
    expect(report.schema).toBe('glasshouse.report/v1');
    expect(report.containers.map((x: { name: string }) => x.name)).toEqual([name]);
    expect(report.findings.filter((f: { severity: string }) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect(report.findings.some((f: { source: string }) => f.source === 'posture')).toBe(true);
    expect(report.loss.observedBy).toBeUndefined(); // the eBPF sensor observed this run
    expect(c.err()).toMatch(/observed by the eBPF sensor/);
    expect(c.err()).toContain('fine');
  });

  it('enforces glasshouse.yaml: a process outside the allow-list fails the scan', async () => {
    const name = testName('scan-pol');
    const cwd = mkdtempSync(join(dir, 'repo-'));
    writeFileSync(join(cwd, 'glasshouse.yaml'), `version: 1\nservices:\n  ${name}:\n    processes: [sh, sleep]\n    severity: high\n`);
    const c = io(cwd);
    // --poll: the docker top fallback feeds the same state, rules and policy.
    const code = await scanCommand.run(['--container', name, '--format', 'json', '--poll', '--settle', '500ms', '--',
      ...dockerRun(name, 'sleep 1; tail -f /dev/null & sleep 2')], c);
    expect(code, c.err()).toBe(1);
    const report = JSON.parse(c.out());
    const pol = report.findings.filter((f: { source: string }) => f.source === 'policy');
    expect(pol.map((f: { ruleId: string; evidence: { path: string } }) => `${f.ruleId} ${f.evidence.path}`)).toEqual(['policy.process tail']);
    expect(pol[0].container.name).toBe(name);
    expect(report.loss.observedBy).toMatch(/docker top polling/);
  });

  it('explains bad input before running anything', async () => {
    const c = io(dir);
    await expect(scanCommand.run(['--fail-on', 'urgent', '--', 'true'], c)).rejects.toThrow('"urgent" is not a severity.');
    await expect(scanCommand.run(['--container', 'x'], c)).rejects.toThrow('No command to run was given.');
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nservices:\n  web:\n    writes: [tmp]\n');
    await expect(scanCommand.run(['--policy', join(dir, 'bad.yaml'), '--', 'true'], c)).rejects.toThrow(/bad.yaml:4: services.web.writes entry "tmp"/);
  });
});
