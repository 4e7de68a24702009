// `glasshouse helper preflight|run`: can the runtime sensor run here (and if not, what to do); run it as a root process.
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError, deserializeError } from '../../common/ipc/errors';
import { Engine, defaultHelperBinary } from '../../node/engine';
import { Sensor } from '../../node/sensor/index';
import { DEFAULT_HELPER_SOCKET, serveHelper } from '../../node/sensor/serve';

const USAGE = `Usage: glasshouse helper preflight [--local] [--json]
       glasshouse helper run [--socket PATH] [--owner UID:GID] [--ring-bytes N] [--host]

preflight: checks what the runtime sensor needs — kernel and BTF, tracefs, the capabilities it gets, what the
Docker engine allows (rootless Docker and Docker Desktop's Enhanced Container Isolation block it) — and says what
is missing and what to do. Exits 1 when the sensor cannot run.
  --local   check the local root-process mode (GLASSHOUSE_SENSOR=local) instead of the helper container
  --json    print the full report as JSON

run: local mode on Linux. Runs the eBPF helper as a root process listening on a Unix socket, so Glasshouse itself
needs no privileges: start Glasshouse with GLASSHOUSE_SENSOR=socket:PATH. Each helper serves one Glasshouse
client; when it disconnects, a fresh helper listens again. Ctrl-C stops it. Must run as root (sudo).
  --socket PATH      the socket (default ${DEFAULT_HELPER_SOCKET}; its directory is created)
  --owner UID:GID    who may connect besides root (default: the sudo user, from SUDO_UID/SUDO_GID)
  --ring-bytes N     kernel ring-buffer size (default 8 MiB)
  --host             also trace host processes, not only watched containers`;

async function preflightAction(values: { local?: boolean; json?: boolean }, io: CliIo): Promise<number> {
  const engine = new Engine({ endpointEnv: { env: io.env } });
  await engine.start();
  try {
    const status = engine.connection.status;
    if (status.connection !== 'connected' && !values.local) throw deserializeError(status.error ?? { name: 'DockerUnavailableError', message: 'Docker is not reachable.' });
    const report = await Sensor.preflight({
      mode: values.local ? 'local' : 'container',
      ...(status.connection === 'connected' ? { docker: engine.connection.docker } : {}),
      helperPath: defaultHelperBinary(io.env),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const line = (k: string, v: string) => io.stdout.write(`${k.padEnd(20)}${v}\n`);
      line('mode', report.mode === 'local' ? 'local root process' : 'helper container');
      line('kernel', report.kernel ?? 'unknown');
      line('BTF', report.btf ? 'yes (/sys/kernel/btf/vmlinux)' : 'no');
      line('tracefs', report.tracefs ?? 'not found');
      line('capabilities', report.capabilities.join(', ') || 'none');
      if (report.engine) line('engine', `Docker ${report.engine.serverVersion} (API ${report.engine.apiVersion}), cgroup ${report.engine.cgroupDriver} v${report.engine.cgroupVersion}${report.engine.rootless ? ', rootless' : ''}${report.engine.enhancedIsolation ? ', Enhanced Container Isolation' : ''}`);
      line('unsupported kinds', report.unsupportedKinds.join(', ') || 'none');
      io.stdout.write(report.ok ? 'The sensor can run here.\n' : '');
      for (const s of report.sentences) io.stderr.write(`${s}\n`);
    }
    return report.ok ? 0 : 1;
  } finally {
    engine.stop();
  }
}

function parseOwner(text: string | undefined, env: NodeJS.ProcessEnv): { uid: number; gid: number } | undefined {
  if (text === undefined) {
    const uid = Number(env.SUDO_UID), gid = Number(env.SUDO_GID);
    return env.SUDO_UID && Number.isInteger(uid) && Number.isInteger(gid) && uid > 0 ? { uid, gid } : undefined;
  }
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new UserInputError(`--owner "${text}" is not UID:GID.`, 'Give numeric ids, e.g. --owner 1000:1000 (see `id -u` and `id -g`).');
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

async function runAction(values: { socket?: string; owner?: string; 'ring-bytes'?: string; host?: boolean }, io: CliIo): Promise<number> {
  const socketPath = values.socket ?? DEFAULT_HELPER_SOCKET;
  if (!socketPath.startsWith('/')) throw new UserInputError(`--socket "${socketPath}" must be an absolute path.`, `Use e.g. --socket ${DEFAULT_HELPER_SOCKET}.`);
  const owner = parseOwner(values.owner, io.env);
  const ringBytes = values['ring-bytes'] === undefined ? undefined : Number(values['ring-bytes']);
  if (ringBytes !== undefined && !(Number.isInteger(ringBytes) && ringBytes >= 4096)) {
    throw new UserInputError(`--ring-bytes "${values['ring-bytes']}" is not a size in bytes.`, 'Give a whole number of bytes, at least 4096 (it is rounded up to a power of two).');
  }
  if (process.platform !== 'linux') {
    io.stderr.write('`glasshouse helper run` needs Linux: the eBPF helper runs on the host kernel. On macOS and Windows, leave GLASSHOUSE_SENSOR unset so Glasshouse runs the helper container inside the Docker VM.\n');
    return 1;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    io.stderr.write('`glasshouse helper run` loads eBPF programs, so it must run as root, and this process is not root: run `sudo glasshouse helper run`, or leave GLASSHOUSE_SENSOR unset to use the helper container.\n');
    return 1;
  }
  const helperPath = defaultHelperBinary(io.env);
  const r = await serveHelper({
    helperPath, socketPath, owner, ringBytes, host: values.host, interrupted: io.interrupted,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  if (r.code === 0) {
    io.stderr.write(`The sensor helper stopped after serving ${r.clients} client${r.clients === 1 ? '' : 's'}.\n`);
    return 0;
  }
  // explain with the preflight, like the engine does when its sensor cannot start
  const report = await Sensor.preflight({ mode: 'local', helperPath });
  const sentences = report.ok ? [] : report.sentences;
  io.stderr.write(`The sensor helper could not start${r.failure ? `: ${r.failure.replace(/^glasshouse-helper: /, '')}` : '.'}\n`);
  for (const s of sentences) io.stderr.write(`${s}\n`);
  return 1;
}

export const helperCommand: CliCommand = {
  name: 'helper',
  summary: 'Check whether the runtime sensor can run here, or run it as a root process (local mode)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('helper', argv, {
      local: { type: 'boolean' }, json: { type: 'boolean' },
      socket: { type: 'string' }, owner: { type: 'string' }, 'ring-bytes': { type: 'string' }, host: { type: 'boolean' },
    }, true);
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'preflight' && action !== 'run')) {
      throw new UserInputError(`Unknown helper action ${positionals.length ? `"${positionals.join(' ')}"` : '(none given)'}.`, 'Use `glasshouse helper preflight` or `glasshouse helper run`.');
    }
    const wrong = action === 'preflight' ? (['socket', 'owner', 'ring-bytes', 'host'] as const).filter((k) => values[k] !== undefined)
      : (['local', 'json'] as const).filter((k) => values[k] !== undefined);
    if (wrong.length) throw new UserInputError(`--${wrong[0]} is not an option of \`glasshouse helper ${action}\`.`, 'Run `glasshouse helper --help` for the options.');
    return action === 'preflight' ? preflightAction(values, io) : runAction(values, io);
  },
};
