// Highest sustained event rate from the helper to a consumer with 0 drops (target ≥ 500 k events/s), measured
// twice per mode: the raw drain (helper → a frame counter that decodes only stats frames) and helper → the
// engine's Sensor (full decode into RuntimeEvents). Also: helper CPU % and RSS at each rate, the Node consumer's
// CPU %, and per-program in-kernel cost (BPF_ENABLE_STATS). Producers: setresuid(-1,-1,-1) loops in the
// watched container's cgroup (a traced syscall that is a no-op for the kernel, so producers are cheap).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { FrameDecoder, type HelperHello, type HelperStats } from '../../../electron/common/schema/decoder';
import { MAGIC } from '../../../electron/common/schema/wire';
import { engineFacts } from '../../../electron/node/docker/helper-container';
import { HELPER_VERSION, Sensor } from '../../../electron/node/sensor';
import { ContainerHelperRun, ensureHelperImage, helperCapabilities, LocalHelperRun, type HelperRun } from '../../../electron/node/sensor/transport';
import { dockerClient, HELPER, removeSensorContainers, runSensorContainer } from '../../integration/sensor/support';
import { bpfProgStats, fmt, installWorkload, maxBpfProgId, runWorkload } from './support';

const TARGET = 500_000;
const STEP_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** container: frames through Docker's attach stream; container-socket: through a bind-mounted Unix socket. */
type Mode = 'local' | 'container' | 'container-socket';

/** The raw drain: walks frames, counts event frames and sequence gaps, decodes only hello/stats. */
class FrameCounter {
  events = 0;
  seqGaps = 0;
  stats: HelperStats | undefined;
  hello: HelperHello | undefined;
  private tail = Buffer.alloc(0);
  private lastSeq = -1;
  private readonly dec = new FrameDecoder();
  constructor(private readonly run?: HelperRun) {}

  push(chunk: Buffer): void {
    const b = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let pos = 0;
    while (b.length - pos >= 16) {
      if (b.readUInt32LE(pos) !== MAGIC) { pos++; continue; }
      const len = b.readUInt32LE(pos + 4);
      if (b.length - pos < len) break;
      const seq = b.readUInt32LE(pos + 12);
      if (this.lastSeq >= 0 && seq > this.lastSeq + 1) this.seqGaps += seq - this.lastSeq - 1;
      this.lastSeq = seq;
      const op = b.readUInt16LE(pos + 10);
      if (op >= 16) this.events++;
      else if (op === 6) this.run?.markEnded();
      else for (const r of this.dec.push(b.subarray(pos, pos + len))) {
        if (r.type === 'stats') this.stats = r.stats;
        if (r.type === 'hello') this.hello = r.hello;
      }
      pos += len;
    }
    this.tail = Buffer.from(b.subarray(pos));
  }
}

interface Consumer {
  received(): number;
  stats(): { ringDrops: number; queueDrops: number; cpuMs: number; rssKb: number; ts: number } | undefined;
  helperPid(): number | undefined;
  stop(): Promise<void>;
}

async function rawConsumer(mode: Mode, c: { id: string; pid: number }): Promise<Consumer> {
  const args = ['--watch', `${c.id}:${c.pid}`];
  let run: HelperRun;
  if (mode === 'local') {
    run = new LocalHelperRun(HELPER, args);
  } else {
    const docker = dockerClient();
    const image = await ensureHelperImage(docker, HELPER, HELPER_VERSION);
    run = await ContainerHelperRun.start(docker, image.tag, args, helperCapabilities((await engineFacts(docker)).knowsBpfCap), mode === 'container-socket');
  }
  const fc = new FrameCounter(run);
  run.stdout.on('data', (d: Buffer) => fc.push(d));
  for (let i = 0; i < 300 && !fc.stats; i++) await sleep(100);
  return {
    received: () => fc.events,
    // a queue drop is also a sequence gap: count it once
    stats: () => fc.stats && { ringDrops: fc.stats.ringDrops, queueDrops: Math.max(fc.stats.queueDrops, fc.seqGaps), cpuMs: fc.stats.cpuUserMs + fc.stats.cpuSysMs, rssKb: fc.stats.rssKb, ts: fc.stats.ts },
    helperPid: () => fc.hello?.helperPid,
    stop: () => run.stop(),
  };
}

async function sensorConsumer(mode: Mode, c: { id: string }): Promise<Consumer> {
  const sensor = new Sensor({ mode: mode === 'local' ? 'local' : 'container', containerTransport: mode === 'container-socket' ? 'socket' : 'attach', docker: dockerClient(), helperPath: HELPER, ringBytes: 8 << 20 });
  let events = 0;
  sensor.on('events', (e: RuntimeEvent[]) => (events += e.length));
  await sensor.start();
  await sensor.watchContainer(c.id);
  await sleep(1200);
  return {
    received: () => events,
    stats: () => {
      const s = sensor.stats;
      return { ringDrops: s.ringDrops, queueDrops: Math.max(s.queueDrops, sensor.decoderStats.lostFrames), cpuMs: s.cpuUserMs + s.cpuSysMs, rssKb: s.rssKb, ts: s.ts };
    },
    helperPid: () => sensor.hello?.helperPid,
    stop: () => sensor.stop(),
  };
}

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

  // total rate (0 = unpaced) and producer processes
  const plans: Array<{ rate: number; workers: number }> = [
    { rate: 250_000, workers: 2 }, { rate: 400_000, workers: 2 }, { rate: 500_000, workers: 2 }, { rate: 650_000, workers: 2 }, { rate: 0, workers: 2 },
  ];
  const summary: string[] = [];
  const only = process.env.GH_BENCH_TP?.split(','); // e.g. local-raw,container-sensor
  for (const mode of ['local', 'container', 'container-socket'] as const) {
    for (const consumer of ['raw', 'sensor'] as const) {
      const name = `${mode}-${consumer}`;
      it.skipIf(!!only && !only.includes(name))(`${name}: paced setresuid storms, highest rate with 0 drops`, async () => {
        const firstProg = maxBpfProgId();
        const cons = consumer === 'raw' ? await rawConsumer(mode, c) : await sensorConsumer(mode, c);
        let best = 0, bestLine = '';
        try {
          for (const plan of plans) {
            const before = cons.stats();
            const rx0 = cons.received();
            const node0 = process.cpuUsage();
            const t0 = Date.now();
            const results = await Promise.all(Array.from({ length: plan.workers }, () => runWorkload(c, 'setresuids', `${STEP_SECONDS} ${Math.round(plan.rate / plan.workers)}`)));
            const nodeCpu = process.cpuUsage(node0);
            const busy = (Date.now() - t0) / 1000;
            await sleep(2200); // drain, and a stats frame that covers the whole step
            const after = cons.stats();
            const ops = results.reduce((n, r) => n + r.ops, 0);
            const rate = ops / (Math.max(...results.map((r) => r.wallUs)) / 1e6);
            const ring = (after?.ringDrops ?? 0) - (before?.ringDrops ?? 0);
            const queue = (after?.queueDrops ?? 0) - (before?.queueDrops ?? 0);
            const received = cons.received() - rx0;
            const statWall = ((after?.ts ?? 0) - (before?.ts ?? 0)) / 1000;
            const helperCpu = statWall > 0 ? ((after!.cpuMs - before!.cpuMs) / 1000 / statWall) * 100 : NaN;
            const clean = ring + queue === 0 && received >= ops;
            const line = `${fmt(rate / 1000, 1)} k events/s produced (${plan.rate ? `paced ${plan.rate / 1000}k` : 'unpaced'}, ${plan.workers} producers), ` +
              `${received} of ${ops} received, ring drops ${ring}, queue drops ${queue} → ${clean ? '0 drops' : 'DROPS'}; ` +
              `helper CPU ${fmt(helperCpu, 1)}% of one core (averaged over ${fmt(statWall, 1)} s), RSS ${after?.rssKb} kB; ` +
              `Node consumer CPU ${fmt(((nodeCpu.user + nodeCpu.system) / 1e6 / busy) * 100, 0)}% while producing`;
            console.log(`THROUGHPUT ${name}: ${line}`);
            if (clean && rate > best) { best = rate; bestLine = line; }
          }
          const pid = cons.helperPid();
          const progs = bpfProgStats(['enter_setresuid', 'exit_setresuid', 'emit_priv'], firstProg);
          const kernel = progs.map((p) => `${p.name} ${p.nsPerRun} ns/run (${p.runCnt} runs)`).join(', ');
          const verdict = `${name.padEnd(16)} highest rate with 0 drops ${fmt(best / 1000, 1)} k events/s (target ≥ ${TARGET / 1000} k: ${best >= TARGET ? 'met' : 'NOT met'})` +
            `${bestLine ? `\n${''.padEnd(18)}at that rate: ${bestLine.split('; ').slice(1).join('; ')}` : ''}\n${''.padEnd(18)}in-kernel cost (helper pid ${pid}): ${kernel || 'n/a'}`;
          summary.push(verdict);
          console.log(`THROUGHPUT ${verdict}`);
        } finally {
          await cons.stop();
        }
      });
    }
  }
  it('prints the summary', () => {
    console.log(`\nSENSOR THROUGHPUT (${new Date().toISOString()}, load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()})\n${summary.join('\n')}`);
  });
});
