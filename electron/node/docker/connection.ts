// One live connection to the Docker engine: resolves the endpoint, checks the API version, reconnects by itself.
import { EventEmitter } from 'node:events';
import Dockerode from 'dockerode';
import type { EngineStatus } from '../../common/ipc/contract';
import { DockerUnavailableError, GlasshouseError, PermissionDeniedError, serializeError } from '../../common/ipc/errors';
import { answerRejectTallies, onAnswerReject, parseVersion } from './answers';
import { resolveEndpoint, type EndpointEnv, type ResolvedEndpoint } from './endpoint';

/** Docker Engine 19.03 (API 1.40) is the oldest engine whose API has everything Glasshouse uses. */
export const MIN_API_VERSION = '1.40';

export function compareApiVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : (an || 0) - (bn || 0);
}

/** Turns a low-level failure into a sentence that says what happened and what to do. */
export function explainDockerError(err: unknown, url: string): GlasshouseError {
  if (err instanceof GlasshouseError) return err;
  const e = err as NodeJS.ErrnoException & { statusCode?: number; reason?: string; json?: { message?: string } };
  const code = e?.code ?? '';
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionDeniedError(`Permission denied on the Docker socket ${url}.`,
      'Add your user to the "docker" group and log in again (sudo usermod -aG docker $USER), or point DOCKER_HOST at an engine you may use.', code);
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') {
    // A Podman socket with no service behind it: Podman serves its Docker API only while `podman system service` runs
    if (/podman/i.test(url)) {
      return new DockerUnavailableError(`Podman's Docker-compatible API is not being served at ${url}.`,
        'Start it: systemctl --user start podman.socket (rootless) or sudo systemctl start podman.socket, or run `podman system service --time=0` — then try again.', code);
    }
    return new DockerUnavailableError(`Docker engine not reachable at ${url}.`,
      'Is Docker running? Start it (sudo systemctl start docker, or open Docker Desktop), or set DOCKER_HOST to use another engine.', code);
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DockerUnavailableError(`Docker engine at ${url} did not answer (${code}).`,
      'Check that the host is up and reachable, or set DOCKER_HOST to a local engine.', code);
  }
  const msg = e?.json?.message ?? e?.reason ?? e?.message ?? String(err);
  if (e?.statusCode === 403) return new PermissionDeniedError(`The Docker engine at ${url} refused: ${msg}.`, 'An authorization plugin or policy forbids this.', 'EFORBIDDEN');
  return new DockerUnavailableError(`The Docker engine at ${url} failed: ${msg}`, 'Check `docker info` on the same machine.', code || undefined);
}

export interface ConnectionOptions {
  endpointEnv?: EndpointEnv;
  version: string;
  /** First retry delay; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Emits 'status' (EngineStatus) on every change and 'connected' (Dockerode) each time a connection is (re)made.
 * Users call markLost(err) when a stream breaks; the connection then retries by itself.
 */
export class DockerConnection extends EventEmitter {
  private client: Dockerode | undefined;
  private endpoint: ResolvedEndpoint | undefined;
  private current: EngineStatus;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private stopped = false;
  private connecting: Promise<void> | undefined;
  private rejectTimer: NodeJS.Timeout | undefined;
  private stopRejects: (() => void) | undefined;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.delay = opts.retryMs ?? 1000;
    this.current = { connection: 'connecting', version: opts.version };
  }

  get status(): EngineStatus {
    return this.current;
  }

  /** The live client; throws a sentence when not connected. */
  get docker(): Dockerode {
    if (!this.client || this.current.connection !== 'connected') {
      const err = this.current.error;
      throw err ? new DockerUnavailableError(err.message, err.hint, err.code)
        : new DockerUnavailableError('Not connected to a Docker engine yet.', 'Wait a moment; Glasshouse reconnects by itself.');
    }
    return this.client;
  }

  start(): Promise<void> {
    this.stopped = false;
    // A skipped engine answer shows in the status; a burst (a bad stats stream at 1 Hz) is one status update.
    this.stopRejects ??= onAnswerReject(() => {
      this.rejectTimer ??= setTimeout(() => {
        this.rejectTimer = undefined;
        this.setStatus(this.current);
      }, 250);
      this.rejectTimer.unref?.();
    });
    return this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.rejectTimer) clearTimeout(this.rejectTimer);
    this.rejectTimer = undefined;
    this.stopRejects?.();
    this.stopRejects = undefined;
  }

  /** A stream or request found the engine gone: go to 'disconnected' and retry. */
  markLost(err: unknown): void {
    if (this.stopped || this.current.connection !== 'connected') return;
    const url = this.endpoint?.url ?? 'the Docker endpoint';
    this.setStatus({ connection: 'disconnected', endpoint: this.endpoint && strip(this.endpoint), error: serializeError(explainDockerError(err, url)), version: this.opts.version });
    this.delay = this.opts.retryMs ?? 1000;
    this.schedule();
  }

  private setStatus(s: EngineStatus): void {
    const tallies = answerRejectTallies();
    this.current = { ...s, answerRejects: tallies };
    if (!tallies.length) delete this.current.answerRejects;
    this.emit('status', this.current);
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.opts.maxRetryMs ?? 10_000);
    this.setStatus({ ...this.current, retryAt: Date.now() + wait });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, wait);
    this.timer.unref?.();
  }

  private attempt(): Promise<void> {
    this.connecting ??= this.tryConnect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async tryConnect(): Promise<void> {
    let endpoint: ResolvedEndpoint | undefined;
    try {
      // Resolved on every attempt so a fixed DOCKER_HOST/context is picked up without a restart.
      endpoint = resolveEndpoint(this.opts.endpointEnv ?? { env: process.env });
      this.endpoint = endpoint;
      const client = new Dockerode({ ...endpoint.options, timeout: 0 } as Dockerode.DockerOptions);
      const version = parseVersion(await withTimeout(client.version() as Promise<unknown>, 5000, endpoint.url));
      if (compareApiVersions(version.ApiVersion, MIN_API_VERSION) < 0) {
        throw new DockerUnavailableError(
          `The Docker engine at ${endpoint.url} speaks API ${version.ApiVersion}, but Glasshouse needs ${MIN_API_VERSION} or newer.`,
          'Upgrade Docker Engine to 19.03 or later (or Podman to 3.0 or later).', 'EAPIVERSION');
      }
      this.client = client;
      this.delay = this.opts.retryMs ?? 1000;
      this.setStatus({
        connection: 'connected', endpoint: strip(endpoint), version: this.opts.version,
        serverVersion: version.Version, apiVersion: version.ApiVersion, os: `${version.Os}/${version.Arch}`,
      });
      this.emit('connected', client);
    } catch (err) {
      const url = endpoint?.url ?? process.env.DOCKER_HOST ?? 'the Docker endpoint';
      this.setStatus({ connection: 'disconnected', endpoint: endpoint && strip(endpoint), error: serializeError(explainDockerError(err, url)), version: this.opts.version });
      this.schedule();
    }
  }
}

function strip(e: ResolvedEndpoint) {
  return { kind: e.kind, url: e.url, ...(e.contextName ? { contextName: e.contextName } : {}) };
}

function withTimeout<T>(p: Promise<T>, ms: number, url: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), ms);
      t.unref?.();
    }),
  ]).catch((err) => { throw explainDockerError(err, url); });
}
