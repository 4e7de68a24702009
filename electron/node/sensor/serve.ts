// `glasshouse helper run`: keeps a root helper listening on a Unix socket for an unprivileged engine
// (GLASSHOUSE_SENSOR=socket:PATH). Each helper serves one client (its own BPF state) and exits when it leaves;
// as soon as a helper takes a client, the next one is started to listen for the next client.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
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

interface HelperProc {
  child: ChildProcess;
  listening: boolean;
  /** It took a client (the helper unlinks its socket path on accept). */
  accepted: boolean;
  err: string;
}

export async function serveHelper(o: HelperServeOptions): Promise<HelperServeResult> {
  // The client user must reach the socket inside: 0755 even under the CLI's private umask (the socket itself is chowned).
  if (mkdirSync(dirname(o.socketPath), { recursive: true, mode: 0o755 })) chmodSync(dirname(o.socketPath), 0o755);
  const args = ['--socket', o.socketPath];
  if (o.owner) args.push('--socket-owner', `${o.owner.uid}:${o.owner.gid}`);
  if (o.ringBytes) args.push('--ring-bytes', String(o.ringBytes));
  if (o.host) args.push('--host');
  const live = new Set<HelperProc>();
  let waiting: HelperProc | undefined; // the helper listening for the next client
  let clients = 0, failures = 0, announced = false, stopping = false;
  let result: HelperServeResult | undefined;
  let done!: (r: HelperServeResult) => void;
  const finished = new Promise<HelperServeResult>((r) => (done = r));

  const stopAll = (r: HelperServeResult) => {
    if (stopping) return;
    stopping = true;
    result = r;
    for (const h of live) h.child.kill('SIGTERM'); // each ends its stream (BYE), detaches its hooks and exits
    if (live.size === 0) done(r);
  };
  const spawnNext = () => {
    const h: HelperProc = { child: spawn(o.helperPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }), listening: false, accepted: false, err: '' };
    h.child.stderr!.on('data', (d: Buffer) => (h.err = (h.err + d.toString()).slice(-4000)));
    h.child.on('error', (e) => (h.err += e.message));
    h.child.on('exit', (code) => onExit(h, code));
    live.add(h);
    waiting = h;
  };
  const onExit = (h: HelperProc, code: number | null) => {
    live.delete(h);
    if (waiting === h) waiting = undefined;
    if (code === 0 && h.accepted) clients++;
    if (stopping) {
      if (live.size === 0) done(result!);
      return;
    }
    if (code === 0 && h.accepted) {
      o.log(`A Glasshouse client disconnected (${clients} served).`);
    } else if (code !== 0) {
      failures++;
      const last = h.err.trim().split('\n').filter((l) => !/loaded in \d+ ms/.test(l)).pop() ?? '';
      if (!h.listening || failures >= 3) {
        stopAll({ code: 1, clients, failure: last || `the helper exited with code ${code}` });
        return;
      }
    }
    if (!waiting) setTimeout(() => !stopping && !waiting && spawnNext(), code === 0 ? 0 : 500);
  };
  // the socket appears once a helper has loaded its BPF programs, and disappears when it accepts a client:
  // then the next helper is started at once, so the next client (or an engine restart) never waits
  const poll = setInterval(() => {
    const h = waiting;
    if (!h || stopping) return;
    const exists = existsSync(o.socketPath);
    if (!h.listening && exists) {
      h.listening = true;
      failures = 0;
      if (!announced) {
        announced = true;
        o.log(`The sensor helper is listening on ${o.socketPath}${o.owner ? ` (socket owned by uid ${o.owner.uid})` : ' (root only)'}. ` +
          `Point Glasshouse at it with GLASSHOUSE_SENSOR=socket:${o.socketPath}; Ctrl-C stops it.`);
      }
    } else if (h.listening && !exists) {
      h.accepted = true;
      spawnNext();
    }
  }, 25);
  void o.interrupted.then(() => stopAll({ code: 0, clients }));
  spawnNext();
  const r = await finished;
  clearInterval(poll);
  return { ...r, clients };
}
