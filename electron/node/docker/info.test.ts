import { describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerInfoProvider, sampleFromStats, withoutEngineSetup } from './info';

describe('sampleFromStats', () => {
  it('computes CPU % like docker stats, subtracts page cache and sums networks', () => {
    const s = sampleFromStats('c1', {
      read: '2026-01-01T00:00:01Z',
      cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000 },
      memory_stats: { usage: 50 << 20, limit: 64 << 20, stats: { total_inactive_file: 10 << 20 } },
      pids_stats: { current: 7, limit: 50 },
      networks: { eth0: { rx_bytes: 100, tx_bytes: 10 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
    });
    expect(s).toEqual({ containerId: 'c1', ts: Date.parse('2026-01-01T00:00:01Z'), cpuPercent: 20, memBytes: 40 << 20, memLimit: 64 << 20,
      pids: 7, pidsLimit: 50, netRxBytes: 101, netTxBytes: 12 });
  });
  it('reads a first sample (no previous CPU) as 0 %, not NaN', () => {
    expect(sampleFromStats('c', { read: '0001-01-01T00:00:00Z' }).cpuPercent).toBe(0);
  });
});

describe('dockerInfoProvider.diff', () => {
  it('reads the Buffer `null\\n` dockerode returns for an unchanged container as an empty diff', async () => {
    const docker = { getContainer: () => ({ changes: async () => Buffer.from('null\n') }) } as unknown as Dockerode;
    expect(await dockerInfoProvider(docker).diff('c')).toEqual([]);
  });
});

describe('withoutEngineSetup (recorded Podman 4.3 and Docker 20.10 answers)', () => {
  const fixture = (engine: string, name: string) =>
    JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/docker', engine, name), 'utf8')) as Array<{ Path: string; Kind: 0 | 1 | 2 }>;

  it('leaves out what Podman set up on a read-only root: /etc, and /var/tmp with /var', () => {
    const idle = fixture('podman-4.3', 'diff-readonly-idle.json');
    expect(idle.length).toBeGreaterThan(0);
    expect(withoutEngineSetup(idle, { podman: true, readOnlyRoot: true })).toEqual([]);
  });

  it('keeps every change the container made, and /etc once something under it changed', () => {
    const changed = fixture('podman-4.3', 'diff-changed.json');
    expect(withoutEngineSetup(changed, { podman: true, readOnlyRoot: false })).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/m', Kind: 1 }]);
    const etc = [{ Path: '/etc', Kind: 0 as const }, { Path: '/etc/passwd', Kind: 0 as const }, { Path: '/var', Kind: 0 as const }, { Path: '/var/tmp', Kind: 1 as const }];
    // a writable root: /var/tmp may be the container's own, so it and /var stay
    expect(withoutEngineSetup(etc, { podman: true, readOnlyRoot: false })).toEqual(etc);
    expect(withoutEngineSetup(etc, { podman: true, readOnlyRoot: true })).toEqual(etc.slice(0, 2));
    // a tmpfs mount point with something else beside it under /var keeps /var
    const beside = [{ Path: '/var', Kind: 0 as const }, { Path: '/var/tmp', Kind: 1 as const }, { Path: '/var/log', Kind: 1 as const }];
    expect(withoutEngineSetup(beside, { podman: true, readOnlyRoot: true })).toEqual([beside[0], beside[2]]);
  });

  it('returns Docker\'s answer as it is', () => {
    const etc = [{ Path: '/etc', Kind: 0 as const }];
    expect(withoutEngineSetup(etc, { podman: false, readOnlyRoot: true })).toEqual(etc);
    const changed = fixture('docker-20.10', 'diff-changed.json');
    expect(withoutEngineSetup(changed, { podman: false, readOnlyRoot: false })).toEqual(changed);
  });
});
