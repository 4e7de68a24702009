// Highest sustained event rate from the helper to a consumer (the real decoder in Node) with 0 drops; helper
// CPU % and RSS at that rate; per-program in-kernel cost (BPF_ENABLE_STATS).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { RuntimeEvent, SensorStats } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import { dockerClient, HELPER, removeSensorContainers, runSensorContainer } from '../../integration/sensor/support';
import { bpfProgStats, fmt, installWorkload, runWorkload } from './support';

describe('sensor throughput', () => {
  let c: { id: string; name: string; pid: number };
  beforeAll(async () => {
    c = await runSensorContainer();
    await installWorkload(c.id);
    execFileSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=1']);
  });
  afterAll(async () => {
    execFileSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=0']);
    await removeSensorContainers();
  });

  // setuid(0) as root: a traced syscall cheap enough that the producer is not the bottleneck first
  const plans: Array<{ rate: number; workers: number }> = [
    { rate: 50_000, workers: 1 }, { rate: 100_000, workers: 1 }, { rate: 100_000, workers: 2 }, { rate: 0, workers: 2 },
  ];
  for (const mode of ['local', 'container'] as const) {
    it(`${mode} mode: paced setuid storms, highest rate with 0 drops`, async () => {
      const sensor = new Sensor({ mode, docker: dockerClient(), helperPath: HELPER, ringBytes: 8 << 20 });
      let events = 0;
      sensor.on('events', (e: RuntimeEvent[]) => (events += e.length));
      await sensor.start();
      await sensor.watchContainer(c.id);
      await new Promise((r) => setTimeout(r, 1200));
      let best = 0;
      for (const plan of plans) {
        const before = sensor.stats;
        const dec0 = sensor.decoderStats;
        const ev0 = events;
        const t0 = Date.now();
        const results = await Promise.all(Array.from({ length: plan.workers }, () => runWorkload(c, 'setuids', `5 ${plan.rate}`)));
        await new Promise((r) => setTimeout(r, 2200)); // drain + next stats frame
        const after = sensor.stats;
        const wall = (Date.now() - t0) / 1000;
        const ops = results.reduce((n, r) => n + r.ops, 0);
        const rate = ops / (Math.max(...results.map((r) => r.wallUs)) / 1e6);
        const ring = after.ringDrops - before.ringDrops;
        const queue = after.queueDrops - before.queueDrops;
        const received = events - ev0;
        const cpu = (after.cpuUserMs + after.cpuSysMs - before.cpuUserMs - before.cpuSysMs) / 1000;
        if (ring + queue === 0 && received >= ops) best = Math.max(best, rate);
        console.log(
          `THROUGHPUT ${mode} ${plan.rate ? `paced ${plan.rate / 1000}k/s` : 'unpaced'} x${plan.workers}: ${fmt(rate / 1000, 1)} k events/s produced, ` +
          `${received} of ${ops} received in Node, ring drops ${ring}, queue drops ${queue} (decoder lost ${sensor.decoderStats.lostFrames - dec0.lostFrames}), ` +
          `helper CPU ${fmt((cpu / wall) * 100, 1)}% of one core, RSS ${after.rssKb} kB`,
        );
      }
      const progs = bpfProgStats(['enter_setuid', 'exit_setuid', 'emit_priv', 'enter_openat', 'exit_openat', 'emit_file']);
      console.log(`THROUGHPUT ${mode}: highest sustained rate with 0 drops ${fmt(best / 1000, 1)} k events/s; in-kernel cost per run: ` +
        progs.map((p) => `${p.name} ${p.nsPerRun} ns (${p.runCnt} runs)`).join(', '));
      await sensor.stop();
    });
  }
});
