// Finds which Docker (or Podman) engine to talk to: DOCKER_HOST, the current docker context, the default socket, Podman.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EngineEndpoint } from '../../common/ipc/contract';
import { UserInputError } from '../../common/ipc/errors';

/** Connection options in dockerode's shape, without importing dockerode here. */
export interface DockerConnectOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface ResolvedEndpoint extends EngineEndpoint {
  options: DockerConnectOptions;
}

export interface EndpointEnv {
  env: Record<string, string | undefined>;
  home?: string;
  platform?: NodeJS.Platform;
  uid?: number;
  exists?: (path: string) => boolean;
  readFile?: (path: string) => string;
}

const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const WINDOWS_PIPE = '//./pipe/docker_engine';

/** Parses a Docker host URL (DOCKER_HOST or a context's Host) into connection options. */
export function parseDockerHost(value: string, source: string, tls?: { verify: boolean; certDir?: string; readFile: (p: string) => Buffer }): DockerConnectOptions {
  const bad = () => new UserInputError(
    `${source} is set to ${JSON.stringify(value)}, which is not a Docker endpoint.`,
    'Use unix:///path/to/docker.sock, tcp://host:port, ssh://user@host or npipe:////./pipe/docker_engine, or unset it to use the default socket.',
  );
  const m = /^([a-z]+):\/\/(.*)$/.exec(value.trim());
  if (!m) throw bad();
  const [, scheme, rest] = m;
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) throw bad();
      return { socketPath: rest };
    case 'npipe':
      if (!rest) throw bad();
      return { socketPath: rest.replace(/\\/g, '/') };
    case 'tcp':
    case 'http':
    case 'https': {
      const hp = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(rest);
      if (!hp) throw bad();
      const useTls = scheme === 'https' || (tls?.verify ?? false);
      const port = hp[2] ? Number(hp[2]) : useTls ? 2376 : 2375;
      if (port < 1 || port > 65535) throw bad();
      const opts: DockerConnectOptions = { host: hp[1].replace(/^\[|\]$/g, ''), port, protocol: useTls ? 'https' : 'http' };
      if (useTls && tls?.certDir) {
        const f = (n: string) => tls.readFile(join(tls.certDir as string, n));
        try {
          Object.assign(opts, { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') });
        } catch {
          throw new UserInputError(`TLS is on for ${value}, but the certificates in ${tls.certDir} cannot be read.`,
            'Check DOCKER_CERT_PATH (it needs ca.pem, cert.pem and key.pem).');
        }
      }
      return opts;
    }
    case 'ssh': {
      const up = /^(?:([^@/]+)@)?([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(rest);
      if (!up) throw bad();
      return { protocol: 'ssh', host: up[2], port: up[3] ? Number(up[3]) : 22, username: up[1] };
    }
    default:
      throw bad();
  }
}

function optionsToUrl(o: DockerConnectOptions): string {
  if (o.socketPath) return o.socketPath.startsWith('//') ? `npipe://${o.socketPath}` : `unix://${o.socketPath}`;
  const scheme = o.protocol === 'ssh' ? 'ssh' : 'tcp';
  const host = o.host?.includes(':') ? `[${o.host}]` : o.host;
  return `${scheme}://${o.username ? `${o.username}@` : ''}${host}:${o.port}`;
}

/** Resolves the endpoint the way the docker CLI does, plus a Podman fallback. Throws UserInputError on bad config. */
export function resolveEndpoint(e: EndpointEnv): ResolvedEndpoint {
  const env = e.env;
  const home = e.home ?? homedir();
  const exists = e.exists ?? existsSync;
  const readText = e.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const readBuf = (p: string) => Buffer.from(readText(p));
  const platform = e.platform ?? process.platform;

  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) {
    const options = parseDockerHost(dockerHost, 'DOCKER_HOST', {
      verify: !!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0',
      certDir: env.DOCKER_CERT_PATH || join(home, '.docker'),
      readFile: readBuf,
    });
    return { kind: 'env', url: optionsToUrl(options), options };
  }

  const configDir = env.DOCKER_CONFIG || join(home, '.docker');
  let contextName = env.DOCKER_CONTEXT?.trim();
  const configPath = join(configDir, 'config.json');
  if (!contextName && exists(configPath)) {
    try {
      const cfg = JSON.parse(readText(configPath)) as { currentContext?: unknown };
      if (typeof cfg.currentContext === 'string') contextName = cfg.currentContext;
    } catch {
      throw new UserInputError(`${configPath} is not valid JSON, so the current docker context cannot be read.`,
        'Fix or remove that file, or set DOCKER_HOST.');
    }
  }
  if (contextName && contextName !== 'default') {
    const id = createHash('sha256').update(contextName).digest('hex');
    const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
    const source = env.DOCKER_CONTEXT ? 'DOCKER_CONTEXT' : configPath;
    if (!exists(metaPath)) {
      throw new UserInputError(`The docker context "${contextName}" (from ${source}) does not exist: ${metaPath} is missing.`,
        'Run `docker context ls` to see the contexts, and `docker context use default` to go back to the local engine.');
    }
    let host: unknown;
    let skipTls = false;
    try {
      const meta = JSON.parse(readText(metaPath)) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
      host = meta.Endpoints?.docker?.Host;
      skipTls = meta.Endpoints?.docker?.SkipTLSVerify === true;
    } catch {
      throw new UserInputError(`The docker context "${contextName}" has an unreadable ${metaPath}.`, 'Recreate it with `docker context create`.');
    }
    if (typeof host !== 'string' || !host) {
      throw new UserInputError(`The docker context "${contextName}" has no Docker endpoint.`, 'Run `docker context inspect ' + contextName + '` to check it.');
    }
    const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
    const options = parseDockerHost(host, `The docker context "${contextName}"`, {
      verify: !skipTls && exists(join(tlsDir, 'ca.pem')), certDir: tlsDir, readFile: readBuf,
    });
    return { kind: 'context', url: optionsToUrl(options), options, contextName };
  }

  if (platform === 'win32') return { kind: 'default', url: `npipe://${WINDOWS_PIPE}`, options: { socketPath: WINDOWS_PIPE } };

  const candidates: Array<{ kind: 'default' | 'podman'; path: string }> = [
    { kind: 'default', path: DEFAULT_UNIX_SOCKET },
    { kind: 'default', path: join(home, '.docker', 'run', 'docker.sock') },
  ];
  const uid = e.uid ?? (typeof process.getuid === 'function' ? process.getuid() : 0);
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${uid}`;
  candidates.push(
    { kind: 'podman', path: join(runtimeDir, 'podman', 'podman.sock') },
    { kind: 'podman', path: '/run/podman/podman.sock' },
  );
  const found = candidates.find((c) => exists(c.path)) ?? candidates[0];
  return { kind: found.kind, url: `unix://${found.path}`, options: { socketPath: found.path } };
}
