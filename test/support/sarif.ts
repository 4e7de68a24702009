// SARIF validation shared by tests: Ajv against the SARIF 2.1.0 schema fixture, and Microsoft's SARIF Multitool.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
// The schema file shipped inside @microsoft/sarif-multitool-linux 5.7.0 (draft 2020-12), copied verbatim.
export const sarifSchema = JSON.parse(readFileSync(join(root, 'test/fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8'));

function multitoolPath(): string {
  const candidates = [
    process.env.SARIF_MULTITOOL,
    join(root, 'node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool'),
    '/tmp/sarif-mt/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool',
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`SARIF Multitool not found (looked in ${candidates.join(', ')}): npm install @microsoft/sarif-multitool-linux@5.7.0`);
  }
  return found;
}

export interface Issue { ruleId: string; level: string; text: string }

/** Runs `Sarif.Multitool validate` and returns what it reported (errors and warnings). */
export async function multitoolValidate(dir: string, sarif: string): Promise<Issue[]> {
  const file = join(dir, `in-${Math.random().toString(36).slice(2)}.sarif`);
  const out = `${file}.validation.sarif`;
  writeFileSync(file, sarif);
  await run(multitoolPath(), ['validate', file, '--output', out, '--level', 'Error;Warning'], { timeout: 60_000 })
    .catch((e: { stdout?: string; stderr?: string }) => {
      // A non-zero exit means errors were found; the output log still lists them.
      if (!existsSync(out)) throw new Error(`SARIF Multitool failed: ${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
  const log = JSON.parse(readFileSync(out, 'utf8'));
  const rules = log.runs[0].tool.driver.rules ?? [];
  return (log.runs[0].results ?? []).map((r: { ruleId: string; ruleIndex?: number; level?: string; message: { id?: string; text?: string; arguments?: string[] } }) => ({
    ruleId: r.ruleId, level: r.level ?? 'warning', text: `${r.message.id ?? ''} ${(r.message.arguments ?? []).join(' | ')}`,
  }));
}


/** An Ajv validator for the SARIF 2.1.0 schema (errors on `.errors`). */
export function sarifSchemaValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(sarifSchema);
}
