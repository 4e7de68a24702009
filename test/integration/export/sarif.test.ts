// SARIF output checked by two real validators: Ajv against the SARIF 2.1.0 schema, and Microsoft's SARIF Multitool.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { renderReport } from '../../../electron/node/export';
import { sampleReportInput } from '../../../electron/node/export/sample';
import type { ReportInput } from '../../../electron/node/export';
import { multitoolValidate, sarifSchema } from '../../support/sarif';

const schema = sarifSchema;

describe('SARIF report', () => {
  let dir: string;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'gh-sarif-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, () => ReportInput]> = [
    ['the sample recording', sampleReportInput],
    ['no findings and no locations', () => ({ ...sampleReportInput(), findings: [], sourceLocations: undefined, loss: undefined })],
    ['findings without a compose location', () => ({ ...sampleReportInput(), sourceLocations: undefined })],
  ];

  for (const [name, make] of cases) {
    it(`is valid SARIF 2.1.0 for ${name} (Ajv + Multitool, no errors)`, async () => {
      const sarif = renderReport('sarif', make());
      const doc = JSON.parse(sarif);
      expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      const issues = await multitoolValidate(dir, sarif);
      expect(issues.filter((i) => i.level === 'error')).toEqual([]);
    });
  }

  it('has no Multitool warnings once the tool information URI is configured', async () => {
    const input = sampleReportInput();
    input.recording.toolInformationUri = 'https://example.invalid/glasshouse';
    expect(await multitoolValidate(dir, renderReport('sarif', input))).toEqual([]);
  });

  it('the validators catch a broken log (so the checks above can fail)', async () => {
    const doc = JSON.parse(renderReport('sarif', sampleReportInput()));
    delete doc.runs[0].results[0].message;
    doc.runs[0].results[1].level = 'fatal';
    expect(validate(doc)).toBe(false);
    const issues = await multitoolValidate(dir, JSON.stringify(doc));
    expect(issues.some((i) => i.level === 'error')).toBe(true);
  });

  it('carries the GitHub extras: help, security-severity, fingerprints, compose location, category', () => {
    const doc = JSON.parse(renderReport('sarif', sampleReportInput()));
    const runObj = doc.runs[0];
    expect(doc.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(runObj.automationDetails.id).toBe('glasshouse-runtime/rec-20250501');
    const rule = runObj.tool.driver.rules.find((r: { id: string }) => r.id === 'miner-pool-egress');
    expect(rule.help.text).toMatch(/Stop the container/);
    expect(rule.fullDescription.text.length).toBeLessThanOrEqual(1024);
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.properties.tags).toContain('external/mitre/T1496');
    expect(rule.helpUri).toBe('https://attack.mitre.org/techniques/T1496/');
    const res = runObj.results.find((r: { ruleId: string }) => r.ruleId === 'miner-pool-egress');
    expect(res.level).toBe('error');
    expect(res.partialFingerprints.primaryLocationLineHash).toBe('77aa00bb11cc:1');
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe('deploy/compose.yaml');
    expect(res.locations[0].physicalLocation.region.startLine).toBe(4);
    expect(res.locations[0].logicalLocations[0]).toEqual({ name: 'shop-web-1', fullyQualifiedName: 'docker://ci-runner/containers/shop-web-1', kind: 'resource' });
    const posture = runObj.results.find((r: { ruleId: string }) => r.ruleId === 'CIS-5.11');
    expect(posture.locations[0].physicalLocation).toBeUndefined(); // db has no known compose line
    expect(runObj.invocations[0].toolExecutionNotifications[0].message.text).toMatch(/12 events were dropped/);
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });
});
