// `glasshouse serve`: the browser host — the same renderer and engine as the desktop app, on 127.0.0.1 with a token.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, parsePort } from '../args';
import { Engine } from '../../node/engine';
import { isLoopbackHost, startServer } from '../../server/server';
import { describeError } from '../../common/ipc/errors';

/** The built renderer sits beside the bundled CLI: dist/electron/cli.cjs → dist/renderer. */
export function defaultRendererDir(): string {
  return join(__dirname, '..', 'renderer');
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Open Glasshouse in your browser (serves the UI on 127.0.0.1 with an access token)',
  usage: `Usage: glasshouse serve [--port N] [--host H]

Serves the Glasshouse UI and engine API for a local browser.
  --port N   port to listen on (default 7420; 0 picks a free port)
  --host H   address to bind (default 127.0.0.1). Anything but loopback exposes your containers: be sure.
Open the printed URL: it carries a random token; requests without it are refused.`,
  async run(argv, io) {
    const { values } = parseCommandArgs('serve', argv, {
      port: { type: 'string' }, host: { type: 'string' }, 'renderer-dir': { type: 'string' },
    });
    const port = values.port !== undefined ? parsePort(values.port) : 7420;
    const host = values.host ?? '127.0.0.1';
    const rendererDir = values['renderer-dir'] ?? defaultRendererDir();
    if (!existsSync(join(rendererDir, 'index.html'))) {
      io.stderr.write(`glasshouse serve: the UI is not built (${rendererDir} has no index.html). Run \`npm run build\` first.\n`);
      return 1;
    }
    const engine = new Engine();
    await engine.start();
    const server = await startServer(engine, { host, port, rendererDir });
    if (!isLoopbackHost(host)) {
      io.stderr.write(`Warning: listening on ${host}, not loopback. Anyone who can reach it and has the token sees your containers, `
        + 'and this server speaks plain http: the token and everything on the page travel in clear text over the network. '
        + 'Prefer 127.0.0.1 with an SSH tunnel (ssh -L) or an https reverse proxy.\n');
    }
    io.stdout.write(`Glasshouse is running. Open this URL in your browser:\n\n  ${server.url}\n\nPress Ctrl-C to stop.\n`);
    const status = engine.connection.status;
    if (status.connection !== 'connected' && status.error) {
      io.stderr.write(`Docker: ${describeError(status.error)} Glasshouse keeps trying to reconnect.\n`);
    } else if (status.endpoint) {
      io.stdout.write(`Docker ${status.serverVersion} (API ${status.apiVersion}) at ${status.endpoint.url} [${status.endpoint.kind}]\n`);
    }
    engine.connection.on('status', (s) => {
      if (s.connection === 'connected') io.stdout.write(`Docker connected at ${s.endpoint?.url}.\n`);
      else if (s.error && !s.retryAt) io.stderr.write(`Docker: ${describeError(s.error)}\n`);
    });
    await io.interrupted;
    io.stdout.write('Stopping…\n');
    await server.close();
    engine.stop();
    return 0;
  },
};
