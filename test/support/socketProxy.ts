// A unix-socket proxy in front of the real Docker socket, so a test can cut the engine away and bring it back.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { engineSocket } from './docker';

export class SocketProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly path: string, private readonly target = engineSocket()) {}

  async up(): Promise<void> {
    rmSync(this.path, { force: true });
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => this.server!.listen(this.path, r));
  }

  /** Closes the listener and every live connection, as if dockerd had stopped. */
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
    rmSync(this.path, { force: true });
  }
}
