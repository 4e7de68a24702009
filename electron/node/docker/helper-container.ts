// The Docker side of the sensor helper: build its FROM-scratch image, run it with the minimal capability
// set, attach to its stdio, inspect watched containers, remove it. The only dockerode calls the sensor makes.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { PassThrough, Readable, type Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { parseInfo, parseInspect, parseVersion } from './answers';
import { demuxDockerStream } from './demux';

export const HELPER_LABEL = 'dev.glasshouse.helper';
export const HELPER_REPO = 'glasshouse-helper';

/**
 * Capabilities the helper container gets (everything else dropped). Found by test on Docker 20.10 /
 * kernel 6.18: SYS_ADMIN is the only capability that lets it load and attach BPF programs there, because
 * this engine rejects `--cap-add BPF`/`PERFMON` by name (the kernel falls back to SYS_ADMIN for both).
 * SYS_PTRACE is needed only to read /proc/<pid>/exe and cwd of pre-existing processes when seeding;
 * without it seeds carry argv only. On engines that know CAP_BPF (Docker ≥ 23) use BPF+PERFMON instead.
 */
export function helperCapabilities(engineKnowsBpfCap: boolean): string[] {
  return engineKnowsBpfCap ? ['BPF', 'PERFMON', 'SYS_PTRACE'] : ['SYS_ADMIN', 'SYS_PTRACE'];
}

/** `glasshouse-helper:<version>-<sha256 of the binary, 12 hex>`: a rebuilt binary gets a new image. */
export function helperImageTag(binaryPath: string, version: string): string {
  const sha = createHash('sha256').update(readFileSync(binaryPath)).digest('hex').slice(0, 12);
  return `${HELPER_REPO}:${version}-${sha}`;
}

/** A minimal ustar archive (the build context): Docker reads only regular files here. */
export function tarArchive(files: Array<{ name: string; data: Buffer; mode: number }>): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100, 'utf8');
    h.write(`${f.mode.toString(8).padStart(7, '0')}\0`, 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${f.data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
    h.write('        ', 148); // checksum placeholder
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export async function imageExists(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Builds the helper image FROM scratch from a static binary, through the Docker API (no registry). */
export async function buildHelperImage(docker: Dockerode, binaryPath: string, tag: string): Promise<void> {
  const mode = statSync(binaryPath).mode & 0o777;
  const dockerfile = [
    'FROM scratch',
    'COPY glasshouse-helper /glasshouse-helper',
    `LABEL ${HELPER_LABEL}=1`,
    'ENTRYPOINT ["/glasshouse-helper"]',
    '',
  ].join('\n');
  const tar = tarArchive([
    { name: 'Dockerfile', data: Buffer.from(dockerfile), mode: 0o644 },
    { name: 'glasshouse-helper', data: readFileSync(binaryPath), mode: mode | 0o755 },
  ]);
  const stream = await docker.buildImage(Readable.from([tar]) as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = err ?? out.find((o) => o.error);
      if (failed) reject(new Error(`Building the helper image ${tag} failed: ${err ? err.message : (failed as { error: string }).error}`));
      else resolve();
    });
  });
}

/**
 * A tag without the registry an engine qualified it with: Podman names the helper image it built
 * `<registry>/library/glasshouse-helper:<tag>` (it qualifies every short name, containers-registries.conf(5)),
 * Docker `glasshouse-helper:<tag>`. A first path component with a dot or a port, or `localhost`, is a registry (the
 * reference grammar both follow); `library/` after it is the registry's namespace for one-component names.
 */
export function unqualifiedTag(tag: string): string {
  const slash = tag.indexOf('/');
  const first = slash < 0 ? '' : tag.slice(0, slash);
  if (!first || (!/[.:]/.test(first) && first !== 'localhost')) return tag;
  return tag.slice(slash + 1).replace(/^library\//, '');
}

/**
 * Removes helper images of other builds (every app update or rebuilt binary makes a new tag), so they do not
 * pile up on the engine. Only images created over an hour ago, and never one a container still uses (the engine
 * refuses those with 409): another Glasshouse of a different build may be starting from its own just now.
 * Returns the tags removed, as Glasshouse names them (unqualified).
 */
export async function pruneHelperImages(docker: Dockerode, keepTag: string, now = Date.now()): Promise<string[]> {
  const images = await docker.listImages({ filters: { label: [`${HELPER_LABEL}=1`] } });
  const removed: string[] = [];
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => unqualifiedTag(t).startsWith(`${HELPER_REPO}:`));
    if (!tags.length || tags.some((t) => unqualifiedTag(t) === unqualifiedTag(keepTag)) || now - img.Created * 1000 < 3600_000) continue;
    try {
      for (const t of tags) {
        await docker.getImage(t).remove();
        removed.push(unqualifiedTag(t));
      }
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 409 && code !== 404) throw e;
    }
  }
  return removed;
}

export interface HelperContainerSpec {
  image: string;
  args: string[];
  capabilities: string[];
  /** Extra labels (e.g. the owning engine process). */
  labels?: Record<string, string>;
  /** Extra host:container[:opts] binds (the sensor's socket directory when frames bypass the attach stream). */
  binds?: string[];
}

/**
 * Creates the helper container: host PID namespace (to see every container's processes and /proc), host
 * cgroup namespace (so /proc/<pid>/cgroup paths are absolute), read-only tracefs and cgroupfs, no network,
 * read-only rootfs, all capabilities dropped but `capabilities`. Stdin stays open for control frames and
 * closes when the engine detaches (StdinOnce), which makes the helper exit; AutoRemove then deletes it.
 */
export async function createHelperContainer(docker: Dockerode, spec: HelperContainerSpec): Promise<Dockerode.Container> {
  return docker.createContainer({
    Image: spec.image,
    Cmd: ['--cgroup-root', '/host/cgroup', ...spec.args],
    Labels: { [HELPER_LABEL]: '1', ...(spec.labels ?? {}) },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      PidMode: 'host',
      CgroupnsMode: 'host',
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      AutoRemove: true,
      // stdout is the binary event stream: with the engine's default json-file driver dockerd would also
      // split, JSON-escape and write every frame to disk (gigabytes per hour, and its CPU capped the attach rate)
      LogConfig: { Type: 'none', Config: {} },
      CapDrop: ['ALL'],
      CapAdd: spec.capabilities,
      // nothing the helper runs could gain privileges through setuid files or file capabilities (it runs nothing)
      SecurityOpt: ['no-new-privileges'],
      Binds: [
        '/sys/kernel/tracing:/sys/kernel/tracing:ro',
        '/sys/fs/cgroup:/host/cgroup:ro',
        ...(spec.binds ?? []),
      ],
      // the default seccomp profile already allows bpf() and perf_event_open() with SYS_ADMIN/BPF
    },
  } as Dockerode.ContainerCreateOptions);
}

export interface HelperStreams {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Detach: closes stdin, which ends the helper. */
  close(): void;
}

/** Attaches (before start, so no output is missed) and splits Docker's multiplexed stream. */
export async function attachHelper(docker: Dockerode, container: Dockerode.Container): Promise<HelperStreams> {
  const raw = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream & {
    end(): void;
    destroy?(): void;
  };
  // 8 MiB before the attach socket is paused: absorbs a decode pause (GC) in this process, not as helper drops
  const stdout = new PassThrough({ highWaterMark: 8 << 20 });
  const stderr = new PassThrough();
  demuxDockerStream(raw, stdout, stderr);
  raw.on('end', () => {
    stdout.end();
    stderr.end();
  });
  raw.on('error', (e) => stdout.destroy(e));
  return {
    stdin: raw as unknown as Writable,
    stdout,
    stderr,
    close: () => {
      try {
        raw.end();
      } catch {
        /* already closed */
      }
    },
  };
}

export async function startContainer(container: Dockerode.Container): Promise<void> {
  await container.start();
}

/**
 * Resolves when the container next stops; the exit code, or undefined if it could not be waited on.
 * 'next-exit' so that waiting before start does not resolve at once for a created container.
 */
export async function waitContainer(container: Dockerode.Container): Promise<number | undefined> {
  try {
    const r = (await container.wait({ condition: 'next-exit' })) as { StatusCode?: number };
    return r.StatusCode;
  } catch {
    return undefined;
  }
}

export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true });
  } catch (e) {
    const code = (e as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw e; // gone already / removal in progress (AutoRemove)
  }
}

/** Full id and host pid of a container (its init process), as the helper needs to find its cgroup. */
export async function containerIdentity(docker: Dockerode, idOrName: string): Promise<{ id: string; pid: number; running: boolean }> {
  const info = parseInspect(idOrName, await docker.getContainer(idOrName).inspect());
  return { id: info.Id, pid: info.State.Pid, running: info.State.Running };
}

export interface EngineFacts {
  serverVersion: string;
  apiVersion: string;
  operatingSystem: string;
  rootless: boolean;
  /** Docker Desktop Enhanced Container Isolation (containers run in a Sysbox user namespace). */
  enhancedIsolation: boolean;
  /** Whether the helper can run with BPF/PERFMON by name: Docker ≥ 23 (its seccomp profile allows bpf() with CAP_BPF). */
  knowsBpfCap: boolean;
  /** Which engine answers the Docker API. */
  engine: 'docker' | 'podman';
  cgroupDriver: string;
  cgroupVersion: string;
}

export async function engineFacts(docker: Dockerode): Promise<EngineFacts> {
  return engineFactsFrom(await docker.info(), await docker.version());
}

/** The facts from the engine's /info and /version answers (checked here). Both Docker and Podman name a rootless
 * engine with `name=rootless` among the SecurityOptions of /info. */
export function engineFactsFrom(infoBody: unknown, versionBody: unknown): EngineFacts {
  const info = parseInfo(infoBody);
  const version = parseVersion(versionBody);
  // Podman's Docker-compatible API names itself in Components. It knows BPF/PERFMON by name, but its default
  // seccomp profile (containers-common, Podman 4.x) allows bpf() and perf_event_open() only with CAP_SYS_ADMIN,
  // so the named set fails to load the programs there (EPERM, seen with Podman 4.3): Podman gets SYS_ADMIN.
  const components = (version as { Components?: Array<{ Name?: string }> }).Components ?? [];
  const podman = components.some((c) => /podman/i.test(c.Name ?? ''));
  const sec = (info.SecurityOptions ?? []).join(' ');
  const runtimes = Object.keys(info.Runtimes ?? {});
  const os = info.OperatingSystem;
  const major = Number(version.Version.split('.')[0]);
  return {
    serverVersion: version.Version,
    apiVersion: version.ApiVersion,
    operatingSystem: os,
    rootless: /name=rootless/.test(sec),
    enhancedIsolation: /Docker Desktop/i.test(os) && (info.DefaultRuntime === 'sysbox-runc' || runtimes.includes('sysbox-runc')),
    knowsBpfCap: !podman && major >= 23,
    engine: podman ? 'podman' : 'docker',
    cgroupDriver: info.CgroupDriver ?? '',
    cgroupVersion: info.CgroupVersion ?? '',
  };
}

/** Runs the helper once with --preflight in the helper container shape and returns its JSON line. */
export async function runHelperPreflight(docker: Dockerode, spec: HelperContainerSpec): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const c = await createHelperContainer(docker, { ...spec, args: [...spec.args, '--preflight'] });
  const streams = await attachHelper(docker, c);
  let out = '', err = '';
  streams.stdout.on('data', (d: Buffer) => (out += d.toString()));
  streams.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((r) => streams.stdout.on('end', () => r()));
  const exited = waitContainer(c); // registered before start: a fast exit is not missed
  try {
    await c.start();
  } catch (e) {
    await removeContainer(docker, c.id).catch(() => undefined);
    return { exitCode: undefined, stdout: '', stderr: (e as Error).message };
  }
  const exitCode = await exited;
  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
  streams.close();
  await removeContainer(docker, c.id).catch(() => undefined);
  return { exitCode, stdout: out, stderr: err };
}
