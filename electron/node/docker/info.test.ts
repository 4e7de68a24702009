import { describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { dockerInfoProvider, sampleFromStats } from './info';

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
