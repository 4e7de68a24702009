// A crafted recording file (real SQLite, written through the store) rendered by the built CLI: a severity holding an
// HTML tag is left out with a sentence naming it, and nothing of it reaches the HTML or Markdown report as markup.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../electron/common/model';
import { sampleReportInput } from '../../../electron/node/export/sample';
import { RecordingStore } from '../../../electron/node/store/index';
import { runCli } from '../../support/cli';

const META = '<meta http-equiv=refresh content="0;url=https://evil.example/">';

describe('a crafted recording', () => {
  it('report and tickets leave out a finding whose severity is markup, and say so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-crafted-'));
    const file = join(dir, 'evil.glasshouse');
    const [a, b] = sampleReportInput().findings;
    const store = RecordingStore.create(file, { title: 'crafted' });
    store.saveFindings([{ ...a, severity: META as Finding['severity'] }, b]);
    store.close();

    for (const format of ['html', 'md'] as const) {
      const out = join(dir, `r.${format}`);
      const r = await runCli(['report', file, '--format', format, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/left out finding \d \(rule ".+"\) in evil\.glasshouse: severity "<meta http-equiv=refresh/);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toMatch(/(?<!\\)<meta http-equiv=refresh/i);
      expect(text).toContain(b.title);
      expect(text).toMatch(/1 finding left out because the file does not match the Glasshouse model/);
    }
    const t = await runCli(['tickets', file, '--to', 'github', '--repo', 'a/b', '--min-severity', 'info'], { env: { GLASSHOUSE_DATA_DIR: dir } });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/glasshouse tickets: left out finding \d .*severity "<meta/);
    expect(t.stdout).not.toContain('<meta');
  });
});
