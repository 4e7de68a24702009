// A private Docker 26 engine for fault tests that restart dockerd: its own containerd, socket, data root and exec
// root, and its own network namespace, so nothing it does to bridges (dockerd deletes docker0 when given
// --bridge=none or another bridge) or iptables can touch the system engine's docker0 that other suites use.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const D26 = '/opt/glasshouse-engines/docker26';
const BIN = `${D26}/usr/bin`;
const PATH = `${BIN}:${D26}/usr/sbin:${process.env.PATH}`;

/** Why a private engine cannot run here, or undefined when it can. */
export function privateEngineMissing(): string | undefined {
  if (!existsSync(`${D26}/usr/sbin/dockerd`)) return `no Docker 26 under ${D26} (bash .ci/engines.sh install docker26)`;
  if (process.getuid?.() !== 0) return 'a private dockerd needs root';
  return undefined;
}

/** `ip -o link show docker0` and its IPv4 address, for checking the system's bridge is untouched. */
export async function docker0State(): Promise<string> {
  try {
    const link = (await run('ip', ['-o', 'link', 'show', 'docker0'])).stdout.split(/\s+/).slice(0, 2).join(' ');
    const addr = (await run('ip', ['-4', '-o', 'addr', 'show', 'docker0'])).stdout.split(/\s+/)[3] ?? '';
    return `${link} ${addr}`.trim();
  } catch {
    return 'absent';
  }
}

export class PrivateDockerd {
  readonly name = `gh-fault-${process.pid}`;
  readonly runDir = `/run/gh-fault-dockerd-${process.pid}`;
  readonly dataRoot = `/var/lib/gh-fault-dockerd-${process.pid}`;
  readonly socket = `${this.runDir}/docker.sock`;
  readonly host = `unix://${this.socket}`;
  private containerdPid = 0;
  private dockerdPid = 0;
  private readonly netns = `/run/netns/gh-fault-${process.pid}`;

  /** Runs the docker CLI against this engine. */
  async docker(args: string[], timeoutMs = 60_000): Promise<string> {
    return (await run('docker', ['-H', this.host, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 })).stdout.trim();
  }

  async start(): Promise<void> {
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    mkdirSync(`${this.dataRoot}/containerd`, { recursive: true, mode: 0o700 });
    await run('ip', ['netns', 'add', this.name]);
    await run('ip', ['netns', 'exec', this.name, 'ip', 'link', 'set', 'lo', 'up']);
    writeFileSync(`${this.runDir}/containerd.toml`, [
      'version = 2', `root = "${this.dataRoot}/containerd"`, `state = "${this.runDir}/containerd"`,
      '[grpc]', `  address = "${this.runDir}/containerd.sock"`, '[ttrpc]', `  address = "${this.runDir}/containerd.sock.ttrpc"`,
      '[debug]', '  address = ""', '[metrics]', '  address = ""', '',
    ].join('\n'));
    this.containerdPid = this.spawnInNetns(['containerd', '--config', `${this.runDir}/containerd.toml`], 'containerd.log');
    for (let i = 0; i < 100 && !existsSync(`${this.runDir}/containerd.sock`); i++) await new Promise((r) => setTimeout(r, 100));
    await this.startDockerd();
  }

  /** Starts (or starts again) dockerd on the same containerd, data root and namespace; resolves when it answers. */
  async startDockerd(): Promise<void> {
    this.dockerdPid = this.spawnInNetns(['dockerd', '--host', this.host, '--containerd', `${this.runDir}/containerd.sock`,
      '--data-root', this.dataRoot, '--exec-root', `${this.runDir}/exec`, '--pidfile', `${this.runDir}/dockerd.pid`,
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--live-restore'], 'dockerd.log');
    for (let i = 0; i < 120; i++) {
      try {
        await this.docker(['version', '--format', '{{.Server.Version}}'], 5000);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`private dockerd did not answer on ${this.socket}: ${this.log('dockerd.log').slice(-2000)}`);
  }

  /** Stops dockerd (SIGTERM, or SIGKILL for a crash; live-restore keeps its containers running) and waits until it is gone. */
  async stopDockerd(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const pid = this.dockerdPid;
    if (!pid) return;
    this.dockerdPid = 0;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(pid, 'SIGKILL');
  }

  log(file: string): string {
    try {
      return readFileSync(join(this.runDir, file), 'utf8');
    } catch {
      return '';
    }
  }

  /** Removes everything this engine made: its containers, dockerd, containerd, the namespace and the directories. */
  async destroy(): Promise<void> {
    if (this.dockerdPid) {
      const ids = (await this.docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', ...ids]).catch(() => undefined);
      await this.stopDockerd();
    }
    if (this.containerdPid) {
      try {
        process.kill(this.containerdPid, 'SIGTERM');
      } catch { /* gone */ }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(this.containerdPid, 0);
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          break;
        }
      }
      this.containerdPid = 0;
    }
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
    // overlay and shm mounts left below the roots by a killed engine would make rm fail
    for (const root of [this.dataRoot, this.runDir]) {
      const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m === root || m?.startsWith(`${root}/`));
      for (const m of mounts.sort().reverse()) await run('umount', ['-l', m]).catch(() => undefined);
      // a lazily unmounted overlay can stay busy for a moment
      for (let i = 0; ; i++) {
        try {
          rmSync(root, { recursive: true, force: true });
          break;
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }

  /** Spawns a daemon inside this engine's network namespace only (mounts, PIDs and cgroups stay the host's). */
  private spawnInNetns(argv: string[], logName: string): number {
    const out = `${this.runDir}/${logName}`;
    writeFileSync(out, '', { flag: 'a' });
    const fd = openSync(out, 'a');
    const child = spawn('nsenter', [`--net=${this.netns}`, '--', ...argv], { env: { ...process.env, PATH }, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    closeSync(fd);
    return child.pid!;
  }
}

/** Copies an image from the engine the tests use into the private one (docker save | docker load, no registry). */
export async function copyImage(tag: string, to: PrivateDockerd): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const save = spawn('docker', ['save', tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('docker', ['-H', to.host, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
    save.stdout.pipe(load.stdin);
    save.on('error', reject);
    load.on('error', reject);
    load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load into ${to.host} exited with ${code}`))));
  });
}
