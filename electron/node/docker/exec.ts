// Terminals: a TTY exec per terminal through dockerode, shell found by probing, resize, scrollback for re-attach.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { GlasshouseError, NotFoundError, UserInputError } from '../../common/ipc/errors';
import type { TerminalExit, TerminalInfo, TerminalOutput } from '../../common/ipc/response';
import { isGone, refusal } from './actions';
import { inspectExec, inspectInfo } from './answers';

/** Shells tried in order when the user does not pick one. */
export const SHELL_CANDIDATES = ['bash', 'ash', 'sh'] as const;
export const MAX_TERMINALS = 16;
const SCROLLBACK_BYTES = 64 * 1024;
/** Output is batched this long so a busy command sends tens of messages a second, not thousands. */
const FLUSH_MS = 16;
const PROBE_TIMEOUT_MS = 5000;

/** Reads /proc/<pid>/cgroup; injectable so the decision can be tested without a process. */
export type CgroupReader = (pid: number) => string | undefined;
const readProcCgroup: CgroupReader = (pid) => {
  try { return readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return undefined; }
};

/**
 * Whether the exec's pid may be SIGKILLed on this host: only when the engine is reached over a unix socket of this
 * machine (not a TCP/SSH DOCKER_HOST) and the pid's cgroup names the container's 64-hex id. Docker Desktop and
 * Podman machine run the container in a VM, so the same pid number here is someone else's and fails the check.
 */
export function mayKillExecPid(engine: { socketPath?: unknown; host?: unknown }, pid: number, containerId: string, readCgroup: CgroupReader = readProcCgroup): boolean {
  if (typeof engine.socketPath !== 'string' || !engine.socketPath.startsWith('/') || engine.host) return false;
  if (!Number.isInteger(pid) || pid <= 1 || !/^[0-9a-f]{64}$/.test(containerId)) return false;
  const cg = readCgroup(pid);
  return cg !== undefined && cg.split('\n').some((line) => line.includes(containerId));
}

/**
 * POST /exec/{id}/resize. Podman 4.3 answers a resize done with 201 Created where Docker answers 200, and
 * dockerode's exec.resize takes anything but 200 for a failure (one with an empty message), so this accepts both.
 */
export function resizeExec(exec: Dockerode.Exec, h: number, w: number): Promise<void> {
  const modem = exec.modem as { dial(o: object, cb: (err: unknown) => void): void };
  return new Promise((resolve, reject) => modem.dial({
    path: `/exec/${exec.id}/resize?`, method: 'POST', options: { h, w },
    statusCodes: { 200: true, 201: true, 404: 'no such exec', 500: 'container not running' },
  }, (err) => (err ? reject(err) : resolve())));
}

export class NoShellError extends GlasshouseError { override name = 'GlasshouseError'; }

function execRefused(err: unknown, name: string): GlasshouseError {
  const msg = String((err as { json?: { message?: string } })?.json?.message ?? (err as Error)?.message ?? err);
  if (/is paused/i.test(msg)) return new GlasshouseError(`Container "${name}" is paused, so no shell can start in it.`, 'Unpause it first.', 'EPAUSED');
  if (/is not running|is restarting/i.test(msg)) return new GlasshouseError(`Container "${name}" is not running, so no shell can start in it.`, 'Start it first (docker start), or look at its logs.', 'ENOTRUNNING');
  const e = refusal(err, name, 'starting a shell in');
  return new GlasshouseError(`The Docker engine refused to start a shell in "${name}": ${msg.replace(/\s+$/, '').replace(/\.$/, '')}.`,
    e instanceof NotFoundError ? e.hint : 'An authorization plugin or the engine\'s policy may forbid exec; docker exec gives the same answer.', 'EEXEC');
}

/** Runs `cmd` without a TTY and returns its exit code (or undefined when it could not start). */
async function probe(container: Dockerode.Container, cmd: string[]): Promise<number | undefined> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => { stream.destroy(); resolve(); }, PROBE_TIMEOUT_MS);
    stream.on('data', () => undefined);
    stream.on('end', () => { clearTimeout(t); resolve(); });
    stream.on('close', () => { clearTimeout(t); resolve(); });
    stream.on('error', () => { clearTimeout(t); resolve(); });
  });
  const r = await inspectExec(exec);
  return r.Running ? undefined : (r.ExitCode ?? undefined);
}

/** Finds a shell in the container: the user's choice, else bash, ash, sh — by actually running each. */
export async function findShell(docker: Dockerode, id: string, wanted?: string): Promise<{ shell: string; info: Dockerode.ContainerInspectInfo }> {
  let info: Dockerode.ContainerInspectInfo;
  try { info = await inspectInfo(docker, id); } catch (err) { throw refusal(err, id, 'opening a terminal in'); }
  const name = info.Name.replace(/^\//, '');
  if (info.State.Paused) throw execRefused({ message: 'is paused' }, name);
  if (!info.State.Running) throw execRefused({ message: 'is not running' }, name);
  const candidates = wanted ? [wanted] : [...SHELL_CANDIDATES];
  for (const shell of candidates) {
    let code: number | undefined;
    try {
      code = await probe(docker.getContainer(info.Id), [shell, '-c', 'exit 0']);
    } catch (err) {
      if (isGone(err)) throw refusal(err, name, 'opening a terminal in');
      throw execRefused(err, name);
    }
    if (code === 0) return { shell, info };
  }
  if (wanted) throw new UserInputError(`Container "${name}" has no shell "${wanted}".`, `Pick another shell, or leave the choice empty to try ${SHELL_CANDIDATES.join(', ')}.`);
  throw new NoShellError(`Container "${name}" has no shell: none of ${SHELL_CANDIDATES.join(', ')} runs in it.`,
    'Its image is probably distroless or FROM scratch. Use the Logs and Processes views, `docker cp`, or a debug container sharing its namespaces (docker run -it --pid container:NAME --network container:NAME busybox sh).', 'ENOSHELL');
}

interface Terminal {
  info: TerminalInfo;
  exec: Dockerode.Exec;
  stream: Duplex;
  decoder: StringDecoder;
  pending: string;
  timer?: NodeJS.Timeout;
  scrollback: string;
  closed: boolean;
}

export interface TerminalEvents {
  output(o: TerminalOutput): void;
  exit(e: TerminalExit): void;
}

/** All open terminals of one engine. Each is a TTY exec; output is batched and kept as a short scrollback. */
export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();

  constructor(private readonly docker: () => Dockerode, private readonly events: TerminalEvents) {}

  list(): TerminalInfo[] {
    return [...this.terminals.values()].map((t) => t.info);
  }

  async open(id: string, opts: { shell?: string; cols: number; rows: number }): Promise<TerminalInfo> {
    if (this.terminals.size >= MAX_TERMINALS) {
      throw new GlasshouseError(`${MAX_TERMINALS} terminals are already open.`, 'Close one before opening another.', 'ETOOMANY');
    }
    const docker = this.docker();
    const { shell, info } = await findShell(docker, id, opts.shell);
    const name = info.Name.replace(/^\//, '');
    let exec: Dockerode.Exec;
    let stream: Duplex;
    try {
      exec = await docker.getContainer(info.Id).exec({
        Cmd: [shell], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true,
        // TERM makes line editing and colours work in xterm.js; the label makes the exec findable in the process tree.
        Env: ['TERM=xterm-256color', 'GLASSHOUSE_TERMINAL=1'],
      });
      // The size goes with the start, so the shell begins with it (an exec's TTY cannot be resized before its
      // process runs: Podman answers 500 "exec session state improper"). Podman 4.3 reads `h`/`w` from this body,
      // Docker >= 23 (API 1.42) `ConsoleSize`; older Dockers ignore both and take the resize below.
      stream = (await exec.start({
        hijack: true, stdin: true, Tty: true, h: opts.rows, w: opts.cols, ConsoleSize: [opts.rows, opts.cols],
      } as Dockerode.ExecStartOptions)) as Duplex;
    } catch (err) {
      throw execRefused(err, name);
    }
    const terminalId = `t${randomBytes(6).toString('hex')}`;
    const t: Terminal = {
      info: { terminalId, containerId: info.Id, containerName: name, shell, cols: opts.cols, rows: opts.rows, openedAt: Date.now() },
      exec, stream, decoder: new StringDecoder('utf8'), pending: '', scrollback: '', closed: false,
    };
    this.terminals.set(terminalId, t);
    stream.on('data', (chunk: Buffer) => this.push(t, t.decoder.write(chunk)));
    const end = (why?: string) => void this.finish(t, why);
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', (e) => end(`The connection to the shell broke: ${e.message}.`));
    await this.resize(terminalId, opts.cols, opts.rows).catch(() => undefined);
    return t.info;
  }

  private push(t: Terminal, text: string): void {
    if (!text) return;
    t.pending += text;
    t.scrollback = (t.scrollback + text).slice(-SCROLLBACK_BYTES);
    t.timer ??= setTimeout(() => this.flush(t), FLUSH_MS);
  }

  private flush(t: Terminal): void {
    t.timer = undefined;
    if (!t.pending) return;
    const data = t.pending;
    t.pending = '';
    this.events.output({ terminalId: t.info.terminalId, data });
  }

  private async finish(t: Terminal, why?: string): Promise<void> {
    if (t.closed) return;
    t.closed = true;
    this.push(t, t.decoder.end());
    if (t.timer) clearTimeout(t.timer);
    this.flush(t);
    this.terminals.delete(t.info.terminalId);
    let code: number | null = null;
    try {
      const r = await inspectExec(t.exec);
      code = r.ExitCode;
    } catch (err) {
      if (!why) why = isGone(err) ? `Container "${t.info.containerName}" is gone.` : undefined;
    }
    this.events.exit({ terminalId: t.info.terminalId, code, ...(why ? { message: why } : {}) });
  }

  private get(terminalId: string): Terminal {
    const t = this.terminals.get(terminalId);
    if (!t) throw new NotFoundError('This terminal has ended.', 'Open a new one.');
    return t;
  }

  input(terminalId: string, data: string): void {
    const t = this.get(terminalId);
    t.stream.write(data);
  }

  async resize(terminalId: string, cols: number, rows: number): Promise<void> {
    const t = this.get(terminalId);
    t.info = { ...t.info, cols, rows };
    try {
      await resizeExec(t.exec, rows, cols);
    } catch (err) {
      // The shell may have just exited: that is reported by 'exit', not as a resize failure.
      if (!t.closed) throw refusal(err, t.info.containerName, 'resizing the terminal of');
    }
  }

  attach(terminalId: string): { info: TerminalInfo; scrollback: string } {
    const t = this.get(terminalId);
    return { info: t.info, scrollback: t.scrollback };
  }

  close(terminalId: string): void {
    const t = this.terminals.get(terminalId);
    if (!t) return;
    // Docker keeps a TTY exec alive when its connection drops, so end the shell the way a user would: Ctrl-C stops a
    // foreground program, Ctrl-D at the prompt ends the shell. A shell that ignores both is killed by pid below.
    try { t.stream.write('\x03\x04'); } catch { /* already closed */ }
    setTimeout(() => void this.hangUp(t), 1000).unref();
  }

  private async hangUp(t: Terminal): Promise<void> {
    try {
      const r = await inspectExec(t.exec);
      // Only a local engine's process in the container's own cgroup; elsewhere the connection close is all we have.
      const modem = (this.docker() as unknown as { modem?: { socketPath?: unknown; host?: unknown } }).modem ?? {};
      if (r.Running && r.Pid && mayKillExecPid(modem, r.Pid, t.info.containerId)) process.kill(r.Pid, 'SIGKILL');
    } catch { /* exec or container gone: nothing left to end */ }
    if (!t.closed) t.stream.destroy();
  }

  closeAll(): void {
    for (const id of [...this.terminals.keys()]) this.close(id);
  }
}
