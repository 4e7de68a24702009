// `glasshouse status`: which Docker engine Glasshouse would use, and whether it answers.
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { DockerConnection } from '../../node/docker/connection';
import { GLASSHOUSE_VERSION } from '../../node/engine';
import { describeError } from '../../common/ipc/errors';

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show which Docker engine Glasshouse uses and whether it is reachable',
  usage: `Usage: glasshouse status [--json]

Resolves the Docker endpoint like the docker CLI (DOCKER_HOST, the current docker context, the default
socket, then Podman), connects once and reports. Exits 1 when the engine cannot be used.`,
  async run(argv, io) {
    const { values } = parseCommandArgs('status', argv, { json: { type: 'boolean' } });
    const conn = new DockerConnection({ version: GLASSHOUSE_VERSION, endpointEnv: { env: io.env } });
    await conn.start();
    conn.stop();
    const s = conn.status;
    if (values.json) {
      io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    } else if (s.connection === 'connected') {
      io.stdout.write(`Docker ${s.serverVersion} (API ${s.apiVersion}, ${s.os}) at ${s.endpoint?.url} — from ${s.endpoint?.kind}${s.endpoint?.contextName ? ` "${s.endpoint.contextName}"` : ''}.\n`);
    } else {
      io.stderr.write(`${describeError(s.error ?? 'Docker is not reachable.')}\n`);
    }
    // Answers of an unexpected shape are counted; the last sentence is repeated only where it is not the error above.
    if (!values.json) {
      for (const r of s.answerRejects ?? []) io.stderr.write(`Skipped ${r.count} ${r.call} answer(s).${r.last === s.error?.message ? '' : ` Last: ${r.last}`}\n`);
    }
    return s.connection === 'connected' ? 0 : 1;
  },
};
