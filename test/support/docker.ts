// Test support: real images and containers on the local dockerd, labelled so tests touch only their own.
import { execFile } from 'node:child_process';
import Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, rmSync, existsSync, writeFileSync, chmodSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const run = promisify(execFile);

/** The engine under test's Unix socket: DOCKER_HOST's when set (the engine matrix runs suites on each), else the default. */
export function engineSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** The engine under test's version facts (`docker version`), read once. */
let engineFacts: Promise<{ version: string; apiVersion: string; podman: boolean }> | undefined;
export function engineVersion(): Promise<{ version: string; apiVersion: string; podman: boolean }> {
  engineFacts ??= (async () => {
    const v = (await engineApi().version()) as { Version: string; ApiVersion: string; Components?: Array<{ Name: string }> };
    return { version: v.Version, apiVersion: v.ApiVersion, podman: (v.Components ?? []).some((c) => /podman/i.test(c.Name)) };
  })();
  return engineFacts;
}

/** Whether the engine's API is at least `want` (e.g. '1.43' = Docker 23). */
export async function engineApiAtLeast(want: string): Promise<boolean> {
  const [a, b] = (await engineVersion()).apiVersion.split('.').map(Number);
  const [x, y] = want.split('.').map(Number);
  return a > x || (a === x && b >= y);
}

/**
 * How the engine under test names an image in its container list and inspect. Docker keeps the name as given;
 * Podman qualifies a short name with a registry (containers-registries.conf(5): an image tagged through its
 * Docker-compatible API gets the compat default registry, one built or imported locally `localhost/`). The
 * engine's own tag is looked up, so no registry is written here.
 */
export async function engineImageName(tag: string): Promise<string> {
  if (!(await engineVersion()).podman) return tag;
  const repoTags = ((await engineApi().getImage(tag).inspect()).RepoTags ?? []);
  const own = repoTags.find((t) => t === tag || t.endsWith(`/${tag}`));
  if (!own) throw new Error(`the engine names image ${tag} none of ${repoTags.join(', ')}`);
  return own;
}

/** A Docker API client for the engine under test. */
export function engineApi(): Dockerode {
  return new Dockerode({ socketPath: engineSocket() });
}

/** Every test container and image carries this label. */
export const TEST_LABEL = 'dev.glasshouse.test';
/** And the test process that made it: cleanup removes only its own, never another suite's running containers. */
export const TEST_OWNER_LABEL = 'dev.glasshouse.test.owner';

/** `docker run/create` label flags for a test container of this process. */
export function testLabelArgs(): string[] {
  return ['--label', `${TEST_LABEL}=1`, '--label', `${TEST_OWNER_LABEL}=${process.pid}`];
}
export const BUSYBOX_IMAGE = 'glasshouse-test/busybox:1';

export async function docker(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const child = run('docker', args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (opts.input !== undefined) {
    child.child.stdin?.end(opts.input);
  }
  const { stdout } = await child;
  return stdout.trim();
}

const APPLETS = [
  'sh', 'ash', 'ls', 'cat', 'echo', 'sleep', 'touch', 'rm', 'mv', 'cp', 'chmod', 'chown', 'mkdir', 'ln', 'mount',
  'umount', 'nc', 'wget', 'nslookup', 'id', 'ps', 'top', 'env', 'true', 'false', 'httpd', 'head', 'tail',
  'grep', 'sed', 'awk', 'dd', 'find', 'hostname', 'ip', 'ifconfig', 'ping', 'su', 'whoami', 'stat', 'test',
  'kill', 'seq', 'xargs', 'tr', 'wc', 'date', 'vi', 'printf', 'base64', 'nohup', 'timeout', 'unshare',
  'nsenter', 'chroot', 'crontab', 'telnet', 'tee', 'readlink', 'realpath', 'basename', 'dirname', 'uname',
];

/** Whether the engine holds this image already (test images are built once, locally: nothing is pulled). */
export async function hasImage(tag: string): Promise<boolean> {
  try {
    await docker(['image', 'inspect', tag]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The test busybox re-imported (once) as `tag` with only `label` on it: export/import drops image labels, which
 * containers inherit, so another suite's clean-up by its label never matches this suite's containers.
 */
export async function ensureRelabeledBusybox(tag: string, label: string, changes: string[] = []): Promise<string> {
  if (await hasImage(tag)) return tag;
  const cid = await docker(['create', await ensureBusyboxImage(), 'true']);
  const dir = mkdtempSync(join(tmpdir(), 'gh-relabel-'));
  try {
    await docker(['export', '-o', join(dir, 'rootfs.tar'), cid]);
    await docker(['import', '--change', `LABEL ${label}=1`, '--change', 'CMD ["/bin/sh"]', ...changes.flatMap((c) => ['--change', c]),
      join(dir, 'rootfs.tar'), tag]);
  } finally {
    await docker(['rm', '-f', cid]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

/**
 * Builds image `tag` (once) from a root filesystem that `fill` writes into an empty directory: tar, `docker import`
 * with `changes` (LABEL, CMD, ENV ...), and the staging files removed whatever happens. No registry involved.
 */
export async function importRootfs(tag: string, changes: string[], fill: (dir: string) => void): Promise<string> {
  if (await hasImage(tag)) return tag;
  const dir = mkdtempSync(join(tmpdir(), 'gh-rootfs-'));
  const tar = `${dir}.tar`;
  try {
    fill(dir);
    await run('tar', ['-C', dir, '-cf', tar, '.']);
    await docker(['import', ...changes.flatMap((c) => ['--change', c]), tar, tag]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tar, { force: true });
  }
  return tag;
}

/** Builds (once) a tiny image from Debian's busybox-static: /bin/busybox plus applet symlinks. */
export async function ensureBusyboxImage(): Promise<string> {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new Error('busybox-static is not installed: apt-get install -y busybox-static');
  return importRootfs(BUSYBOX_IMAGE, [`LABEL ${TEST_LABEL}=1`, 'CMD ["/bin/sh"]', 'ENV PATH=/bin:/sbin:/usr/bin'], (dir) => {
    for (const d of ['bin', 'sbin', 'etc', 'tmp', 'root', 'var/log', 'var/www', 'usr/bin', 'proc', 'sys', 'dev']) {
      mkdirSync(join(dir, d), { recursive: true });
    }
    copyFileSync(busybox, join(dir, 'bin/busybox'));
    chmodSync(join(dir, 'bin/busybox'), 0o755);
    for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a));
    writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
    chmodSync(join(dir, 'tmp'), 0o1777);
  });
}

/** A unique container name for this test run. */
export function testName(prefix: string): string {
  return `gh-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface RunOptions {
  name?: string;
  args?: string[];          // extra `docker run` flags, e.g. ['--cap-add', 'NET_ADMIN']
  cmd?: string[];           // command; default: sleep forever
  labels?: Record<string, string>;
  image?: string;
}

/** Starts a detached, labelled test container and returns its full id. */
export async function runContainer(o: RunOptions = {}): Promise<{ id: string; name: string }> {
  const image = o.image ?? (await ensureBusyboxImage());
  const name = o.name ?? testName('c');
  const labels = Object.entries({ [TEST_LABEL]: '1', [TEST_OWNER_LABEL]: String(process.pid), ...(o.labels ?? {}) }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const id = await docker(['run', '-d', '--name', name, ...labels, ...(o.args ?? []), image,
    ...(o.cmd ?? ['sleep', '100000'])]);
  return { id, name };
}

/** `docker exec` a command (argv, no shell string) in a container. */
export async function execIn(id: string, cmd: string[], opts: { user?: string } = {}): Promise<string> {
  return docker(['exec', ...(opts.user ? ['--user', opts.user] : []), id, ...cmd]);
}

/** Removes every container this test process made (and only those). */
export async function removeTestContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${TEST_OWNER_LABEL}=${process.pid}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
  // snapshots of this process' containers inherit its owner label: commit images are not left on the engine
  const images = (await docker(['images', '-q', '--filter', `label=${TEST_OWNER_LABEL}=${process.pid}`, '--filter', 'label=dev.glasshouse.snapshot-of'])).split('\n').filter(Boolean);
  if (images.length) await docker(['rmi', '-f', ...new Set(images)]).catch(() => undefined);
}

/**
 * Compiles a C test tool statically, once per source content and flags (the binary's name carries their hash, so
 * two checkouts sharing /tmp never run each other's build), and copies it into a container at `dest`.
 */
export async function installStaticTool(containerId: string, src: string, dest: string, flags: string[] = []): Promise<void> {
  const hash = createHash('sha256').update(readFileSync(src)).update(flags.join(' ')).digest('hex').slice(0, 12);
  const out = join(tmpdir(), `glasshouse-${basename(src, '.c')}-${hash}`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}`;
    await run('cc', ['-static', '-O2', ...flags, '-o', tmp, src]);
    renameSync(tmp, out); // whole or absent, even with two suites compiling at once
  }
  await docker(['cp', out, `${containerId}:${dest}`]);
}
