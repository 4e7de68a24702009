// `glasshouse helper run`: keeps a root helper listening on a Unix socket for an unprivileged engine
// (GLASSHOUSE_SENSOR=socket:PATH). Each helper serves one client and exits when it leaves; a fresh one
// (fresh BPF state, ~0.3 s to load) then listens for the next.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_HELPER_SOCKET = '/run/glasshouse/helper.sock';

export interface HelperServeOptions {
  helperPath: string;
  socketPath: string;
  /** chown the socket to this user, so a non-root Glasshouse can connect (default: root only). */
  owner?: { uid: number; gid: number };
  ringBytes?: number;
  host?: boolean;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM). */
  interrupted: Promise<void>;
  /** Progress sentences and the helper's own stderr lines. */
  log(line: string): void;
}

export interface HelperServeResult {
  /** 0 after a requested stop; 1 when the helper could not start. */
  code: number;
  /** Clients served (helpers that ran and exited after their client left). */
  clients: number;
  /** The helper's last stderr lines when it failed. */
  failure?: string;
}

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

export async function serveHelper(o: HelperServeOptions): Promise<HelperServeResult> {
  mkdirSync(dirname(o.socketPath), { recursive: true, mode: 0o755 });
  let stopping = false;
  let child: ChildProcess | undefined;
  void o.interrupted.then(() => {
    stopping = true;
    child?.kill('SIGTERM'); // the helper ends its stream (BYE), detaches its hooks and exits
  });
  const args = ['--socket', o.socketPath];
  if (o.owner) args.push('--socket-owner', `${o.owner.uid}:${o.owner.gid}`);
  if (o.ringBytes) args.push('--ring-bytes', String(o.ringBytes));
  if (o.host) args.push('--host');
  let clients = 0;
  let failures = 0;
  let announced = false;
  while (!stopping) {
    const c = spawn(o.helperPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let err = '';
    c.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    // the socket appears once the BPF programs are loaded and attached
    let listening = false;
    const poll = setInterval(() => {
      if (!listening && existsSync(o.socketPath)) {
        listening = true;
        failures = 0;
        if (!announced) {
          announced = true;
          o.log(`The sensor helper is listening on ${o.socketPath}${o.owner ? ` (socket owned by uid ${o.owner.uid})` : ' (root only)'}. ` +
            `Point Glasshouse at it with GLASSHOUSE_SENSOR=socket:${o.socketPath}; Ctrl-C stops it.`);
        }
      }
    }, 50);
    const code = await waitExit(c);
    clearInterval(poll);
    child = undefined;
    if (stopping) break;
    if (code === 0) {
      clients++;
      o.log(`A Glasshouse client disconnected (${clients} served); a fresh helper listens on ${o.socketPath}.`);
      continue;
    }
    failures++;
    const last = err.trim().split('\n').filter((l) => !/loaded in \d+ ms/.test(l)).pop() ?? '';
    if (!listening || failures >= 3) return { code: 1, clients, failure: last || `the helper exited with code ${code}` };
    await new Promise((r) => setTimeout(r, 500));
  }
  return { code: 0, clients };
}
