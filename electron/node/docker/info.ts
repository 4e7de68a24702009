// The Docker facts a capture needs: inspect, `docker diff`, the running list, and 1 Hz resource samples.
import type Dockerode from 'dockerode';
import type { ContainerInfoProvider } from '../capture/containerInfo';
import type { ResourceSample } from '../../common/model/process';
import { listContainers, parseDiff, parseInspect, parseStats, parseVersion, type ContainerStats } from './answers';
import type { DockerDiffEntry } from '../../common/state/fileTable';
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

/** Where Podman puts its tmpfs mounts on a read-only root (`--read-only-tmpfs`, on by default). */
const PODMAN_READONLY_TMPFS = ['/tmp', '/var/tmp', '/run'];

/**
 * `docker diff` without what Podman's own set-up of the container wrote into its root, which Docker keeps in a
 * layer of its own (the init layer) and never lists: the mount points of /etc/hosts, /etc/hostname and
 * /etc/resolv.conf (Podman 4.3 lists /etc as modified for every container, not the files) and, on a read-only
 * root, the tmpfs mount points it creates where the image has none (/var/tmp added, /var modified). A directory
 * is left out only when nothing else under it changed, so every change the container made is still listed (a
 * container's own change of such a directory's metadata alone looks the same and is left out with it). On a
 * read-only root the container itself cannot change anything there. Docker's answer is returned as it is.
 */
export function withoutEngineSetup(diff: DockerDiffEntry[], c: { podman: boolean; readOnlyRoot: boolean }): DockerDiffEntry[] {
  if (!c.podman) return diff;
  const mountPoint = (d: DockerDiffEntry) => c.readOnlyRoot && d.Kind === 1 && PODMAN_READONLY_TMPFS.includes(d.Path);
  const setupDirs = new Set(['/etc']);
  for (const d of diff) {
    if (!mountPoint(d)) continue;
    for (let p = d.Path.slice(0, d.Path.lastIndexOf('/')); p; p = p.slice(0, p.lastIndexOf('/'))) setupDirs.add(p);
  }
  const kept = diff.filter((d) => !mountPoint(d));
  return kept.filter((d) => !(d.Kind === 0 && setupDirs.has(d.Path) && !kept.some((o) => o.Path.startsWith(`${d.Path}/`))));
}

export function dockerInfoProvider(docker: Dockerode): ContainerInfoProvider {
  let podman: Promise<boolean> | undefined;
  // an engine whose version cannot be read is taken for Docker: its diff is then kept whole
  const isPodman = () => (podman ??= docker.version()
    .then((v) => ((parseVersion(v) as { Components?: Array<{ Name?: string }> }).Components ?? []).some((c) => /podman/i.test(c.Name ?? '')))
    .catch(() => false));
  return {
    inspect: (id) => inspectContainer(docker, id).catch(() => undefined),
    diff: async (id) => {
      const diff = parseDiff(id, (await docker.getContainer(id).changes()) as unknown);
      if (!diff.length || !(await isPodman())) return diff;
      const readOnlyRoot = await docker.getContainer(id).inspect()
        .then((i) => parseInspect(id, i).HostConfig?.ReadonlyRootfs === true, () => false);
      return withoutEngineSetup(diff, { podman: true, readOnlyRoot });
    },
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
