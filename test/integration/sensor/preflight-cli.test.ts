// `glasshouse helper preflight` on this machine: the real helper checks itself, and says what blocks it.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { engineSocket } from '../../support/docker';

describe('glasshouse helper preflight', () => {
  it('reports that the helper container can run here, with the capabilities it gets', async () => {
    const r = await runCli(['helper', 'preflight'], { env: { DOCKER_HOST: `unix://${engineSocket()}` }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mode\s+helper container$/m);
    expect(r.stdout).toMatch(/^BTF\s+yes/m);
    expect(r.stdout).toMatch(/^capabilities\s+.*SYS_PTRACE/m);
    expect(r.stdout).toContain('The sensor can run here.');
  });

  it('says what blocks local mode for an unprivileged user, and exits 1', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gh-nobody-'));
    chmodSync(home, 0o755);
    const r = await runCli(['helper', 'preflight', '--local'], { env: { HOME: home, DOCKER_HOST: 'unix:///tmp/gh-none.sock' }, uid: 65534, gid: 65534, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Local mode runs the helper as root, but this process is not root: run Glasshouse with sudo, or use container mode\./);
    expect(r.stderr).toMatch(/neither CAP_BPF nor CAP_SYS_ADMIN/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('refuses an unknown action with the usage', async () => {
    const r = await runCli(['helper', 'start']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown helper action "start"\. Use `glasshouse helper preflight` or `glasshouse helper run`\./);
  });
});
