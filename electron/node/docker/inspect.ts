// Maps Docker's list and inspect JSON onto Glasshouse's container model (the security-relevant facts).
import type { ContainerListEntry } from './answers';
import type { ContainerDetail, ContainerFacts, ContainerState, ContainerSummary, PortBinding } from '../../common/model/container';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

function asState(s: string | undefined): ContainerState {
  return (STATES as readonly string[]).includes(s ?? '') ? (s as ContainerState) : 'exited';
}

function parseTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** A catalog row from one `GET /containers/json` entry. */
export function summaryFromListEntry(c: ContainerListEntry): ContainerSummary {
  const labels = c.Labels ?? {};
  const ports: PortBinding[] = (c.Ports ?? []).map((p) => ({
    containerPort: p.PrivatePort,
    protocol: (p.Type as PortBinding['protocol']) ?? 'tcp',
    ...(p.IP ? { hostIp: p.IP } : {}),
    ...(p.PublicPort ? { hostPort: p.PublicPort } : {}),
  }));
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    state: asState(c.State),
    status: c.Status ?? '',
    createdAt: (c.Created ?? 0) * 1000,
    ports,
    labels,
    ...(labels[COMPOSE_PROJECT] ? { composeProject: labels[COMPOSE_PROJECT] } : {}),
    ...(labels[COMPOSE_SERVICE] ? { composeService: labels[COMPOSE_SERVICE] } : {}),
  };
}

/** Loosely typed inspect JSON (checked by parseInspect in answers.ts before it gets here): engines differ. */
type Inspect = Record<string, any>;

export function summaryFromInspect(i: Inspect): ContainerSummary {
  const labels: Record<string, string> = i.Config?.Labels ?? {};
  const ports: PortBinding[] = [];
  for (const [key, bindings] of Object.entries((i.NetworkSettings?.Ports ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>)) {
    const [port, proto] = key.split('/');
    const base = { containerPort: Number(port), protocol: (proto ?? 'tcp') as PortBinding['protocol'] };
    if (!bindings?.length) ports.push(base);
    for (const b of bindings ?? []) ports.push({ ...base, hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  const state = i.State?.Paused ? 'paused' : asState(i.State?.Status);
  return {
    id: i.Id ?? '',
    name: String(i.Name ?? '').replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image ?? '',
    imageId: i.Image ?? '',
    state,
    status: state === 'running' ? 'Up' : (i.State?.Status ?? ''),
    createdAt: parseTime(i.Created) ?? 0,
    ...(state === 'running' || state === 'paused' ? { startedAt: parseTime(i.State?.StartedAt) } : {}),
    ports,
    labels,
    ...(labels[COMPOSE_PROJECT] ? { composeProject: labels[COMPOSE_PROJECT] } : {}),
    ...(labels[COMPOSE_SERVICE] ? { composeService: labels[COMPOSE_SERVICE] } : {}),
  };
}

/** The security-relevant parts of inspect. */
export function factsFromInspect(i: Inspect): ContainerFacts {
  const hc: Record<string, any> = i.HostConfig ?? {};
  const cfg: Record<string, any> = i.Config ?? {};
  const networks = Object.entries((i.NetworkSettings?.Networks ?? {}) as Record<string, { IPAddress?: string; Aliases?: string[] | null }>)
    .map(([name, n]) => ({ name, ipAddress: n.IPAddress ?? '', aliases: n.Aliases ?? [] }));
  const asArray = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);
  // Engines differ ("CAP_NET_ADMIN" from Docker 20.10, "NET_ADMIN" from newer ones): keep the compose spelling.
  const caps = (v: unknown) => asArray(v).map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  return {
    user: cfg.User ?? '',
    privileged: !!hc.Privileged,
    capAdd: caps(hc.CapAdd),
    capDrop: caps(hc.CapDrop),
    readonlyRootfs: !!hc.ReadonlyRootfs,
    securityOpt: asArray(hc.SecurityOpt),
    apparmorProfile: i.AppArmorProfile ?? '',
    networkMode: hc.NetworkMode ?? '',
    pidMode: hc.PidMode ?? '',
    ipcMode: hc.IpcMode ?? '',
    utsMode: hc.UTSMode ?? '',
    usernsMode: hc.UsernsMode ?? '',
    cgroupParent: hc.CgroupParent ?? '',
    mounts: ((i.Mounts ?? []) as Array<Record<string, any>>).map((m) => ({
      type: m.Type ?? '', source: m.Source ?? '', destination: m.Destination ?? '', readOnly: m.RW === false,
      ...(m.Propagation ? { propagation: m.Propagation } : {}),
    })),
    devices: ((hc.Devices ?? []) as Array<{ PathOnHost?: string }>).map((d) => d.PathOnHost ?? ''),
    memoryLimit: hc.Memory ?? 0,
    nanoCpus: hc.NanoCpus ?? 0,
    cpuShares: hc.CpuShares ?? 0,
    pidsLimit: hc.PidsLimit ?? null,
    restartPolicy: { name: hc.RestartPolicy?.Name ?? '', maximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 },
    healthcheck: !!cfg.Healthcheck && !(cfg.Healthcheck.Test?.[0] === 'NONE'),
    ...(i.State?.Health?.Status ? { healthStatus: i.State.Health.Status } : {}),
    env: asArray(cfg.Env),
    networks,
    entrypoint: asArray(cfg.Entrypoint),
    cmd: asArray(cfg.Cmd),
    workingDir: cfg.WorkingDir ?? '',
    pid: i.State?.Pid ?? 0,
    ulimits: ((hc.Ulimits ?? []) as Array<{ Name: string; Soft: number; Hard: number }>).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
  };
}

export function toContainerDetail(i: Inspect, imageDigest?: string): ContainerDetail {
  const facts = factsFromInspect(i);
  if (imageDigest) facts.imageDigest = imageDigest;
  return { ...summaryFromInspect(i), facts };
}
