import { describe, expect, it } from 'vitest';
import { DockerUnavailableError, PermissionDeniedError } from '../../common/ipc/errors';
import { compareApiVersions, explainDockerError } from './connection';
import { demuxLogs } from './containers';

describe('explainDockerError', () => {
  const url = 'unix:///var/run/docker.sock';
  it('says what happened and what to do for each way the engine can be missing', () => {
    const gone = explainDockerError(Object.assign(new Error('x'), { code: 'ENOENT' }), url);
    expect(gone).toBeInstanceOf(DockerUnavailableError);
    expect(gone.message).toBe(`Docker engine not reachable at ${url}.`);
    expect(gone.hint).toMatch(/Is Docker running\?.*DOCKER_HOST/);
    const denied = explainDockerError(Object.assign(new Error('x'), { code: 'EACCES' }), url);
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied.hint).toMatch(/docker" group/);
    expect(explainDockerError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'tcp://h:1').message).toMatch(/did not answer/);
    expect(explainDockerError({ statusCode: 403, json: { message: 'authz says no' } }, url).message).toMatch(/authz says no/);
  });

  it('tells a Podman socket with no service behind it how to start the service', () => {
    const e = explainDockerError(Object.assign(new Error('x'), { code: 'ENOENT' }), 'unix:///run/user/1000/podman/podman.sock');
    expect(e.message).toBe("Podman's Docker-compatible API is not being served at unix:///run/user/1000/podman/podman.sock.");
    expect(e.hint).toMatch(/podman\.socket.*podman system service/);
  });
});

describe('compareApiVersions', () => {
  it('orders API versions numerically', () => {
    expect(compareApiVersions('1.41', '1.40')).toBeGreaterThan(0);
    expect(compareApiVersions('1.9', '1.40')).toBeLessThan(0);
    expect(compareApiVersions('1.40', '1.40')).toBe(0);
    expect(compareApiVersions('2.0', '1.99')).toBeGreaterThan(0);
  });
});

describe('demuxLogs', () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  it('splits stdout and stderr frames and parses timestamps', () => {
    const buf = Buffer.concat([frame(1, '2026-01-01T00:00:01.000000000Z hello\n'), frame(2, '2026-01-01T00:00:02.5Z oops\n')]);
    const lines = demuxLogs(buf, false);
    expect(lines).toEqual([
      { stream: 'stdout', ts: Date.parse('2026-01-01T00:00:01Z'), text: 'hello' },
      { stream: 'stderr', ts: Date.parse('2026-01-01T00:00:02.5Z'), text: 'oops' },
    ]);
  });
  it('reads a TTY stream as plain text and survives a truncated frame', () => {
    expect(demuxLogs(Buffer.from('2026-01-01T00:00:01Z a\n'), true)[0].text).toBe('a');
    const cut = frame(1, '2026-01-01T00:00:01Z partial line that is cut').subarray(0, 20);
    expect(() => demuxLogs(cut, false)).not.toThrow();
  });
});
