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
import { bpfProgStats, cgroupCpuNs, cgroupInode, ensureNginxImage, fmt, maxBpfProgId, installWorkload, medianSpread, runWorkload, startBpftrace, stopProcess, type WorkloadResult } from './support';

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

/**
 * The helper's own in-kernel cost per operation, free of scheduling noise: one extra helper round with
 * kernel.bpf_stats_enabled=1 (which itself adds two clock reads per program run, so it is kept out of the
 * paired rounds), summing run time over every program the helper loaded, divided by the workload's operations.
 */
async function kernelCostPerOp(containerId: string, run: () => Promise<WorkloadResult>): Promise<{ nsPerOp: number; top: string }> {
  execFileSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=1']);
  try {
    const first = maxBpfProgId();
    const { value } = await withSensor(containerId, async () => {
      const r = await run();
      return { r, progs: bpfProgStats('all', first) };
    });
    const total = value.progs.reduce((n, p) => n + p.totalNs, 0);
    const top = [...value.progs].sort((a, b) => b.totalNs - a.totalNs).slice(0, 4)
      .map((p) => `${p.name} ${fmt(p.totalNs / value.r.ops, 0)} ns/op (${fmt(p.runCnt / value.r.ops, 1)} runs/op × ${p.nsPerRun} ns)`).join(', ');
    return { nsPerOp: total / value.r.ops, top };
  } finally {
    execFileSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=0']);
  }
}

/** An empty program on a syscall nobody here calls: what enabling any syscall tracepoint costs every task. */
const FLOOR = 'tracepoint:syscalls:sys_enter_getpgid { }';

/** Paired none/floor rounds: the kernel's own price for syscall tracepoints, which the helper cannot avoid. */
async function floorRatio(rounds: number, measure: () => Promise<number>): Promise<ReturnType<typeof medianSpread>> {
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const none = await measure();
    const bt = await startBpftrace(FLOOR);
    try {
      ratios.push((await measure()) / none);
    } finally {
      await stopProcess(bt);
    }
  }
  return medianSpread(ratios);
}

/** Syscalls the workload makes per operation (every process of its cgroup), counted by bpftrace in one more run. */
async function syscallsPerOp(cgroup: number, run: () => Promise<number>): Promise<number> {
  const counter = await startBpftrace(`tracepoint:raw_syscalls:sys_enter /cgroup == ${cgroup}/ { @n = count(); }`);
  const ops = await run();
  const out = await stopProcess(counter, true);
  return Number(/@n: (\d+)/.exec(out)?.[1] ?? NaN) / ops;
}

/** The overhead composed of noise-free parts: the floor every syscall pays plus the helper's program time. */
function composed(syscalls: number, floorNs: number | undefined, programNs: number, opNs: number): string {
  if (floorNs === undefined) return '';
  return `\n${''.padEnd(10)}composed from noise-free parts: ${fmt(syscalls, 1)} syscalls per op × ${fmt(floorNs, 0)} ns floor (getppid) + ${fmt(programNs, 0)} ns of programs = ` +
    `${fmt(((syscalls * floorNs + programNs) / opNs) * 100, 2)}% of an op`;
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
      mode: 'pread', n: 1_000_000, straceN: 20_000, rounds: 4, target: 1.1,
      bpftrace: (cg) => `tracepoint:syscalls:sys_enter_openat /cgroup == ${cg}/ { printf("%d %s %d\\n", pid, str(args->filename), args->flags); } tracepoint:syscalls:sys_exit_openat /cgroup == ${cg}/ { printf("%d %d\\n", tid, args->ret); }`,
    },
    {
      mode: 'forkexec', n: 1_000, straceN: 200, rounds: 8, target: 1.05,
      bpftrace: (cg) => `tracepoint:sched:sched_process_exec /cgroup == ${cg}/ { printf("%d %s\\n", pid, str(args->filename)); } tracepoint:sched:sched_process_fork /cgroup == ${cg}/ { printf("fork %d\\n", args->child_pid); } tracepoint:sched:sched_process_exit /cgroup == ${cg}/ { printf("exit %d\\n", pid); }`,
    },
  ];
  const summary: string[] = [];
  /** ns one untraced getppid gains once any syscall tracepoint exists (from the getppid floor rounds). */
  let floorNsPerSyscall: number | undefined;
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
      const k = await kernelCostPerOp(c.id, () => runWorkload(c, w.mode, w.n));
      const floor = w.target === 1.1 ? await floorRatio(4, async () => perOp(await runWorkload(c, w.mode, w.n))) : undefined;
      const calls = w.mode === 'forkexec' ? await syscallsPerOp(cg, async () => (await runWorkload(c, w.mode, w.n)).ops) : undefined;
      const bt = await startBpftrace(w.bpftrace(cg));
      const bpft = perOp(await runWorkload(c, w.mode, w.n));
      await stopProcess(bt);
      const strace = perOp(await runWorkload(c, w.mode, w.straceN, ['strace', '-f', '-qq', '-o', '/dev/null']));
      const none = medianSpread(nones), ratio = medianSpread(ratios);
      if (w.mode === 'getppid' && floor) floorNsPerSyscall = (floor.median - 1) * none.median * 1000;
      const line = `${w.mode.padEnd(9)} none ${fmt(none.median * 1000, 0)} ns/op (spread ${fmt(none.spread * 100, 1)}% over ${nones.length} rounds) | ` +
        `helper ${fmt(ratio.median)}x median of ${ratios.length} paired rounds [${fmt(ratio.min)}–${fmt(ratio.max)}] (target ≤ ${w.target}x: ${verdict(ratio.median, w.target)}; ${events} events, ${drops} dropped) | ` +
        `bpftrace ${fmt(bpft / none.median)}x | strace -f ${fmt(strace / none.median)}x\n` +
        `${''.padEnd(10)}helper programs in the kernel: ${fmt(k.nsPerOp, 0)} ns per op = ${fmt((k.nsPerOp / 1000 / none.median) * 100, 2)}% of an op (${k.top})` +
        (floor ? `\n${''.padEnd(10)}floor, any syscall tracepoint at all (an empty program on never-called getpgid): ${fmt(floor.median)}x [${fmt(floor.min)}–${fmt(floor.max)}]` : '') +
        (calls !== undefined ? composed(calls, floorNsPerSyscall, k.nsPerOp, none.median * 1000) : '');
      console.log(`OVERHEAD ${line}`);
      summary.push(line);
    });
  }

  it.skipIf(!!only && !only.includes('nginx'))('nginx under wrk: CPU time of the server cgroup per request, paired rounds', async () => {
    // Debian's nginx with keep-alive, pinned to CPU 1 and wrk to CPU 0, so the two do not take turns on one
    // core (busybox httpd forked per request and, without keep-alive, ran the client out of ports mid-run).
    const web = await runSensorContainer(['--cpuset-cpus', '1'], [], await ensureNginxImage());
    const ip = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web.id]);
    const round = (): { cpuUsPerReq: number; rps: number; reqs: number } => {
      const cpu0 = cgroupCpuNs(web.id);
      const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', '-c8', '-d3s', `http://${ip}:8080/`]).toString();
      const cpu = (cgroupCpuNs(web.id) - cpu0) / 1000;
      const reqs = Number(/(\d+) requests in/.exec(out)![1]);
      if (/Socket errors|Non-2xx/.test(out)) throw new Error(`wrk saw errors: ${out}`);
      return { cpuUsPerReq: cpu / reqs, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), reqs };
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
    const k = await kernelCostPerOp(web.id, async () => {
      const r = round();
      return { cpuUs: r.cpuUsPerReq * r.reqs, wallUs: 3e6, ops: r.reqs };
    });
    const floor = await floorRatio(ROUNDS || 8, async () => round().cpuUsPerReq);
    const syscallsPerReq = await syscallsPerOp(cgroupInode(web.id), async () => round().reqs);
    const none = medianSpread(nones), ratio = medianSpread(ratios), rps = medianSpread(rpsRatios);
    const cost = ratio.median - 1;
    const line = `nginx     none ${fmt(none.median, 1)} µs CPU/request (spread ${fmt(none.spread * 100, 1)}% over ${nones.length} rounds) | ` +
      `helper ${cost >= 0 ? '+' : ''}${fmt(cost * 100, 1)}% CPU per request, median of ${ratios.length} paired rounds [${fmt((ratio.min - 1) * 100, 1)}%…${fmt((ratio.max - 1) * 100, 1)}%] ` +
      `(target ≤ 3%: ${cost <= 0.03 ? 'met' : `NOT met by ${fmt((cost - 0.03) * 100, 1)} points`}); throughput ${fmt(rps.median)}x; ${events} events, ${drops} dropped\n` +
      `${''.padEnd(10)}helper programs in the kernel: ${fmt(k.nsPerOp, 0)} ns per request = ${fmt((k.nsPerOp / 1000 / none.median) * 100, 2)}% of a request (${k.top})\n` +
      `${''.padEnd(10)}floor, any syscall tracepoint at all (an empty program on never-called getpgid): ${fmt((floor.median - 1) * 100, 1)}% [${fmt((floor.min - 1) * 100, 1)}%…${fmt((floor.max - 1) * 100, 1)}%]` +
      composed(syscallsPerReq, floorNsPerSyscall, k.nsPerOp, none.median * 1000);
    console.log(`OVERHEAD ${line}`);
    summary.push(line);
  });

  it('prints the summary', () => {
    console.log(`\nSENSOR OVERHEAD (workload CPU time; ${new Date().toISOString()}, load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()})\n${summary.join('\n')}`);
  });
});
