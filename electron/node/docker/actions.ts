// Incident-response actions on one container: pause/unpause/stop/kill, isolate (and undo), restart clean.
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { ActionResult, IsolatedNetwork, IsolationRecord } from '../../common/ipc/response';
import { GlasshouseError, NotFoundError } from '../../common/ipc/errors';
import { inspectInfo } from './answers';

/** One entry of the response journal: kept in the active recording when there is one. */
export interface ActionJournalEntry {
  ts: number;
  action: string;
  containerId: string;
  containerName: string;
  outcome: 'done' | 'failed';
  message: string;
  detail?: unknown;
}
export type ActionJournal = (entry: ActionJournalEntry) => void | Promise<void>;

export interface ActionContext {
  docker: Dockerode;
  /** Where isolation records live (survive a restart of Glasshouse): <dataDir>/isolation/<id>.json. */
  dataDir: string;
  journal?: ActionJournal;
}

type DockerErr = { statusCode?: number; json?: { message?: string }; reason?: string; message?: string };
const dockerMessage = (err: unknown) => {
  const e = err as DockerErr;
  return String(e?.json?.message ?? e?.message ?? e?.reason ?? err).replace(/^\(HTTP code \d+\)[^-]*- /, '').replace(/\s+$/, '');
};
export const isGone = (err: unknown) => (err as DockerErr)?.statusCode === 404 && /no such container/i.test(dockerMessage(err));

/** After a failure: is the container itself gone? (Docker then reports odd things, e.g. "endpoint … not found".) */
export async function hasVanished(docker: Dockerode, id: string, err: unknown): Promise<boolean> {
  if (isGone(err)) return true;
  try {
    await docker.getContainer(id).inspect();
    return false;
  } catch (e) {
    return (e as DockerErr)?.statusCode === 404;
  }
}

/** The container vanished while we were working on it. */
export function vanished(name: string, doing: string, undone: string): NotFoundError {
  return new NotFoundError(`Container "${name}" vanished while ${doing}.`, `${undone} Pick the container again from the list if it comes back.`);
}

/** Turns an engine refusal into a sentence naming the action and the container. */
export function refusal(err: unknown, name: string, doing: string): GlasshouseError {
  if (err instanceof GlasshouseError) return err;
  const e = err as DockerErr;
  const msg = dockerMessage(err);
  if (isGone(err)) return new NotFoundError(`There is no container "${name}" (any more).`, 'It may have been removed; pick another one from the list.');
  if (e?.statusCode === 409 || e?.statusCode === 304) {
    return new GlasshouseError(`Docker refused ${doing} "${name}": ${msg}.`, 'Check its state (docker ps -a) and try the matching action.', 'ECONFLICT');
  }
  return new GlasshouseError(`Docker failed ${doing} "${name}": ${msg}.`, 'Check `docker info` and the engine logs on the same machine.', e?.statusCode ? `E${e.statusCode}` : undefined);
}

async function inspectOrGone(docker: Dockerode, id: string): Promise<Dockerode.ContainerInspectInfo> {
  try {
    return await inspectInfo(docker, id);
  } catch (err) {
    throw refusal(err, id, 'inspecting');
  }
}

const nameOf = (info: Dockerode.ContainerInspectInfo) => info.Name.replace(/^\//, '');

/** A journal that appends to <dataDir>/actions.jsonl: what was done to which container survives any recording. */
export function fileJournal(dataDir: string): ActionJournal {
  return async (e) => {
    await mkdir(dataDir, { recursive: true });
    await appendFile(join(dataDir, 'actions.jsonl'), `${JSON.stringify(e)}\n`);
  };
}

async function journal(ctx: ActionContext, e: Omit<ActionJournalEntry, 'ts'>): Promise<void> {
  // The journal is a record, not a gate: a failing recording never blocks a response action.
  try { await ctx.journal?.({ ts: Date.now(), ...e }); } catch { /* the action itself succeeded or failed on its own */ }
}

export type SimpleAction = 'pause' | 'unpause' | 'stop' | 'kill';

const SIMPLE: Record<SimpleAction, { doing: string; done: string; run: (c: Dockerode.Container) => Promise<unknown>; already?: (i: Dockerode.ContainerInspectInfo) => string | undefined }> = {
  pause: { doing: 'pausing', done: 'paused', run: (c) => c.pause(),
    already: (i) => (i.State.Paused ? 'is already paused' : !i.State.Running ? 'is not running, so it cannot be paused' : undefined) },
  unpause: { doing: 'unpausing', done: 'unpaused', run: (c) => c.unpause(), already: (i) => (!i.State.Paused ? 'is not paused' : undefined) },
  stop: { doing: 'stopping', done: 'stopped', run: (c) => c.stop({ t: 10 }), already: (i) => (!i.State.Running ? 'is not running' : undefined) },
  kill: { doing: 'killing', done: 'killed', run: (c) => c.kill(), already: (i) => (!i.State.Running ? 'is not running' : undefined) },
};

/** pause / unpause / stop / kill with a sentence for every refusal. */
export async function simpleAction(ctx: ActionContext, id: string, action: SimpleAction): Promise<ActionResult> {
  const spec = SIMPLE[action];
  const info = await inspectOrGone(ctx.docker, id);
  const name = nameOf(info);
  const why = spec.already?.(info);
  if (why) throw new GlasshouseError(`Container "${name}" ${why}.`, 'Nothing was changed.', 'ESTATE');
  try {
    if (action === 'stop' && info.State.Paused) await ctx.docker.getContainer(info.Id).unpause(); // a paused container cannot stop cleanly
    await spec.run(ctx.docker.getContainer(info.Id));
  } catch (err) {
    const e = (await hasVanished(ctx.docker, info.Id, err)) ? vanished(name, spec.doing, 'Nothing is left to undo.') : refusal(err, name, spec.doing);
    await journal(ctx, { action, containerId: info.Id, containerName: name, outcome: 'failed', message: e.message });
    throw e;
  }
  const message = `Container "${name}" ${spec.done}.`;
  await journal(ctx, { action, containerId: info.Id, containerName: name, outcome: 'done', message });
  return { action, containerId: info.Id, name, message };
}

// ---------------------------------------------------------------------------------------------------------------
// Isolation

function isolationPath(dataDir: string, containerId: string): string {
  return join(dataDir, 'isolation', `${containerId}.json`);
}

export async function readIsolation(dataDir: string, containerId: string): Promise<IsolationRecord | undefined> {
  try {
    return JSON.parse(await readFile(isolationPath(dataDir, containerId), 'utf8')) as IsolationRecord;
  } catch {
    return undefined;
  }
}

async function writeIsolation(dataDir: string, rec: IsolationRecord): Promise<void> {
  const path = isolationPath(dataDir, rec.containerId);
  await mkdir(join(dataDir, 'isolation'), { recursive: true });
  // Written whole then renamed: a crash never leaves a half record of where the container belonged.
  await writeFile(`${path}.tmp`, JSON.stringify(rec, null, 2));
  await rename(`${path}.tmp`, path);
}

/** The isolation record of a container by id or name (resolved through Docker), if it is isolated. */
export async function isolationOf(ctx: ActionContext, id: string): Promise<IsolationRecord | undefined> {
  const info = await inspectOrGone(ctx.docker, id);
  return readIsolation(ctx.dataDir, info.Id);
}

type EndpointSettings = NonNullable<Dockerode.ContainerInspectInfo['NetworkSettings']['Networks'][string]> & {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; Links?: string[] | null; DriverOpts?: Record<string, string> | null;
};

function rememberNetworks(info: Dockerode.ContainerInspectInfo): IsolatedNetwork[] {
  const shortId = info.Id.slice(0, 12);
  return Object.entries(info.NetworkSettings?.Networks ?? {}).map(([network, raw]) => {
    const ep = raw as EndpointSettings;
    return {
      network,
      networkId: ep.NetworkID,
      // Docker adds the short id itself on reconnect; keep only aliases somebody chose.
      aliases: ((ep.Aliases ?? []) as string[]).filter((a) => a !== shortId),
      ipv4: ep.IPAddress || undefined,
      ipv6: ep.GlobalIPv6Address || undefined,
      staticIpv4: ep.IPAMConfig?.IPv4Address || undefined,
      staticIpv6: ep.IPAMConfig?.IPv6Address || undefined,
      links: ep.Links ?? undefined,
      macAddress: ep.MacAddress || undefined,
    };
  });
}

/** Reconnects one remembered network, asking for the same address first and any address if Docker refuses that. */
async function reconnect(docker: Dockerode, containerId: string, n: IsolatedNetwork): Promise<{ sameAddress: boolean }> {
  const net = docker.getNetwork(n.networkId || n.network);
  const userDefined = !['bridge', 'host', 'none'].includes(n.network);
  const base = { ...(userDefined && n.aliases.length ? { Aliases: n.aliases } : {}), ...(n.links?.length ? { Links: n.links } : {}) };
  const ipv4 = n.staticIpv4 ?? n.ipv4;
  const ipv6 = n.staticIpv6 ?? n.ipv6;
  if (userDefined && (ipv4 || ipv6)) {
    try {
      await net.connect({ Container: containerId, EndpointConfig: { ...base, IPAMConfig: { ...(ipv4 ? { IPv4Address: ipv4 } : {}), ...(ipv6 ? { IPv6Address: ipv6 } : {}) } } });
      return { sameAddress: true };
    } catch (err) {
      if (isGone(err)) throw err;
      // Docker only grants a chosen address on networks with a user-configured subnet: take any address then.
      if (!/user specified IP address|user configured subnets|Address already in use|no available IPv/i.test(dockerMessage(err))) throw err;
    }
  }
  await net.connect({ Container: containerId, EndpointConfig: base });
  return { sameAddress: !ipv4 || !userDefined };
}

/** Disconnects the container from every network, remembering each (and rolling back if any step fails). */
export async function isolateContainer(ctx: ActionContext, id: string): Promise<ActionResult & { isolation: IsolationRecord }> {
  const info = await inspectOrGone(ctx.docker, id);
  const name = nameOf(info);
  const mode = info.HostConfig?.NetworkMode ?? '';
  if (mode === 'host' || mode.startsWith('container:')) {
    throw new GlasshouseError(`Container "${name}" shares the network of ${mode === 'host' ? 'the host' : `container ${mode.slice(10)}`}, so it cannot be cut off on its own.`,
      mode === 'host' ? 'Pause or stop it instead.' : 'Isolate the container whose network it shares, or pause it.', 'ESHAREDNET');
  }
  const existing = await readIsolation(ctx.dataDir, info.Id);
  const networks = rememberNetworks(info);
  if (networks.length === 0) {
    throw new GlasshouseError(`Container "${name}" is not on any network${existing ? ': it is already isolated' : ''}.`,
      existing ? `Undo the isolation (glasshouse isolate --undo ${name}) to reconnect it.` : 'There is nothing to cut.', 'EISOLATED');
  }
  const record: IsolationRecord = { containerId: info.Id, name, isolatedAt: Date.now(), networks };
  await writeIsolation(ctx.dataDir, record);
  const done: IsolatedNetwork[] = [];
  try {
    for (const n of networks) {
      await ctx.docker.getNetwork(n.networkId || n.network).disconnect({ Container: info.Id, Force: true });
      done.push(n);
    }
  } catch (err) {
    const gone = await hasVanished(ctx.docker, info.Id, err);
    // Roll back: put back what we took, so the container is either isolated or exactly as before.
    const left: string[] = [];
    if (!gone) {
      for (const n of done.reverse()) {
        try { await reconnect(ctx.docker, info.Id, n); } catch { left.push(n.network); }
      }
    }
    if (gone || left.length === 0) await rm(isolationPath(ctx.dataDir, info.Id), { force: true });
    const e = gone ? vanished(name, 'isolating it', 'Nothing is left half-done: its isolation record was discarded.')
      : left.length ? new GlasshouseError(`Isolating "${name}" failed (${dockerMessage(err)}) and ${left.join(', ')} could not be reconnected.`,
        `The record is kept: run \`glasshouse isolate --undo ${name}\` to retry reconnecting.`, 'EPARTIAL')
        : refusal(err, name, 'isolating');
    await journal(ctx, { action: 'isolate', containerId: info.Id, containerName: name, outcome: 'failed', message: e.message, detail: record });
    throw e;
  }
  const message = `Container "${name}" is isolated: disconnected from ${networks.map((n) => n.network).join(', ')}.`;
  await journal(ctx, { action: 'isolate', containerId: info.Id, containerName: name, outcome: 'done', message, detail: record });
  return { action: 'isolate', containerId: info.Id, name, message, isolation: record };
}

/** Reconnects an isolated container to the networks it was on, with the same aliases and addresses where Docker allows. */
export async function unisolateContainer(ctx: ActionContext, id: string): Promise<ActionResult> {
  const info = await inspectOrGone(ctx.docker, id);
  const name = nameOf(info);
  const record = await readIsolation(ctx.dataDir, info.Id);
  if (!record) {
    throw new GlasshouseError(`Container "${name}" was not isolated by Glasshouse, so there is nothing to undo.`,
      `Connect it by hand if needed: docker network connect NETWORK ${name}.`, 'ENOTISOLATED');
  }
  const present = new Set(Object.keys(info.NetworkSettings?.Networks ?? {}));
  const remaining: IsolatedNetwork[] = [];
  const moved: string[] = [];
  const problems: string[] = [];
  for (const n of record.networks) {
    if (present.has(n.network)) continue; // somebody reconnected it already
    try {
      await reconnect(ctx.docker, info.Id, n);
    } catch (err) {
      if (await hasVanished(ctx.docker, info.Id, err)) {
        await rm(isolationPath(ctx.dataDir, info.Id), { force: true });
        throw vanished(name, 'reconnecting it', 'Its isolation record was discarded.');
      }
      remaining.push(n);
      problems.push(`${n.network}: ${dockerMessage(err)}`);
    }
  }
  if (remaining.length) {
    // Keep only what is still missing, so a retry does not fight the networks already back.
    await writeIsolation(ctx.dataDir, { ...record, networks: remaining });
    const e = new GlasshouseError(`Container "${name}" could not be reconnected to ${problems.join('; ')}.`,
      'The network may have been removed; recreate it and undo again, or connect by hand with docker network connect.', 'EPARTIAL');
    await journal(ctx, { action: 'unisolate', containerId: info.Id, containerName: name, outcome: 'failed', message: e.message });
    throw e;
  }
  await rm(isolationPath(ctx.dataDir, info.Id), { force: true });
  // Docker may hand the same address back even when it could not be asked for: judge by what it has now.
  // A malformed answer is counted by inspectInfo; the addresses are then simply not compared.
  const now = await inspectInfo(ctx.docker, info.Id).catch(() => undefined);
  for (const n of record.networks) {
    const ip = now?.NetworkSettings?.Networks?.[n.network]?.IPAddress;
    if (n.ipv4 && ip && ip !== n.ipv4) moved.push(`${n.network} (${n.ipv4} → ${ip})`);
  }
  const message = `Container "${name}" is reconnected to ${record.networks.map((n) => n.network).join(', ')}${moved.length ? `; new address on ${moved.join(', ')}: Docker does not allow a chosen address there` : ''}.`;
  await journal(ctx, { action: 'unisolate', containerId: info.Id, containerName: name, outcome: 'done', message, detail: record });
  return { action: 'unisolate', containerId: info.Id, name, message };
}

// ---------------------------------------------------------------------------------------------------------------
// Restart clean

export interface RestartCleanOptions {
  /** Remove the old container instead of keeping it stopped under a new name (default false: keep it for analysis). */
  removeOld?: boolean;
}

/** The image the container was created from: its name if that still means the same image, else the exact image id. */
async function originalImage(docker: Dockerode, info: Dockerode.ContainerInspectInfo): Promise<string> {
  const named = info.Config.Image;
  try {
    const img = await docker.getImage(named).inspect();
    if (img.Id === info.Image) return named;
  } catch { /* tag gone: fall back to the id */ }
  return info.Image;
}

/** Replaces a container with a fresh one from its original image and configuration. */
/**
 * An inspected HostConfig as a create request takes it back. Podman's inspect names ulimits as the kernel does
 * (`RLIMIT_NOFILE`) but its create wants Docker's names (`nofile`), and refuses its own answer otherwise.
 */
export function recreatableHostConfig(hc: Dockerode.HostConfig): Dockerode.HostConfig {
  if (!hc.Ulimits?.length) return hc;
  return { ...hc, Ulimits: hc.Ulimits.map((u) => ({ ...u, Name: u.Name?.replace(/^RLIMIT_/i, '').toLowerCase() })) };
}

export async function restartClean(ctx: ActionContext, id: string, opts: RestartCleanOptions = {}): Promise<ActionResult & { newId: string; oldName?: string }> {
  const { docker } = ctx;
  const info = await inspectOrGone(docker, id);
  const name = nameOf(info);
  const image = await originalImage(docker, info);
  const isolation = await readIsolation(ctx.dataDir, info.Id);
  // A clean instance belongs where the original did, not where an isolation left it.
  const nets: Array<{ network: string; aliases: string[] }> = isolation
    ? isolation.networks.map((n) => ({ network: n.network, aliases: n.aliases }))
    : rememberNetworks(info).map((n) => ({ network: n.network, aliases: n.aliases }));
  const cfg = info.Config;
  const hostname = cfg.Hostname && !info.Id.startsWith(cfg.Hostname) ? cfg.Hostname : undefined;
  const old = docker.getContainer(info.Id);
  const wasRunning = info.State.Running;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const oldName = `${name}-replaced-${stamp}`;
  let renamed = false;
  let created: Dockerode.Container | undefined;
  try {
    if (info.State.Paused) await old.unpause();
    if (wasRunning) await old.stop({ t: 10 });
    await old.rename({ name: oldName });
    renamed = true;
    const [first, ...rest] = nets;
    const userDefined = (n: string) => !['bridge', 'host', 'none'].includes(n);
    created = await docker.createContainer({
      name, Image: image, Cmd: cfg.Cmd ?? undefined, Entrypoint: cfg.Entrypoint ?? undefined, Env: cfg.Env ?? undefined,
      WorkingDir: cfg.WorkingDir || undefined, User: cfg.User || undefined, Labels: cfg.Labels ?? undefined,
      ExposedPorts: cfg.ExposedPorts ?? undefined, Volumes: cfg.Volumes ?? undefined, Tty: cfg.Tty, OpenStdin: cfg.OpenStdin,
      StdinOnce: cfg.StdinOnce, AttachStdin: false, AttachStdout: false, AttachStderr: false, StopSignal: (cfg as { StopSignal?: string }).StopSignal || undefined,
      Healthcheck: (cfg as { Healthcheck?: Dockerode.ContainerCreateOptions['Healthcheck'] }).Healthcheck, Hostname: hostname,
      Domainname: cfg.Domainname || undefined,
      HostConfig: { ...recreatableHostConfig(info.HostConfig as Dockerode.HostConfig), ...(first ? { NetworkMode: first.network } : {}) },
      NetworkingConfig: first && userDefined(first.network) && first.aliases.length
        ? { EndpointsConfig: { [first.network]: { Aliases: first.aliases } } } : undefined,
    });
    for (const n of rest) {
      await docker.getNetwork(n.network).connect({ Container: created.id, EndpointConfig: userDefined(n.network) && n.aliases.length ? { Aliases: n.aliases } : {} });
    }
    if (wasRunning) await created.start();
    if (opts.removeOld) await old.remove({ force: true, v: false });
  } catch (err) {
    const oldGone = await hasVanished(docker, info.Id, err);
    // Roll back to the original: the new one goes, the old one gets its name and state back.
    if (created) await created.remove({ force: true }).catch(() => undefined);
    let oldBack = true;
    if (renamed && !oldGone) await old.rename({ name }).catch(() => { oldBack = false; });
    if (wasRunning && oldBack && !oldGone) await old.start().catch(() => undefined);
    const e = oldGone ? vanished(name, 'restarting it clean', 'Nothing was created in its place.')
      : new GlasshouseError(`Restarting "${name}" clean failed: ${dockerMessage(err)}.`,
        oldBack ? 'The original container was put back as it was.' : `The original is kept as "${oldName}".`, 'ERESTART');
    await journal(ctx, { action: 'restart-clean', containerId: info.Id, containerName: name, outcome: 'failed', message: e.message });
    throw e;
  }
  if (isolation) await rm(isolationPath(ctx.dataDir, info.Id), { force: true });
  const message = `Container "${name}" was replaced by a clean instance from ${image} (${created.id.slice(0, 12)})${opts.removeOld ? '; the old one was removed' : `; the old one is kept stopped as "${oldName}"`}.`;
  await journal(ctx, { action: 'restart-clean', containerId: info.Id, containerName: name, outcome: 'done', message, detail: { newId: created.id, image } });
  return { action: 'restart-clean', containerId: info.Id, name, message, newId: created.id, ...(opts.removeOld ? {} : { oldName }) };
}
