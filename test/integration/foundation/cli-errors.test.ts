// Bad Docker configuration gives one clear sentence from the CLI — never a stack trace — and a non-zero exit.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('glasshouse status (real dockerd)', () => {
  it('names the engine it reaches', async () => {
    const r = await runCli(['status'], { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Docker .* \(API 1\.\d+, linux\/\w+\) at unix:\/\/\/var\/run\/docker\.sock — from env\./);
  });

  it('unreachable engine', async () => {
    const r = await runCli(['status'], { env: { DOCKER_HOST: 'unix:///tmp/gh-no-such-docker.sock' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Docker engine not reachable at unix:///tmp/gh-no-such-docker.sock. Is Docker running? Start it (sudo systemctl start docker, or open Docker Desktop), or set DOCKER_HOST to use another engine.\n');
  });

  it('malformed DOCKER_HOST', async () => {
    const r = await runCli(['status'], { env: { DOCKER_HOST: 'localhost:2375' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^DOCKER_HOST is set to "localhost:2375", which is not a Docker endpoint\. Use unix:\/\//);
    noStack(r.stderr);
  });

  it('a docker context that points nowhere', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gh-ctx-'));
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'ghost' }));
    const r = await runCli(['status'], { env: { HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The docker context "ghost" .* does not exist/);
    // A context whose endpoint is dead is "not reachable", naming the context's URL.
    const id = createHash('sha256').update('dead').digest('hex');
    mkdirSync(join(home, '.docker', 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(home, '.docker', 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Endpoints: { docker: { Host: 'unix:///tmp/gh-dead.sock' } } }));
    const r2 = await runCli(['status'], { env: { HOME: home, DOCKER_CONTEXT: 'dead' } });
    expect(r2.stderr).toMatch(/^Docker engine not reachable at unix:\/\/\/tmp\/gh-dead\.sock\./);
  });

  it('permission denied on the socket', async () => {
    // Root bypasses socket permissions, so ask as an unprivileged user (nobody) with a home it can read.
    const home = mkdtempSync(join(tmpdir(), 'gh-nobody-'));
    chmodSync(home, 0o755);
    const r = await runCli(['status'], { env: { HOME: home, DOCKER_HOST: 'unix:///var/run/docker.sock' }, uid: 65534, gid: 65534 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock\. Add your user to the "docker" group/);
  });

  it('usage errors', async () => {
    const r = await runCli(['serve', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('glasshouse serve: "abc" is not a TCP port. Use a number from 1 to 65535 (0 picks a free one).\n');
    const u = await runCli(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe('glasshouse record into a folder it may not write', () => {
  it('names the folder and the permission, exits 1, and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-rootonly-'));
    chmodSync(dir, 0o755); // root's; the CLI runs as nobody
    const out = join(dir, 'x.glasshouse');
    const r = await runCli(['record', '--synthetic', '10', '--out', out], { env: { HOME: tmpdir() }, uid: 65534, gid: 65534 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`glasshouse record: Glasshouse may not write in ${dir} (permission denied, EACCES), so recording ${out} cannot be created. `
      + `Make the folder writable for this user (for example \`chown $(id -u) ${dir}\`), or record somewhere you own (\`--out\`, or GLASSHOUSE_DATA_DIR for the app).\n`);
    noStack(r.stderr);
  });
});
