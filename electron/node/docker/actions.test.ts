// restart-clean recreates a container from its own inspect answer: that answer must be one the engine takes back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { recreatableHostConfig } from './actions';

const fixture = (engine: string, name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/docker', engine, name), 'utf8')) as { HostConfig: Dockerode.HostConfig };

describe('recreatableHostConfig', () => {
  it("gives Podman's kernel-named ulimits (RLIMIT_NOFILE) Docker's names, which Podman's create wants", () => {
    const hc = fixture('podman-4.3', 'inspect-running.json').HostConfig;
    expect(hc.Ulimits?.some((u) => /^RLIMIT_/.test(u.Name ?? ''))).toBe(true); // what Podman 4.3 answered
    const out = recreatableHostConfig(hc);
    expect(out.Ulimits?.map((u) => u.Name)).toEqual(hc.Ulimits!.map((u) => u.Name!.replace(/^RLIMIT_/, '').toLowerCase()));
    expect(out.Ulimits?.every((u, i) => u.Soft === hc.Ulimits![i].Soft && u.Hard === hc.Ulimits![i].Hard)).toBe(true);
  });

  it("leaves Docker's answer as it is", () => {
    const hc = fixture('docker-20.10', 'inspect-running.json').HostConfig;
    expect(recreatableHostConfig(hc)).toEqual(hc);
  });
});
