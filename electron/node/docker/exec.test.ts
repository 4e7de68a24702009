import { describe, expect, it } from 'vitest';
import { mayKillExecPid } from './exec';

const ID = 'a'.repeat(64);
const inContainer = () => `0::/system.slice/docker-${ID}.scope\n`;
const hostProc = () => '0::/user.slice/user-0.slice/session-1.scope\n';

describe('mayKillExecPid', () => {
  it('kills only a local engine pid whose cgroup is the container\'s', () => {
    expect(mayKillExecPid({ socketPath: '/var/run/docker.sock' }, 4242, ID, inContainer)).toBe(true);
  });
  it('refuses a pid of an unrelated host process (Docker Desktop / Podman machine VM pid numbers)', () => {
    expect(mayKillExecPid({ socketPath: '/home/u/.docker/desktop/docker.sock' }, 4242, ID, hostProc)).toBe(false);
    expect(mayKillExecPid({ socketPath: '/var/run/docker.sock' }, 4242, ID, () => undefined)).toBe(false);
  });
  it('refuses a remote engine without even reading /proc', () => {
    const never = () => { throw new Error('read /proc for a remote engine'); };
    expect(mayKillExecPid({ host: 'build.example', socketPath: undefined }, 4242, ID, never)).toBe(false);
    expect(mayKillExecPid({}, 4242, ID, never)).toBe(false);
  });
  it('refuses pid 1 and a malformed container id', () => {
    expect(mayKillExecPid({ socketPath: '/var/run/docker.sock' }, 1, ID, inContainer)).toBe(false);
    expect(mayKillExecPid({ socketPath: '/var/run/docker.sock' }, 4242, 'abc', inContainer)).toBe(false);
  });
});
