// `glasshouse rules check` prints located errors and exits non-zero on them; valid files pass.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rulesCommand } from './rules';

async function run(argv: string[], cwd: string) {
  const out = new PassThrough(), err = new PassThrough();
  let stdout = '', stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await rulesCommand.run(argv, { stdout: out, stderr: err, env: {}, cwd, interrupted: new Promise(() => undefined) });
  return { code, stdout, stderr };
}

describe('glasshouse rules check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-rules-'));
  writeFileSync(join(dir, 'good.yaml'), `- list: ci_images\n  items: [ci-runner]\n- rule: Terminal shell in container\n  exceptions:\n    - name: ci\n      fields: container.image.repository\n      values: [ci_images]\n  override:\n    exceptions: append\n`);
  writeFileSync(join(dir, 'bad.yaml'), `- rule: Broken\n  desc: d\n  condition: evt.type=open and fd.name startswith\n  output: o\n  priority: ERROR\n`);

  it('passes a file that appends to the built-in pack', async () => {
    const r = await run(['check', 'good.yaml'], dir);
    expect(r.stdout).toMatch(/0 error\(s\)/);
    expect(r.code).toBe(0);
  });

  it('fails with file:line:col for a broken condition', async () => {
    const r = await run(['check', 'bad.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^bad\.yaml:3:\d+: error: rule "Broken": syntax error/m);
  });

  it('says when a file does not exist', async () => {
    await expect(run(['check', 'nope.yaml'], dir)).rejects.toThrow(/does not exist/);
  });
});
