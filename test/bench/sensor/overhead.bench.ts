// Workload slowdown (CPU time of the workload, side by side in one run): no tracing, the Glasshouse helper
// (container mode, events consumed by the real decoder), `strace -f`, and bpftrace tracing the same calls.
// Method, against a shared and noisy 2-core VM: rounds interleave none/helper (ABAB…), each helper round is
// compared with the baseline right before it (a paired ratio, so slow drift cancels), and the figure is the
// median of those ratios with their range. A helper round starts a fresh sensor and waits, after stopping it,
// until the helper has detached its hooks, so no baseline round runs with hooks attached.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { Sensor } from '../../../electron/node/sensor';
import { dockerClient, HELPER, removeSensorContainers, runSensorContainer } from '../../integration/sensor/support';
import { docker } from '../../support/docker';
import { cgroupCpuNs, cgroupInode, fmt, installWorkload, medianSpread, runWorkload, startBpftrace, stopProcess, type WorkloadResult } from './support';

const perOp = (r: WorkloadResult) => r.cpuUs / r.ops;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROUNDS = Number(process.env.GH_BENCH_ROUNDS ?? 0);

/** Runs `measure` with a fresh watched sensor; stops it and waits until no helper container is left. */
async function withSensor<T>(containerId: string, measure: () => Promise<T>): Promise<{ value: T; events: number; drops: number }> {
  const sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
  let events = 0;
  sensor.on('events', (e: RuntimeEvent[]) => (events += e.length));
  await sensor.start();
  await sensor.watchContainer(containerId);
  const value = await measure();
  await sleep(1200); // drain, and a stats frame after the run
  const drops = sensor.stats.ringDrops + sensor.stats.queueDrops;
  await sensor.stop();
  for (let i = 0; i < 40; i++) {
    const left = await docker(['ps', '-q', '--filter', 'label=dev.glasshouse.helper', '--filter', `label=dev.glasshouse.helper.owner=${process.pid}`]);
    if (!left) break;
    await sleep(250);
  }
  return { value, events, drops };
}

function verdict(ratio: number, target: number): string {
  return ratio <= target ? 'met' : `NOT met by ${fmt((ratio - target) * 100, 1)} points`;
}

describe('sensor overhead', () => {
  let c: { id: string; name: string; pid: number };
  beforeAll(async () => {
    c = await runSensorContainer();
    await installWorkload(c.id);
  });
  afterAll(async () => {
    await removeSensorContainers();
  });

  const workloads: Array<{ mode: string; n: number; straceN: number; rounds: number; bpftrace: (cg: number) => string; target: number }> = [
    {
      mode: 'openclose', n: 100_000, straceN: 5_000, rounds: 4, target: 1.3,
      bpftrace: (cg) => `tracepoint:syscalls:sys_enter_openat /cgroup == ${cg}/ { printf("%d %s %d\\n", pid, str(args->filename), args->flags); } tracepoint:syscalls:sys_exit_openat /cgroup == ${cg}/ { printf("%d %d\\n", tid, args->ret); }`,
    },
    {
      mode: 'getppid', n: 2_000_000, straceN: 20_000, rounds: 4, target: 1.1,
      bpftrace: (cg) => `tracepoint:syscalls:sys_enter_openat /cgroup == ${cg}/ { printf("%d %s %d\\n", pid, str(args->filename), args->flags); } tracepoint:syscalls:sys_exit_openat /cgroup == ${cg}/ { printf("%d %d\\n", tid, args->ret); }`,
    },
    {
      mode: 'forkexec', n: 1_000, straceN: 200, rounds: 8, target: 1.05,
      bpftrace: (cg) => `tracepoint:sched:sched_process_exec /cgroup == ${cg}/ { printf("%d %s\\n", pid, str(args->filename)); } tracepoint:sched:sched_process_fork /cgroup == ${cg}/ { printf("fork %d\\n", args->child_pid); } tracepoint:sched:sched_process_exit /cgroup == ${cg}/ { printf("exit %d\\n", pid); }`,
    },
  ];
  const summary: string[] = [];
  const only = process.env.GH_BENCH_WORKLOADS?.split(',');

  for (const w of workloads) {
    it.skipIf(!!only && !only.includes(w.mode))(`${w.mode}: paired none/helper rounds, then bpftrace and strace -f`, async () => {
      const cg = cgroupInode(c.id);
      await runWorkload(c, w.mode, Math.ceil(w.n / 10)); // warm up
      const nones: number[] = [], ratios: number[] = [];
      let events = 0, drops = 0;
      for (let round = 0; round < (ROUNDS || w.rounds); round++) {
        const none = perOp(await runWorkload(c, w.mode, w.n));
        const r = await withSensor(c.id, async () => perOp(await runWorkload(c, w.mode, w.n)));
        nones.push(none);
        ratios.push(r.value / none);
        events += r.events;
        drops += r.drops;
      }
      const bt = await startBpftrace(w.bpftrace(cg));
      const bpft = perOp(await runWorkload(c, w.mode, w.n));
      await stopProcess(bt);
      const strace = perOp(await runWorkload(c, w.mode, w.straceN, ['strace', '-f', '-qq', '-o', '/dev/null']));
      const none = medianSpread(nones), ratio = medianSpread(ratios);
      const line = `${w.mode.padEnd(9)} none ${fmt(none.median * 1000, 0)} ns/op (spread ${fmt(none.spread * 100, 1)}% over ${nones.length} rounds) | ` +
        `helper ${fmt(ratio.median)}x median of ${ratios.length} paired rounds [${fmt(ratio.min)}–${fmt(ratio.max)}] (target ≤ ${w.target}x: ${verdict(ratio.median, w.target)}; ${events} events, ${drops} dropped) | ` +
        `bpftrace ${fmt(bpft / none.median)}x | strace -f ${fmt(strace / none.median)}x`;
      console.log(`OVERHEAD ${line}`);
      summary.push(line);
    });
  }

  it.skipIf(!!only && !only.includes('httpd'))('httpd under wrk: CPU time of the server cgroup per request, paired rounds', async () => {
    const web = await runSensorContainer([], ['sh', '-c', 'mkdir -p /var/www && echo hello > /var/www/index.html && httpd -f -p 8080 -h /var/www']);
    const ip = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web.id]);
    // one round: the server's CPU time (its whole cgroup: httpd and the child it forks per request) per request
    const round = (): { cpuUsPerReq: number; rps: number } => {
      const cpu0 = cgroupCpuNs(web.id);
      const out = execFileSync('wrk', ['-t1', '-c4', '-d3s', `http://${ip}:8080/`]).toString();
      const cpu = (cgroupCpuNs(web.id) - cpu0) / 1000;
      const reqs = Number(/(\d+) requests in/.exec(out)![1]);
      return { cpuUsPerReq: cpu / reqs, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]) };
    };
    await sleep(500);
    round(); // warm up
    const nones: number[] = [], ratios: number[] = [], rpsRatios: number[] = [];
    let events = 0, drops = 0;
    for (let i = 0; i < (ROUNDS || 8); i++) {
      const none = round();
      const r = await withSensor(web.id, async () => round());
      nones.push(none.cpuUsPerReq);
      ratios.push(r.value.cpuUsPerReq / none.cpuUsPerReq);
      rpsRatios.push(r.value.rps / none.rps);
      events += r.events;
      drops += r.drops;
    }
    const none = medianSpread(nones), ratio = medianSpread(ratios), rps = medianSpread(rpsRatios);
    const cost = ratio.median - 1;
    const line = `httpd     none ${fmt(none.median, 1)} µs CPU/request (spread ${fmt(none.spread * 100, 1)}% over ${nones.length} rounds) | ` +
      `helper +${fmt(cost * 100, 1)}% CPU per request, median of ${ratios.length} paired rounds [${fmt((ratio.min - 1) * 100, 1)}%…${fmt((ratio.max - 1) * 100, 1)}%] ` +
      `(target ≤ 3%: ${cost <= 0.03 ? 'met' : `NOT met by ${fmt((cost - 0.03) * 100, 1)} points`}); throughput ${fmt(rps.median)}x; ${events} events, ${drops} dropped`;
    console.log(`OVERHEAD ${line}`);
    summary.push(line);
  });

  it('prints the summary', () => {
    console.log(`\nSENSOR OVERHEAD (workload CPU time; ${new Date().toISOString()}, load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()})\n${summary.join('\n')}`);
  });
});
