// `glasshouse helper preflight`: can the runtime sensor run here, in which mode, and if not, what to do.
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError, deserializeError } from '../../common/ipc/errors';
import { Engine, defaultHelperBinary } from '../../node/engine';
import { Sensor } from '../../node/sensor/index';

const USAGE = `Usage: glasshouse helper preflight [--local] [--json]

Checks what the runtime sensor needs — kernel and BTF, tracefs, the capabilities it gets, what the Docker
engine allows (rootless Docker and Docker Desktop's Enhanced Container Isolation block it) — and says what is
missing and what to do. Exits 1 when the sensor cannot run.
  --local   check the local root-process mode (GLASSHOUSE_SENSOR=local) instead of the helper container
  --json    print the full report as JSON`;

export const helperCommand: CliCommand = {
  name: 'helper',
  summary: 'Check whether the runtime sensor can run here (kernel, BTF, tracefs, capabilities, engine)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('helper', argv, { local: { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (positionals[0] !== 'preflight' || positionals.length !== 1) {
      throw new UserInputError(`Unknown helper action ${positionals.length ? `"${positionals.join(' ')}"` : '(none given)'}.`, 'Use `glasshouse helper preflight`.');
    }
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
  },
};
