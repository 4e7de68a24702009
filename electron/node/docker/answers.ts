// Docker Engine API answers are parsed here, where they enter: an answer of an unexpected shape becomes a
// counted DockerAnswerError with a sentence, never a poisoned row. Schemas name only the fields Glasshouse reads
// and let every other field through (Docker 20.10, 26 and Podman's compat API differ in what they add or omit).
// Recorded real answers: test/fixtures/docker/<engine>/ (re-record with test/fixtures/docker/record.mjs).
import type Dockerode from 'dockerode';
import { z } from 'zod';
import type { AnswerRejectTally } from '../../common/ipc/contract';
import { DockerAnswerError as SkippedAnswer } from '../../common/ipc/errors';
import type { DockerDiffEntry } from '../../common/state/fileTable';

/** What a skipped answer costs the user, per API call: the second half of the error's sentence. */
const MEANING = {
  'container inspect': 'Glasshouse cannot show or judge this container\'s configuration',
  'container list': 'this container is left out of the container list',
  'container top': 'its process list is not shown',
  'container stats': 'this resource sample is missing from the resource chart',
  'container diff': 'its file changes from `docker diff` are missing',
  'engine event': 'this engine event was ignored, so the container list or the exec check may lag until the next change',
  'exec inspect': 'this `docker exec` is not judged (privileged or root exec)',
  'engine version': 'Glasshouse cannot tell which API the engine speaks and does not use it',
  'engine info': 'the sensor preflight cannot tell the engine\'s cgroup driver, rootless mode or runtimes',
} as const;
export type DockerCall = keyof typeof MEANING;

/** Rejected answers per API call, with the last sentence: for status and tests. */
const rejects = new Map<DockerCall, { count: number; last: string }>();
const listeners = new Set<() => void>();

export function answerRejects(): Record<string, number> {
  return Object.fromEntries([...rejects].map(([call, r]) => [call, r.count]));
}

/** Every call with a rejected answer since start: how many and the last sentence, for status reports. */
export function answerRejectTallies(): AnswerRejectTally[] {
  return [...rejects].map(([call, r]) => ({ call, count: r.count, last: r.last }));
}

/** Calls `fn` after each rejected answer; returns a function that stops. */
export function onAnswerReject(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The engine-side error: which call, for what, and what was wrong; it crosses IPC as the common DockerAnswerError. */
export class DockerAnswerError extends SkippedAnswer {
  constructor(readonly call: DockerCall, readonly subject: string | undefined, readonly problem: string) {
    super(`The container engine answered ${call}${subject ? ` for ${subject}` : ''} with an unexpected shape ` +
      `(${problem}): ${MEANING[call]}. This answer was skipped.`,
    'Check that the engine is Docker or a Docker-compatible API (Podman compat), and report the engine version if it persists.',
    'EANSWER');
  }
}

function reject(call: DockerCall, subject: string | undefined, problem: string): DockerAnswerError {
  const err = new DockerAnswerError(call, subject, problem);
  rejects.set(call, { count: (rejects.get(call)?.count ?? 0) + 1, last: err.message });
  for (const fn of listeners) {
    try { fn(); } catch { /* a status listener's failure is not the answer's */ }
  }
  return err;
}

/** The start of a body that is not JSON (an HTML error page from a proxy, say), printable and short. */
function excerpt(text: string): string {
  const s = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
  return s.length < text.length ? `${s}…` : s;
}

/** dockerode hands some bodies back as a Buffer or string (e.g. `null\n`); turn them into JSON values. */
function bodyJson(call: DockerCall, subject: string | undefined, body: unknown): unknown {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') {
    const text = Buffer.from(body as Uint8Array | string).toString('utf8').trim();
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw reject(call, subject, `the body is not JSON: "${excerpt(text)}"`);
    }
  }
  return body;
}

function parse<S extends z.ZodType>(schema: S, call: DockerCall, subject: string | undefined, body: unknown): z.output<S> {
  const r = schema.safeParse(bodyJson(call, subject, body));
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw reject(call, subject, i ? `${i.path.join('.') || 'the answer'}: ${i.message}` : 'invalid');
}

const forContainer = (id: string) => `container ${id.slice(0, 12)}`;

// Docker sends null for an empty list or map in many places (Binds, CapAdd, Labels of an image without any).
const StrList = z.array(z.string());
const StrOrList = z.union([z.string(), StrList]).nullish();
const Labels = z.record(z.string(), z.string()).nullish();
const int = z.number().int();

// --- container diff -------------------------------------------------------------------------------------------

const DiffEntry = z.looseObject({ Path: z.string().min(1), Kind: z.union([z.literal(0), z.literal(1), z.literal(2)]) });
const Diff = z.array(DiffEntry).nullable();

/** GET /containers/{id}/changes: `null`, an empty body and a Buffer body are all valid; `null` is no change. */
export function parseDiff(containerId: string, body: unknown): DockerDiffEntry[] {
  return (parse(Diff, 'container diff', forContainer(containerId), body) ?? []).map((d) => ({ Path: d.Path, Kind: d.Kind }));
}

// --- container inspect ----------------------------------------------------------------------------------------

const Inspect = z.looseObject({
  Id: z.string().min(1),
  Name: z.string(),
  Image: z.string(),
  Created: z.string(),
  AppArmorProfile: z.string().optional(),
  ExecIDs: StrList.nullish(),
  State: z.looseObject({
    Status: z.string(),
    Running: z.boolean(),
    Paused: z.boolean(),
    Pid: int,
    StartedAt: z.string().optional(),
    Health: z.looseObject({ Status: z.string() }).nullish(),
  }),
  Config: z.looseObject({
    Image: z.string(),
    User: z.string().optional(),
    Tty: z.boolean().optional(),
    WorkingDir: z.string().optional(),
    Labels,
    Env: StrList.nullish(),
    Entrypoint: StrOrList,
    Cmd: StrOrList,
    Healthcheck: z.looseObject({ Test: StrList.nullish() }).nullish(),
  }),
  // Required: without it the posture checks would judge a container unprivileged by default.
  HostConfig: z.looseObject({
    Privileged: z.boolean().optional(),
    CapAdd: StrOrList,
    CapDrop: StrOrList,
    ReadonlyRootfs: z.boolean().optional(),
    SecurityOpt: StrOrList,
    NetworkMode: z.string().optional(),
    PidMode: z.string().optional(),
    IpcMode: z.string().optional(),
    UTSMode: z.string().optional(),
    UsernsMode: z.string().optional(),
    CgroupParent: z.string().optional(),
    Devices: z.array(z.looseObject({ PathOnHost: z.string().optional() })).nullish(),
    Memory: z.number().optional(),
    NanoCpus: z.number().optional(),
    CpuShares: z.number().optional(),
    PidsLimit: z.number().nullish(),
    RestartPolicy: z.looseObject({ Name: z.string().optional(), MaximumRetryCount: z.number().optional() }).nullish(),
    Ulimits: z.array(z.looseObject({ Name: z.string(), Soft: z.number(), Hard: z.number() })).nullish(),
  }),
  Mounts: z.array(z.looseObject({
    Type: z.string().optional(), Source: z.string().optional(), Destination: z.string(), RW: z.boolean().optional(),
    Propagation: z.string().optional(),
  })).nullish(),
  NetworkSettings: z.looseObject({
    Ports: z.record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() })).nullable()).nullish(),
    Networks: z.record(z.string(), z.looseObject({ IPAddress: z.string().optional(), Aliases: StrList.nullish() })).nullish(),
  }).nullish(),
});
export type ContainerInspect = z.output<typeof Inspect>;

/** GET /containers/{id}/json. */
export function parseInspect(containerId: string, body: unknown): ContainerInspect {
  return parse(Inspect, 'container inspect', forContainer(containerId), body);
}

/**
 * Inspects a container and checks the fields Glasshouse reads; the answer is handed on whole (typed as dockerode's),
 * so actions that send parts of it back to the engine (restart clean) lose nothing.
 */
export async function inspectInfo(docker: Dockerode, id: string, opts?: { size?: boolean }): Promise<Dockerode.ContainerInspectInfo> {
  const c = docker.getContainer(id);
  // size: true adds SizeRootFs/SizeRw, which the typings do not declare as an option.
  const body: unknown = opts?.size ? await (c.inspect as (o: object) => Promise<unknown>).call(c, { size: true }) : await c.inspect();
  parseInspect(id, body);
  return body as Dockerode.ContainerInspectInfo;
}

// --- container list -------------------------------------------------------------------------------------------

const ListEntry = z.looseObject({
  Id: z.string().min(1),
  Names: StrList.nullish(),
  Image: z.string(),
  ImageID: z.string(),
  Created: z.number(),
  State: z.string(),
  Status: z.string().optional(),
  Ports: z.array(z.looseObject({
    PrivatePort: int, PublicPort: int.optional(), Type: z.string(), IP: z.string().optional(),
  })).nullish(),
  Labels,
});
export type ContainerListEntry = z.output<typeof ListEntry>;

/**
 * GET /containers/json. One malformed entry is left out and counted (named by its id when it has one); the rest of
 * the list stays. An answer that is not a list at all throws.
 */
export function parseContainerList(body: unknown): ContainerListEntry[] {
  const list = parse(z.array(z.unknown()), 'container list', undefined, body);
  const out: ContainerListEntry[] = [];
  list.forEach((entry, n) => {
    const id = (entry as { Id?: unknown } | null)?.Id;
    try {
      out.push(parse(ListEntry, 'container list', typeof id === 'string' && id ? forContainer(id) : `entry ${n + 1}`, entry));
    } catch { /* counted and named in reject() */ }
  });
  return out;
}

/** Lists containers (all or only running) through the schema. */
export async function listContainers(docker: Dockerode, all: boolean): Promise<ContainerListEntry[]> {
  return parseContainerList(await docker.listContainers({ all }));
}

// --- container top --------------------------------------------------------------------------------------------

// Processes is null, not [], where an engine found no process.
const Top = z.looseObject({ Titles: StrList, Processes: z.array(StrList).nullable() });

/** Whether a body is empty (dockerode hands an empty answer on as a zero-length Buffer). */
export function isEmptyAnswer(body: unknown): boolean {
  if (body === undefined || body === null) return true;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') return Buffer.from(body as Uint8Array | string).toString('utf8').trim() === '';
  return false;
}

/**
 * GET /containers/{id}/top. Podman 4.3 differs: it runs ps(1) inside the container, answers an empty 200 body (not an
 * error status) when that fails (no ps, ps rejects the arguments, the container is paused or stopped), and with
 * busybox's ps sends each row (and the titles) as one string rather than one string per column: those are split
 * into columns here (the last column, the command, keeps its spaces), so every engine's answer reads the same.
 */
export function parseTop(containerId: string, body: unknown): { Titles: string[]; Processes: string[][] } {
  const t = parse(Top, 'container top', forContainer(containerId), body);
  return splitOneStringRows({ Titles: t.Titles, Processes: t.Processes ?? [] });
}

function splitOneStringRows(t: { Titles: string[]; Processes: string[][] }): { Titles: string[]; Processes: string[][] } {
  const titles = t.Titles.length === 1 ? t.Titles[0].trim().split(/\s+/) : [];
  if (titles.length < 2 || !t.Processes.every((r) => r.length === 1)) return t;
  return {
    Titles: titles,
    Processes: t.Processes.map(([row]) => {
      const cells = row.trim().split(/\s+/);
      return [...cells.slice(0, titles.length - 1), cells.slice(titles.length - 1).join(' ')];
    }),
  };
}

// --- container stats ------------------------------------------------------------------------------------------

const CpuStats = z.looseObject({
  cpu_usage: z.looseObject({ total_usage: z.number().optional(), percpu_usage: z.array(z.number()).nullish() }).optional(),
  system_cpu_usage: z.number().optional(),
  online_cpus: z.number().optional(),
});
// A stopped container's one-shot answer has read = 0001-01-01…, empty memory_stats and pids_stats, no networks.
const Stats = z.looseObject({
  read: z.string(),
  cpu_stats: CpuStats.optional(),
  precpu_stats: CpuStats.optional(),
  memory_stats: z.looseObject({
    usage: z.number().optional(), limit: z.number().optional(), stats: z.record(z.string(), z.number()).optional(),
  }).optional(),
  pids_stats: z.looseObject({ current: z.number().optional(), limit: z.number().optional() }).optional(),
  networks: z.record(z.string(), z.looseObject({ rx_bytes: z.number().optional(), tx_bytes: z.number().optional() })).nullish(),
});
export type ContainerStats = z.output<typeof Stats>;

/** One document of GET /containers/{id}/stats (a stream line, or the one-shot answer). */
export function parseStats(containerId: string, body: unknown): ContainerStats {
  return parse(Stats, 'container stats', forContainer(containerId), body);
}

// --- events ---------------------------------------------------------------------------------------------------

// API ≥ 1.22 events carry Type/Action/Actor; the older status/id/from fields beside them are not read.
const Event = z.looseObject({
  Type: z.string(),
  Action: z.string(),
  Actor: z.looseObject({ ID: z.string(), Attributes: z.record(z.string(), z.string()).nullish() }),
  time: z.number().optional(),
  timeNano: z.number().optional(),
});
export type EngineEvent = z.output<typeof Event>;

/** One line of GET /events. Each follower of the stream parses (and counts) its own copy of a line. */
export function parseEvent(line: string | Buffer): EngineEvent {
  return parse(Event, 'engine event', undefined, Buffer.isBuffer(line) ? line : Buffer.from(line));
}

// --- exec inspect ---------------------------------------------------------------------------------------------

const ExecInspect = z.looseObject({
  ID: z.string().min(1),
  ContainerID: z.string().min(1),
  Running: z.boolean(),
  ExitCode: int.nullable(),
  Pid: int.optional(),
  Privileged: z.boolean().optional(),
  ProcessConfig: z.looseObject({
    privileged: z.boolean().optional(),
    user: z.string().optional(),
    entrypoint: z.string(),
    arguments: StrList.nullish(),
  }),
});
export type ExecInspectAnswer = z.output<typeof ExecInspect>;

/** GET /exec/{id}/json. */
export function parseExecInspect(execId: string, body: unknown): ExecInspectAnswer {
  return parse(ExecInspect, 'exec inspect', `exec ${execId.slice(0, 12)}`, body);
}

/** Inspects an exec through the schema. */
export async function inspectExec(exec: Dockerode.Exec): Promise<ExecInspectAnswer> {
  return parseExecInspect(exec.id, await exec.inspect());
}

// --- version and info -----------------------------------------------------------------------------------------

const Version = z.looseObject({
  Version: z.string().min(1),
  ApiVersion: z.string().regex(/^\d+\.\d+$/, 'a version like 1.41'),
  Os: z.string(),
  Arch: z.string(),
});
export type EngineVersion = z.output<typeof Version>;

/** GET /version. */
export function parseVersion(body: unknown): EngineVersion {
  return parse(Version, 'engine version', undefined, body);
}

const Info = z.looseObject({
  OperatingSystem: z.string(),
  SecurityOptions: StrList.nullish(),
  Runtimes: z.record(z.string(), z.unknown()).nullish(),
  DefaultRuntime: z.string().optional(),
  CgroupDriver: z.string().optional(),
  CgroupVersion: z.string().optional(),
});
export type EngineInfo = z.output<typeof Info>;

/** GET /info. */
export function parseInfo(body: unknown): EngineInfo {
  return parse(Info, 'engine info', undefined, body);
}
