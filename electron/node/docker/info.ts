// The Docker facts a capture needs: inspect, `docker diff`, the running list, and 1 Hz resource samples.
import type Dockerode from 'dockerode';
import type { ContainerInfoProvider } from '../capture/containerInfo';
import type { ResourceSample } from '../../common/model/process';
import { listContainers, parseDiff, parseStats, type ContainerStats } from './answers';
import { inspectContainer } from './containers';
import { summaryFromListEntry } from './inspect';
import { watchExecs } from './execs';
import { followLines } from './lines';

/** One sample from one stats document; CPU % as `docker stats` computes it (100 % = one core). */
export function sampleFromStats(containerId: string, s: ContainerStats): ResourceSample {
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const cpus = cpu.online_cpus ?? cpu.cpu_usage?.percpu_usage?.length ?? 1;
  const mem = s.memory_stats ?? {};
  // Page cache is reclaimable: subtract it as the docker CLI does (cgroup v1 "cache"/"total_inactive_file", v2 "inactive_file").
  const cache = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? mem.stats?.cache ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  const ts = Date.parse(s.read);
  return {
    containerId,
    ts: Number.isFinite(ts) && ts > 0 ? ts : Date.now(),
    cpuPercent: cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0,
    memBytes: Math.max(0, (mem.usage ?? 0) - cache),
    memLimit: mem.limit ?? 0,
    pids: s.pids_stats?.current ?? 0,
    ...(s.pids_stats?.limit && s.pids_stats.limit < 2 ** 53 ? { pidsLimit: s.pids_stats.limit } : {}),
    netRxBytes: rx,
    netTxBytes: tx,
  };
}

export function dockerInfoProvider(docker: Dockerode): ContainerInfoProvider {
  return {
    inspect: (id) => inspectContainer(docker, id).catch(() => undefined),
    diff: async (id) => parseDiff(id, (await docker.getContainer(id).changes()) as unknown),
    list: async () => (await listContainers(docker, false)).map(summaryFromListEntry),
    watchExecs: (onExec) => watchExecs(docker, onExec),
    streamStats: (id, onSample) =>
      followLines(
        () => docker.getContainer(id).stats({ stream: true }),
        (line) => {
          // Lines come whole (a torn tail is never handed on), so a line that does not parse is a bad answer:
          // parseStats counts and names it, and the next sample still comes.
          let doc: ContainerStats;
          try {
            doc = parseStats(id, line);
          } catch {
            return;
          }
          onSample(sampleFromStats(id, doc));
        },
      ),
  };
}
