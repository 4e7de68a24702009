// How the helper runs: a container through the Docker API, or a local root process. Both give the sensor
// a byte stream of frames, a control writer, and an 'exit' notification.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import {
  attachHelper, buildHelperImage, createHelperContainer, helperCapabilities, helperImageTag, imageExists, pruneHelperImages, removeContainer,
  startContainer, waitContainer, type HelperStreams,
} from '../docker/helper-container';

export interface HelperRun extends EventEmitter {
  /** 'exit' (code: number | undefined) fires once when the helper is gone. */
  readonly stdout: Readable;
  readonly stdin: Writable;
  readonly label: string;
  stderrTail(): string;
  stop(): Promise<void>;
  /** Kill without the polite stdin close (tests use it to simulate a crash). */
  kill(): Promise<void>;
  /** The sensor decoded the helper's BYE frame: the stream is over even if the pipe or attach stream stays open. */
  markEnded(): void;
}

function tail(buf: string[], chunk: string): void {
  buf.push(chunk);
  while (buf.join('').length > 4000) buf.shift();
}

/** Resolves when the helper's stream is over: BYE decoded, `stream` ended or errored, or the run exited. */
function streamEnd(stream: Readable, run: EventEmitter & { ended: boolean }): Promise<void> {
  if (run.ended || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise<void>((r) => {
    stream.once('end', () => r());
    stream.once('close', () => r());
    stream.once('error', () => r());
    run.once('ended', () => r());
    run.once('exit', () => r());
  });
}

/** A helper running as a local process: exit bookkeeping, stderr tail, polite stop and kill, shared by both transports. */
abstract class LocalProcessRun extends EventEmitter implements HelperRun {
  abstract readonly stdout: Readable;
  abstract readonly stdin: Writable;
  abstract readonly label: string;
  protected child!: ChildProcess;
  protected readonly err: string[] = [];
  protected exited = false;
  ended = false;

  markEnded(): void {
    this.ended = true;
    this.emit('ended');
  }

  /** Follows the spawned helper: its stderr, spawn errors and exit. */
  protected follow(child: ChildProcess): void {
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => tail(this.err, d.toString()));
    child.on('error', (e) => {
      tail(this.err, e.message);
      this.finish(undefined);
    });
    child.on('exit', (code) => this.finish(code ?? undefined));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Extra cleanup when the helper is gone (e.g. its socket directory). */
  protected onExit(): void {}

  protected finish(code: number | undefined): void {
    if (this.exited) return;
    this.exited = true;
    this.onExit();
    this.emit('exit', code);
  }

  stderrTail(): string {
    return this.err.join('');
  }

  /** Closing its input is how the helper is asked to exit; SIGTERM follows if it has not after 2 s. */
  protected abstract closeInput(): void;

  /**
   * Resolves when the helper's stream has ended: it ends the stream before the kernel detaches its ~110
   * hooks (3-4 s more), and that detach needs nothing from us. The process still exits on its own.
   */
  async stop(): Promise<void> {
    if (this.exited) return;
    const ended = streamEnd(this.stdout, this);
    this.closeInput();
    const t = setTimeout(() => this.child.kill('SIGTERM'), 2000);
    await ended;
    clearTimeout(t);
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.gone();
  }

  private gone(): Promise<void> {
    return new Promise<void>((r) => (this.exited ? r() : this.once('exit', () => r())));
  }
}

export class LocalHelperRun extends LocalProcessRun {
  readonly stdout: Readable;
  readonly stdin: Writable;
  readonly label: string;

  constructor(helperPath: string, args: string[]) {
    super();
    this.follow(spawn(helperPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    this.stdout = this.child.stdout!;
    this.stdin = this.child.stdin!;
    this.stdin.on('error', () => undefined); // EPIPE after the helper died is reported through 'exit'
    this.label = `local helper pid ${this.child.pid}`;
  }

  protected closeInput(): void {
    this.stdin.end(); // the helper exits on stdin EOF
  }
}

/**
 * Local mode over a Unix socket (`--socket`): the helper listens on a 0600 socket in a private 0700
 * directory, accepts this one client, and exits when it disconnects. Useful when the helper's stdio is
 * not ours (e.g. started through sudo or a service manager); here it is spawned directly.
 */
/**
 * Connects to a helper's socket, retrying until it listens (it appears once the BPF object is loaded), the
 * helper has died, or 30 s have passed; the last connect error is thrown then. Socket errors after that are
 * the stream's end, which the run reports.
 */
async function connectWhenListening(path: string, died: () => boolean): Promise<Socket> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect(path, () => resolve(s));
        s.once('error', reject);
      });
      socket.on('error', () => undefined);
      return socket;
    } catch (e) {
      if (died() || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export class LocalSocketHelperRun extends LocalProcessRun {
  stdout!: Readable;
  stdin!: Writable;
  label = 'local helper (socket)';
  private socket!: Socket;
  private dir = '';

  static async start(helperPath: string, args: string[]): Promise<LocalSocketHelperRun> {
    const run = new LocalSocketHelperRun();
    run.dir = mkdtempSync(join(tmpdir(), 'glasshouse-helper-'));
    const path = join(run.dir, 'helper.sock');
    run.follow(spawn(helperPath, [...args, '--socket', path], { stdio: ['ignore', 'ignore', 'pipe'] }));
    run.label = `local helper pid ${run.child.pid} on ${path}`;
    // the socket appears once the BPF object is loaded: retry until then (or until the helper dies)
    try {
      run.socket = await connectWhenListening(path, () => run.exited);
    } catch (e) {
      run.onExit();
      throw new Error(`cannot connect to the helper socket ${path}: ${(e as Error).message}; ${run.stderrTail().trim()}`);
    }
    run.stdout = run.socket;
    run.stdin = run.socket;
    return run;
  }

  protected override onExit(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  protected closeInput(): void {
    this.socket?.end(); // the helper exits when its client goes away
  }
}

/**
 * A helper someone else started as root (`sudo glasshouse helper run --socket PATH`): we only connect. The
 * run is over when the socket closes; `glasshouse helper run` then starts a fresh helper for the next client.
 */
export class SocketClientHelperRun extends EventEmitter implements HelperRun {
  stdout!: Readable;
  stdin!: Writable;
  readonly label: string;
  ended = false;
  private socket!: Socket;
  private exited = false;

  private constructor(readonly path: string) {
    super();
    this.label = `helper on ${path}`;
  }

  /** Connects, retrying for `waitMs` (the helper re-listens ~0.3 s after its previous client left). */
  static async connect(path: string, waitMs = 5000): Promise<SocketClientHelperRun> {
    const run = new SocketClientHelperRun(path);
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        run.socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    run.socket.on('error', () => undefined);
    run.socket.on('close', () => run.finish());
    run.stdout = run.socket;
    run.stdin = run.socket;
    return run;
  }

  private finish(): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', undefined);
  }

  stderrTail(): string {
    return '';
  }

  markEnded(): void {
    this.ended = true;
    this.emit('ended');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const ended = streamEnd(this.stdout, this);
    this.socket.end(); // the helper sends BYE and exits when its client goes away
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    this.socket.destroy();
  }

  async kill(): Promise<void> {
    this.socket.destroy();
    await new Promise<void>((r) => (this.exited ? r() : this.once('exit', () => r())));
  }
}

export class ContainerHelperRun extends EventEmitter implements HelperRun {
  stdout!: Readable;
  stdin!: Writable;
  label = 'helper container';
  containerId = '';
  private streams!: HelperStreams;
  private readonly err: string[] = [];
  private exited = false;
  ended = false;

  private constructor(private readonly docker: Dockerode) {
    super();
  }

  /**
   * `viaSocket`: frames and control go over a Unix socket in a bind-mounted host directory instead of Docker's
   * attach stream, whose copy through dockerd caps the event rate (32 KiB chunks, ~14 MB/s on a loaded 2-core
   * VM). Linux hosts only: a socket does not cross Docker Desktop's VM boundary. stderr still comes by attach.
   */
  static async start(docker: Dockerode, image: string, args: string[], capabilities: string[], viaSocket = false): Promise<ContainerHelperRun> {
    const run = new ContainerHelperRun(docker);
    let binds: string[] | undefined;
    let hostSock = '';
    if (viaSocket) {
      run.dir = mkdtempSync(join(tmpdir(), 'glasshouse-helper-'));
      hostSock = join(run.dir, 'helper.sock');
      binds = [`${run.dir}:/run/glasshouse-helper`];
      // the helper (root without CAP_DAC_OVERRIDE or CAP_CHOWN) can create its socket in this 0700 directory
      // only when the engine is root too, which is why the sensor asks for this path only then
      args = [...args, '--socket', '/run/glasshouse-helper/helper.sock'];
    }
    const c = await createHelperContainer(docker, { image, args, capabilities, labels: { 'dev.glasshouse.helper.owner': String(process.pid) }, binds });
    run.containerId = c.id;
    run.label = `helper container ${c.id.slice(0, 12)}${viaSocket ? ' (socket)' : ''}`;
    run.streams = await attachHelper(docker, c);
    run.stdout = run.streams.stdout;
    run.stdin = run.streams.stdin;
    run.stdin.on('error', () => undefined);
    run.streams.stderr.on('data', (d: Buffer) => tail(run.err, d.toString()));
    void waitContainer(c).then((code) => run.finish(code));
    // the hijacked attach stream does not always end when the container dies: wait() is the signal
    run.stdout.on('end', () => setTimeout(() => run.finish(undefined), 1000));
    try {
      await startContainer(c);
    } catch (e) {
      await removeContainer(docker, c.id).catch(() => undefined);
      run.cleanup();
      throw e;
    }
    if (viaSocket) {
      // the socket appears once the helper has loaded its programs
      try {
        run.socket = await connectWhenListening(hostSock, () => run.exited);
      } catch (e) {
        await removeContainer(docker, c.id).catch(() => undefined);
        run.cleanup();
        throw new Error(`cannot connect to the helper socket ${hostSock}: ${(e as Error).message}; ${run.stderrTail().trim()}`);
      }
      run.stdout = run.socket;
      run.stdin = run.socket;
    }
    return run;
  }

  private dir = '';
  private socket: Socket | undefined;

  /** The host directory holding the helper's socket (socket mode), removed when the helper is gone. */
  get socketDir(): string {
    return this.dir;
  }

  private cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }

  private finish(code: number | undefined): void {
    if (this.exited) return;
    this.exited = true;
    this.cleanup();
    this.emit('exit', code);
  }

  stderrTail(): string {
    return this.err.join('');
  }

  markEnded(): void {
    this.ended = true;
    this.emit('ended');
  }

  /**
   * StdinOnce: stdin EOF → the helper sends BYE at once, then detaches its hooks (3-4 s) and exits →
   * AutoRemove (the attach stream itself only ends at exit). Resolves on BYE or the stream's end; only a helper that did not end it within 3 s is removed
   * by force (and awaited).
   */
  async stop(): Promise<void> {
    if (!this.exited) {
      const ended = streamEnd(this.stdout, this).then(() => true);
      this.socket?.end(); // socket mode: the helper ends when its client leaves
      this.streams.close();
      const clean = await Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!clean) await removeContainer(this.docker, this.containerId).catch(() => undefined);
    }
    this.finish(undefined);
  }

  async kill(): Promise<void> {
    await this.docker.getContainer(this.containerId).kill().catch(() => undefined);
  }
}

export interface HelperImageInfo {
  tag: string;
  built: boolean;
}

/** Builds glasshouse-helper:<version>-<sha> once per binary. */
export async function ensureHelperImage(docker: Dockerode, binaryPath: string, version: string): Promise<HelperImageInfo> {
  const tag = helperImageTag(binaryPath, version);
  if (await imageExists(docker, tag)) return { tag, built: false };
  await buildHelperImage(docker, binaryPath, tag);
  // a new build: the previous builds' images are garbage now (best effort, in the background: starting the
  // helper never waits for the engine to delete images)
  void pruneHelperImages(docker, tag).catch(() => undefined);
  return { tag, built: true };
}

export { helperCapabilities };
