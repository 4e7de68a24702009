import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../common/ipc/errors';
import { parseDockerHost, resolveEndpoint } from './endpoint';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'gh-home-'));
}

function addContext(h: string, name: string, host: string) {
  const id = createHash('sha256').update(name).digest('hex');
  const dir = join(h, '.docker', 'contexts', 'meta', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

describe('parseDockerHost', () => {
  it('understands unix, tcp, ssh and npipe endpoints', () => {
    expect(parseDockerHost('unix:///run/docker.sock', 'DOCKER_HOST')).toEqual({ socketPath: '/run/docker.sock' });
    expect(parseDockerHost('tcp://10.0.0.5:2375', 'DOCKER_HOST')).toEqual({ host: '10.0.0.5', port: 2375, protocol: 'http' });
    expect(parseDockerHost('tcp://[::1]:2375', 'DOCKER_HOST')).toEqual({ host: '::1', port: 2375, protocol: 'http' });
    expect(parseDockerHost('tcp://build-box', 'DOCKER_HOST')).toMatchObject({ port: 2375 });
    expect(parseDockerHost('ssh://me@box:2222', 'DOCKER_HOST')).toEqual({ protocol: 'ssh', host: 'box', port: 2222, username: 'me' });
    expect(parseDockerHost('npipe:////./pipe/docker_engine', 'DOCKER_HOST')).toEqual({ socketPath: '//./pipe/docker_engine' });
  });
  it('rejects malformed values with a sentence that names the variable and the fix', () => {
    for (const bad of ['localhost:2375', 'unix://relative.sock', 'tcp://', 'tcp://host:99999', 'ftp://x', '']) {
      const err = (() => { try { parseDockerHost(bad, 'DOCKER_HOST'); } catch (e) { return e; } })();
      expect(err, bad).toBeInstanceOf(UserInputError);
      expect((err as UserInputError).message).toContain('DOCKER_HOST');
      expect((err as UserInputError).hint).toMatch(/unix:\/\//);
    }
  });
});

describe('resolveEndpoint', () => {
  it('prefers DOCKER_HOST over everything', () => {
    const h = home();
    addContext(h, 'remote', 'tcp://1.2.3.4:2375');
    writeFileSync(join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    const e = resolveEndpoint({ env: { DOCKER_HOST: 'unix:///tmp/x.sock' }, home: h });
    expect(e).toMatchObject({ kind: 'env', url: 'unix:///tmp/x.sock' });
  });
  it('uses the current docker context from config.json, and DOCKER_CONTEXT over it', () => {
    const h = home();
    addContext(h, 'remote', 'tcp://1.2.3.4:2375');
    addContext(h, 'other', 'unix:///var/run/other.sock');
    writeFileSync(join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    expect(resolveEndpoint({ env: {}, home: h })).toMatchObject({ kind: 'context', contextName: 'remote', url: 'tcp://1.2.3.4:2375' });
    expect(resolveEndpoint({ env: { DOCKER_CONTEXT: 'other' }, home: h })).toMatchObject({ contextName: 'other', url: 'unix:///var/run/other.sock' });
  });
  it('explains a context that points nowhere', () => {
    const h = home();
    mkdirSync(join(h, '.docker'));
    writeFileSync(join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: 'ghost' }));
    expect(() => resolveEndpoint({ env: {}, home: h })).toThrow(/docker context "ghost".*does not exist/);
  });
  it('explains an unreadable config.json', () => {
    const h = home();
    mkdirSync(join(h, '.docker'));
    writeFileSync(join(h, '.docker', 'config.json'), '{not json');
    expect(() => resolveEndpoint({ env: {}, home: h })).toThrow(/not valid JSON/);
  });
  it('falls back to the default socket, then Podman', () => {
    const h = home();
    const only = (p: string) => (x: string) => x === p;
    expect(resolveEndpoint({ env: {}, home: h, exists: only('/var/run/docker.sock') })).toMatchObject({ kind: 'default', url: 'unix:///var/run/docker.sock' });
    expect(resolveEndpoint({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, home: h, exists: only('/run/user/1000/podman/podman.sock') }))
      .toMatchObject({ kind: 'podman', url: 'unix:///run/user/1000/podman/podman.sock' });
    // Nothing exists: report the default socket so the error names the usual place.
    expect(resolveEndpoint({ env: {}, home: h, exists: () => false })).toMatchObject({ kind: 'default', url: 'unix:///var/run/docker.sock' });
  });
});
