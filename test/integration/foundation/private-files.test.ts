// Recordings and snapshots hold unredacted argv and container environments: the built CLI writes them 0600 in 0700
// folders, and the engine tightens a data dir an older version left world-readable.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, testLabelArgs } from '../../support/docker';

const mode = (p: string) => statSync(p).mode & 0o777;
const made: string[] = [];
afterAll(async () => { if (made.length) await docker(['rm', '-f', ...made]).catch(() => undefined); });

describe('private files', () => {
  it('a recording (and its SQLite side files) is 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-private-rec-'));
    chmodSync(dir, 0o755);
    const out = join(dir, 'run.glasshouse');
    const r = await runCli(['record', '--synthetic', '2000', '--out', out], { env: { GLASSHOUSE_DATA_DIR: join(dir, 'data') } });
    expect(r.code, r.stderr).toBe(0);
    for (const f of readdirSync(dir).filter((n) => n.startsWith('run.glasshouse'))) expect(mode(join(dir, f)), f).toBe(0o600);
  });

  it('the data dir becomes 0700 and old recordings 0600; a snapshot bundle is 0700 with 0600 files', async () => {
    await ensureBusyboxImage();
    const data = mkdtempSync(join(tmpdir(), 'gh-private-data-'));
    mkdirSync(join(data, 'recordings'), { mode: 0o755 });
    writeFileSync(join(data, 'recordings', 'old.glasshouse'), 'x', { mode: 0o644 });
    chmodSync(data, 0o755);
    chmodSync(join(data, 'recordings'), 0o755);
    const name = `gh-private-${process.pid}`;
    made.push((await docker(['run', '-d', '--name', name, ...testLabelArgs(), BUSYBOX_IMAGE, 'sleep', '600'])).trim());
    const out = join(data, 'snapshots', 'bundle');
    const r = await runCli(['snapshot', name, '--out', out], { env: { DOCKER_HOST: 'unix:///var/run/docker.sock', GLASSHOUSE_DATA_DIR: data }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, 'recordings'))).toBe(0o700);
    expect(mode(join(data, 'recordings', 'old.glasshouse'))).toBe(0o600);
    expect(mode(out)).toBe(0o700);
    const files = readdirSync(out);
    expect(files).toContain('manifest.json');
    for (const f of files) expect(mode(join(out, f)), f).toBe(0o600);
  });
});
