// CIS Docker Benchmark v1.6.0 §5 (automated) and §4.1/4.6/4.10 checks over ContainerDetail, as Findings.
import type { ContainerDetail } from '../../model/container';
import type { Finding, Severity } from '../../model/finding';
import { imageKey } from '../findings';
import { sha256Hex } from '../sha256';

/** Host facts some checks need; absent fields skip those checks rather than guess. */
export interface PostureHost {
  /** `docker info .Swarm.LocalNodeState` (5.1). */
  swarmState?: string;
  /** Executable names running in the container (5.7); from the process table or `docker top`. */
  processNames?: string[];
}

export interface PostureFailure {
  field: string;
  value: string;
  /** Overrides the check's severity when one value is worse than others (e.g. SYS_ADMIN among caps). */
  severity?: Severity;
}

export interface PostureCheck {
  /** CIS id, e.g. "5.5". */
  id: string;
  title: string;
  severity: Severity;
  why: string;
  fix: { compose: string; run: string };
  mitre: string[];
  evaluate(d: ContainerDetail, host: PostureHost): PostureFailure | null | undefined;
}

const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH', 'NET_ADMIN', 'BPF', 'PERFMON', 'SYS_BOOT', 'MAC_ADMIN', 'MAC_OVERRIDE']);
/** Docker's default capability set: adding these back changes nothing (5.4 looks beyond them). */
const DEFAULT_CAPS = new Set(['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']);
const SENSITIVE_HOST_DIRS = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr'];
const RUNTIME_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run/containerd/containerd.sock', '/run/containerd/containerd.sock', '/run/podman/podman.sock'];
const SECRET_ENV = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_KEY)/i;

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
const isHostMode = (m: string) => m === 'host';

export const POSTURE_CHECKS: PostureCheck[] = [
  {
    id: '5.1', title: 'Swarm mode enabled on this engine', severity: 'low', mitre: [],
    why: 'Swarm mode opens management ports and keeps cluster secrets on a host that may not need them.',
    fix: { compose: 'Not a compose setting: run `docker swarm leave --force` if you do not use Swarm.', run: 'docker swarm leave --force' },
    evaluate: (_d, h) => (h.swarmState === undefined ? undefined : h.swarmState === 'active' ? { field: 'Swarm.LocalNodeState', value: h.swarmState } : null),
  },
  {
    id: '5.2', title: 'No AppArmor profile', severity: 'medium', mitre: ['T1611'],
    why: 'Without an AppArmor profile the container has no mandatory access control limiting mounts, /proc and /sys writes.',
    fix: { compose: 'security_opt: ["apparmor=docker-default"]', run: 'docker run --security-opt apparmor=docker-default …' },
    evaluate: (d) => (d.facts.apparmorProfile === '' || d.facts.apparmorProfile === 'unconfined'
      ? { field: 'AppArmorProfile', value: d.facts.apparmorProfile || '(none)' } : null),
  },
  {
    id: '5.3', title: 'No SELinux options', severity: 'info', mitre: [],
    why: 'On SELinux hosts, containers without a label run with the default type and lose per-container separation.',
    fix: { compose: 'security_opt: ["label=type:container_t"]', run: 'docker run --security-opt label=type:container_t …' },
    evaluate: (d) => (d.facts.securityOpt.some((o) => o.startsWith('label=') || o.startsWith('label:')) ? null : { field: 'HostConfig.SecurityOpt', value: d.facts.securityOpt.join(',') || '(none)' }),
  },
  {
    id: '5.4', title: 'Capabilities added beyond the defaults', severity: 'medium', mitre: ['T1611', 'T1548'],
    why: 'Extra Linux capabilities give the container root powers over the kernel; SYS_ADMIN, SYS_PTRACE and SYS_MODULE enable escapes.',
    fix: { compose: 'cap_drop: [ALL]\ncap_add: [<only what the app needs, e.g. NET_BIND_SERVICE>]', run: 'docker run --cap-drop ALL --cap-add NET_BIND_SERVICE …' },
    evaluate: (d) => {
      const extra = d.facts.capAdd.map(capName).filter((c) => !DEFAULT_CAPS.has(c));
      if (!extra.length) return null;
      return { field: 'HostConfig.CapAdd', value: extra.join(','), severity: extra.some((c) => DANGEROUS_CAPS.has(c)) ? 'high' : 'medium' };
    },
  },
  {
    id: '5.5', title: 'Privileged container', severity: 'critical', mitre: ['T1610', 'T1611'],
    why: 'A privileged container has every capability and every host device; escaping to the host is trivial.',
    fix: { compose: 'privileged: false (remove `privileged: true`; add only the capabilities or devices needed)', run: 'docker run (without --privileged) --cap-add <CAP> --device <dev> …' },
    evaluate: (d) => (d.facts.privileged ? { field: 'HostConfig.Privileged', value: 'true' } : null),
  },
  {
    id: '5.6', title: 'Sensitive host directory mounted', severity: 'high', mitre: ['T1611', 'T1006'],
    why: 'Mounting /, /etc, /proc, /sys, /dev, /boot, /lib or /usr from the host lets the container read or change the host system.',
    fix: { compose: 'volumes: mount only application directories (e.g. ./data:/data); never host system directories', run: 'docker run -v ./data:/data …  (no -v /etc:…, -v /:…)' },
    evaluate: (d) => {
      const bad = d.facts.mounts.filter((m) => m.type === 'bind' && SENSITIVE_HOST_DIRS.some((s) => m.source === s || (s !== '/' && m.source.startsWith(`${s}/`))));
      return bad.length ? { field: 'Mounts[].Source', value: bad.map((m) => `${m.source}:${m.destination}${m.readOnly ? ':ro' : ''}`).join(', ') } : null;
    },
  },
  {
    id: '5.7', title: 'SSH server running in container', severity: 'medium', mitre: ['T1021.004'],
    why: 'sshd is a second, unmanaged way into the container with its own keys and patch cycle.',
    fix: { compose: 'Remove openssh-server from the image; use `docker compose exec` for maintenance.', run: 'Remove sshd from the image; use `docker exec` instead.' },
    evaluate: (_d, h) => (h.processNames === undefined ? undefined : h.processNames.some((p) => p === 'sshd' || p === 'dropbear') ? { field: 'processes', value: 'sshd' } : null),
  },
  {
    id: '5.8', title: 'Privileged host port mapped', severity: 'low', mitre: [],
    why: 'Host ports below 1025 are reserved for system services; mapping them from a container can shadow or impersonate them.',
    fix: { compose: 'ports: ["8080:80"] (a host port above 1024)', run: 'docker run -p 8080:80 …' },
    evaluate: (d) => {
      const bad = d.ports.filter((p) => p.hostPort !== undefined && p.hostPort > 0 && p.hostPort < 1025);
      return bad.length ? { field: 'NetworkSettings.Ports', value: bad.map((p) => `${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ') } : null;
    },
  },
  {
    id: '5.10', title: 'Host network namespace shared', severity: 'high', mitre: ['T1611'],
    why: 'With --network host the container sees and can bind every host interface and reach services listening on localhost.',
    fix: { compose: 'network_mode: remove `host`; publish needed ports with `ports:`', run: 'docker run -p 8080:80 … (without --network host)' },
    evaluate: (d) => (isHostMode(d.facts.networkMode) ? { field: 'HostConfig.NetworkMode', value: 'host' } : null),
  },
  {
    id: '5.11', title: 'No memory limit', severity: 'medium', mitre: ['T1499'],
    why: 'Without a memory limit one container (or a miner in it) can exhaust host memory and take down its neighbours.',
    fix: { compose: 'deploy: { resources: { limits: { memory: 512m } } }   (or mem_limit: 512m)', run: 'docker run --memory 512m …' },
    evaluate: (d) => (d.facts.memoryLimit === 0 ? { field: 'HostConfig.Memory', value: '0' } : null),
  },
  {
    id: '5.12', title: 'No CPU limit or priority', severity: 'low', mitre: ['T1496'],
    why: 'Without CPU shares or a CPU limit a busy or hijacked container starves the others.',
    fix: { compose: 'deploy: { resources: { limits: { cpus: "1.0" } } }   (or cpu_shares: 512)', run: 'docker run --cpus 1 …  (or --cpu-shares 512)' },
    evaluate: (d) => (d.facts.cpuShares === 0 && d.facts.nanoCpus === 0 ? { field: 'HostConfig.CpuShares/NanoCpus', value: '0/0' } : null),
  },
  {
    id: '5.13', title: 'Root filesystem writable', severity: 'medium', mitre: ['T1525', 'T1105'],
    why: 'A writable root filesystem lets an attacker drop tools and change binaries; read-only makes drift impossible.',
    fix: { compose: 'read_only: true\ntmpfs: ["/tmp"]   (plus volumes for data the app writes)', run: 'docker run --read-only --tmpfs /tmp …' },
    evaluate: (d) => (d.facts.readonlyRootfs ? null : { field: 'HostConfig.ReadonlyRootfs', value: 'false' }),
  },
  {
    id: '5.14', title: 'Port bound to all host interfaces', severity: 'low', mitre: [],
    why: 'A port published on 0.0.0.0 is reachable from every network the host is on, not just the one intended.',
    fix: { compose: 'ports: ["127.0.0.1:8080:80"]', run: 'docker run -p 127.0.0.1:8080:80 …' },
    evaluate: (d) => {
      const bad = d.ports.filter((p) => p.hostPort !== undefined && p.hostPort > 0 && (!p.hostIp || p.hostIp === '0.0.0.0' || p.hostIp === '::'));
      return bad.length ? { field: 'NetworkSettings.Ports[].HostIp', value: bad.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`).join(', ') } : null;
    },
  },
  {
    id: '5.15', title: 'Restart policy not capped at 5 retries', severity: 'low', mitre: ['T1499'],
    why: 'An unbounded restart loop hides a crashing or exploited container and can exhaust the host.',
    fix: { compose: 'restart: on-failure:5', run: 'docker run --restart on-failure:5 …' },
    evaluate: (d) => {
      const r = d.facts.restartPolicy;
      if (r.name === 'always' || r.name === 'unless-stopped') return { field: 'HostConfig.RestartPolicy', value: r.name };
      if (r.name === 'on-failure' && (r.maximumRetryCount === 0 || r.maximumRetryCount > 5)) return { field: 'HostConfig.RestartPolicy', value: `on-failure:${r.maximumRetryCount}` };
      return null;
    },
  },
  {
    id: '5.16', title: 'Host PID namespace shared', severity: 'high', mitre: ['T1611', 'T1057'],
    why: 'With --pid host the container sees and can signal or trace every host process, and reach the host root via /proc/1/root.',
    fix: { compose: 'remove `pid: host`', run: 'docker run … (without --pid host)' },
    evaluate: (d) => (isHostMode(d.facts.pidMode) ? { field: 'HostConfig.PidMode', value: 'host' } : null),
  },
  {
    id: '5.17', title: 'Host IPC namespace shared', severity: 'high', mitre: ['T1611'],
    why: 'With --ipc host the container can read and write host shared memory segments.',
    fix: { compose: 'remove `ipc: host`', run: 'docker run … (without --ipc host)' },
    evaluate: (d) => (isHostMode(d.facts.ipcMode) ? { field: 'HostConfig.IpcMode', value: 'host' } : null),
  },
  {
    id: '5.20', title: 'Mount propagation shared', severity: 'medium', mitre: ['T1611'],
    why: 'Shared propagation lets mounts made inside the container appear on the host (and vice versa).',
    fix: { compose: 'volumes: use the default propagation (rprivate); remove `bind: { propagation: shared }`', run: 'docker run -v src:dst (no :shared / :rshared) …' },
    evaluate: (d) => {
      const bad = d.facts.mounts.filter((m) => m.propagation === 'shared' || m.propagation === 'rshared');
      return bad.length ? { field: 'Mounts[].Propagation', value: bad.map((m) => `${m.destination}:${m.propagation}`).join(', ') } : null;
    },
  },
  {
    id: '5.21', title: 'Host UTS namespace shared', severity: 'medium', mitre: ['T1611'],
    why: 'With --uts host the container can change the host\'s hostname.',
    fix: { compose: 'remove `uts: host`', run: 'docker run … (without --uts host)' },
    evaluate: (d) => (isHostMode(d.facts.utsMode) ? { field: 'HostConfig.UTSMode', value: 'host' } : null),
  },
  {
    id: '5.22', title: 'Seccomp disabled', severity: 'high', mitre: ['T1611', 'T1068'],
    why: 'Without seccomp every syscall reaches the kernel, including the ones most kernel exploits and escapes need.',
    fix: { compose: 'remove `security_opt: ["seccomp=unconfined"]` (or point it at a custom profile)', run: 'docker run … (without --security-opt seccomp=unconfined)' },
    evaluate: (d) => (d.facts.securityOpt.some((o) => /^seccomp[=:]unconfined$/.test(o)) ? { field: 'HostConfig.SecurityOpt', value: 'seccomp=unconfined' } : null),
  },
  {
    id: '5.25', title: 'Custom cgroup parent', severity: 'info', mitre: [],
    why: 'A custom cgroup parent moves the container out of Docker\'s resource accounting; confirm it is intended.',
    fix: { compose: 'remove `cgroup_parent:` unless your platform requires it', run: 'docker run … (without --cgroup-parent)' },
    evaluate: (d) => (d.facts.cgroupParent ? { field: 'HostConfig.CgroupParent', value: d.facts.cgroupParent } : null),
  },
  {
    id: '5.26', title: 'Privilege escalation not blocked (no-new-privileges)', severity: 'medium', mitre: ['T1548.001'],
    why: 'Without no-new-privileges a setuid binary or file capability can raise a process\'s privileges inside the container.',
    fix: { compose: 'security_opt: ["no-new-privileges:true"]', run: 'docker run --security-opt no-new-privileges …' },
    evaluate: (d) => (d.facts.securityOpt.some((o) => /^no-new-privileges(?:[:=]true)?$/.test(o)) ? null : { field: 'HostConfig.SecurityOpt', value: d.facts.securityOpt.join(',') || '(none)' }),
  },
  {
    id: '5.27', title: 'Container health not checked', severity: 'low', mitre: [],
    why: 'Without a health status nobody notices a container that runs but no longer serves (or was replaced by something else).',
    fix: { compose: 'healthcheck: { test: ["CMD", "wget", "-qO-", "http://localhost:8080/health"], interval: 30s }', run: 'docker run --health-cmd "wget -qO- http://localhost:8080/health" …' },
    evaluate: (d) => (d.state === 'running' && !d.facts.healthStatus ? { field: 'State.Health', value: '(none)' } : null),
  },
  {
    id: '5.29', title: 'No PIDs limit', severity: 'medium', mitre: ['T1499'],
    why: 'Without a PIDs limit a fork bomb in one container exhausts the host\'s process table.',
    fix: { compose: 'pids_limit: 200   (or deploy.resources.limits.pids)', run: 'docker run --pids-limit 200 …' },
    evaluate: (d) => (d.facts.pidsLimit === null || d.facts.pidsLimit <= 0 ? { field: 'HostConfig.PidsLimit', value: String(d.facts.pidsLimit) } : null),
  },
  {
    id: '5.31', title: 'Host user namespace shared', severity: 'medium', mitre: ['T1611'],
    why: 'With --userns host, root in the container is root on the host even where user-namespace remapping is configured.',
    fix: { compose: 'remove `userns_mode: host`', run: 'docker run … (without --userns host)' },
    evaluate: (d) => (isHostMode(d.facts.usernsMode) ? { field: 'HostConfig.UsernsMode', value: 'host' } : null),
  },
  {
    id: '5.32', title: 'Docker socket mounted', severity: 'critical', mitre: ['T1611', 'T1612', 'T1613'],
    why: 'The Docker socket gives full control of the engine: anyone in the container can start a privileged container and own the host.',
    fix: { compose: 'volumes: remove `/var/run/docker.sock:/var/run/docker.sock`; if a tool needs the API, use a filtering proxy', run: 'docker run … (without -v /var/run/docker.sock:…)' },
    evaluate: (d) => {
      const bad = d.facts.mounts.filter((m) => RUNTIME_SOCKETS.includes(m.source) || m.source.endsWith('/docker.sock'));
      return bad.length ? { field: 'Mounts[].Source', value: bad.map((m) => `${m.source}:${m.destination}`).join(', ') } : null;
    },
  },
  {
    id: '4.1', title: 'Runs as root', severity: 'medium', mitre: ['T1611', 'T1068'],
    why: 'A process running as root in the container is root on the host if it escapes, and can change anything in the container.',
    fix: { compose: 'user: "10001:10001"   (better: USER 10001 in the Dockerfile)', run: 'docker run --user 10001:10001 …  (better: USER in the Dockerfile)' },
    evaluate: (d) => {
      const u = d.facts.user.trim();
      const name = u.split(':')[0];
      return u === '' || name === 'root' || name === '0' ? { field: 'Config.User', value: u || '(empty: root)' } : null;
    },
  },
  {
    id: '4.6', title: 'Image has no HEALTHCHECK', severity: 'low', mitre: [],
    why: 'Without a HEALTHCHECK the engine cannot tell a hung or hijacked service from a healthy one.',
    fix: { compose: 'healthcheck: { test: ["CMD", "/app/healthcheck"] }   (better: HEALTHCHECK in the Dockerfile)', run: 'docker run --health-cmd /app/healthcheck …  (better: HEALTHCHECK in the Dockerfile)' },
    evaluate: (d) => (d.facts.healthcheck ? null : { field: 'Config.Healthcheck', value: '(none)' }),
  },
  {
    id: '4.10', title: 'Secrets in environment variables', severity: 'high', mitre: ['T1552.001'],
    why: 'Environment variables are visible in docker inspect, /proc/*/environ and crash dumps; secrets there leak easily.',
    fix: { compose: 'secrets: [db_password] and read /run/secrets/db_password (or VAR_FILE=/run/secrets/…)', run: 'docker run --mount type=bind,src=./secret,dst=/run/secrets/db_password,ro … and read the file' },
    evaluate: (d) => {
      const names = d.facts.env
        .map((e) => { const i = e.indexOf('='); return [i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1)] as const; })
        .filter(([k, v]) => SECRET_ENV.test(k) && !/_FILE$/i.test(k) && v !== '' && !v.startsWith('/run/secrets/'))
        .map(([k]) => k);
      // Names only: the values are the secret.
      return names.length ? { field: 'Config.Env', value: names.join(', ') } : null;
    },
  },
];

export interface PostureOptions {
  host?: PostureHost;
  /** Keys from `expectedPostureKeys()` (user-marked expectations): matching findings get status "expected". */
  expected?: ReadonlySet<string>;
  /** Only these check ids (default: all). */
  only?: ReadonlySet<string>;
  hash?: (s: string) => string;
}

export const postureRuleId = (cisId: string) => `cis-docker-${cisId}`;

/** Keys a "mark as expected" entry can carry for a posture check, most specific first. */
export function postureExpectationKeys(cisId: string, d: Pick<ContainerDetail, 'image' | 'composeProject' | 'composeService'>): string[] {
  const keys = [`${cisId}:image:${imageRepository(d.image)}`];
  if (d.composeProject && d.composeService) keys.unshift(`${cisId}:service:${d.composeProject}/${d.composeService}`);
  return keys;
}

function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  return colon > rest.lastIndexOf('/') ? rest.slice(0, colon) : rest;
}

/** Runs every check on one container; returns one Finding per failed check. Pure, no events needed. */
export function runPostureChecks(d: ContainerDetail, opts: PostureOptions = {}): Finding[] {
  const host = opts.host ?? {};
  const hash = opts.hash ?? sha256Hex;
  const now = Date.now();
  const out: Finding[] = [];
  for (const c of POSTURE_CHECKS) {
    if (opts.only && !opts.only.has(c.id)) continue;
    const r = c.evaluate(d, host);
    if (!r) continue;
    const ruleId = postureRuleId(c.id);
    const expected = opts.expected && postureExpectationKeys(c.id, d).some((k) => opts.expected!.has(k));
    out.push({
      fingerprint: hash(`${ruleId}|${imageKey(d.image, d.facts.imageDigest)}|${c.id}:${d.name}`),
      ruleId,
      title: `${c.title} (CIS ${c.id}) in ${d.name}`,
      source: 'posture',
      severity: r.severity ?? c.severity,
      mitre: c.mitre,
      why: c.why,
      fix: `compose: ${c.fix.compose}\ndocker run: ${c.fix.run}`,
      container: { id: d.id, name: d.name, image: d.image, imageDigest: d.facts.imageDigest },
      composeProject: d.composeProject,
      composeService: d.composeService,
      evidence: { events: [], field: r.field, value: r.value },
      count: 1,
      first: d.startedAt ?? d.createdAt ?? now,
      last: now,
      status: expected ? 'expected' : 'open',
    });
  }
  return out;
}
