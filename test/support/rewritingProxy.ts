// An HTTP proxy on a unix socket in front of the real Docker socket that can replace chosen answers, so a test sees
// how Glasshouse takes an engine (or a proxy in front of it) that answers in an unexpected shape.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';

/** What to answer instead: status, content type and body. */
export interface Replacement {
  status?: number;
  contentType?: string;
  body: string;
}

/**
 * Decides per request: undefined passes the engine's answer through untouched (streams included); a function gets
 * the engine's whole answer body (non-streaming calls only) and returns the replacement or undefined to keep it.
 */
export type Rewrite = (method: string, path: string) => ((upstream: { status: number; body: string }) => Replacement | undefined) | Replacement | undefined;

export class RewritingProxy {
  private server: Server | undefined;
  constructor(readonly path: string, private readonly rewrite: Rewrite, private readonly target = '/var/run/docker.sock') {}

  async up(): Promise<void> {
    rmSync(this.path, { force: true });
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.path, r));
  }

  async down(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
    rmSync(this.path, { force: true });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const rule = this.rewrite(req.method ?? 'GET', req.url ?? '/');
    if (rule && typeof rule !== 'function') {
      req.resume();
      return void send(res, rule);
    }
    const up = request({ socketPath: this.target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (!rule) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A quiet event stream sends nothing after its headers: pass those on now, not with the first event.
        res.flushHeaders();
        return void answer.pipe(res);
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r = rule({ status: answer.statusCode ?? 0, body });
        send(res, r ?? { status: answer.statusCode, contentType: String(answer.headers['content-type'] ?? 'application/json'), body });
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}

function send(res: ServerResponse, r: Replacement): void {
  res.writeHead(r.status ?? 200, { 'Content-Type': r.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(r.body) });
  res.end(r.body);
}
