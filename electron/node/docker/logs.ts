// Following a container's stdout/stderr live: demultiplexed, timestamped lines in batches of at most 10 a second.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { NotFoundError } from '../../common/ipc/errors';
import type { LogFollowLines } from '../../common/ipc/response';
import { refusal } from './actions';
import { inspectInfo } from './answers';
import { demuxDockerStream } from './demux';
import { lineSplitter } from './lines';

type Line = LogFollowLines['lines'][number];
const BATCH_MS = 100;
/** A chatty container cannot flood the UI: beyond this per batch, only the newest lines are sent. */
const MAX_LINES_PER_BATCH = 1000;
const MAX_FOLLOWS = 32;

interface Follow { id: string; containerId: string; stream: NodeJS.ReadableStream & { destroy?: () => void }; pending: Line[]; timer?: NodeJS.Timeout; done: boolean }

/** One Docker log line ("<RFC 3339 timestamp> <text>", the timestamp added by `timestamps: true`) as a Line. */
function logLines(stream: 'stdout' | 'stderr', out: (l: Line) => void): (chunk: Buffer) => void {
  return lineSplitter((line) => {
    const raw = line.replace(/\r$/, '');
    const sp = raw.indexOf(' ');
    const ts = Date.parse(raw.slice(0, sp));
    out({ stream, ts: Number.isFinite(ts) ? ts : 0, text: Number.isFinite(ts) ? raw.slice(sp + 1) : raw });
  });
}

export class LogFollowers {
  private readonly follows = new Map<string, Follow>();

  constructor(private readonly docker: () => Dockerode, private readonly emit: (l: LogFollowLines) => void) {}

  /** Starts following; `since` (ms epoch) skips what the caller already has, else only new lines come. */
  async follow(id: string, since?: number): Promise<{ followId: string }> {
    if (this.follows.size >= MAX_FOLLOWS) this.unfollow(this.follows.keys().next().value!);
    const docker = this.docker();
    const c = docker.getContainer(id);
    let info: Dockerode.ContainerInspectInfo;
    try { info = await inspectInfo(docker, id); } catch (err) { throw refusal(err, id, 'following the logs of'); }
    const stream = (await c.logs({
      follow: true, stdout: true, stderr: true, timestamps: true,
      ...(since ? { since: Math.floor(since / 1000) } : { tail: 0 }),
    })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    const f: Follow = { id: `f${randomBytes(6).toString('hex')}`, containerId: info.Id, stream, pending: [], done: false };
    this.follows.set(f.id, f);
    const add = (l: Line) => {
      // Lines at or before `since` were in the tail the caller already shows (Docker's since is in whole seconds).
      if (since && l.ts && l.ts <= since) return;
      f.pending.push(l);
      if (f.pending.length > MAX_LINES_PER_BATCH) f.pending.splice(0, f.pending.length - MAX_LINES_PER_BATCH);
      f.timer ??= setTimeout(() => this.flush(f), BATCH_MS);
    };
    if (info.Config?.Tty) {
      stream.on('data', logLines('stdout', add));
    } else {
      const out = new PassThrough();
      const err = new PassThrough();
      out.on('data', logLines('stdout', add));
      err.on('data', logLines('stderr', add));
      demuxDockerStream(stream, out, err);
    }
    const end = () => {
      if (f.done) return;
      f.done = true;
      if (f.timer) clearTimeout(f.timer);
      this.flush(f, true);
      this.follows.delete(f.id);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    return { followId: f.id };
  }

  private flush(f: Follow, ended = false): void {
    f.timer = undefined;
    if (!f.pending.length && !ended) return;
    const lines = f.pending;
    f.pending = [];
    this.emit({ followId: f.id, containerId: f.containerId, lines, ...(ended ? { ended: true } : {}) });
  }

  unfollow(followId: string): void {
    const f = this.follows.get(followId);
    if (!f) throw new NotFoundError('This log stream has already ended.', 'Follow the logs again.');
    f.done = true;
    if (f.timer) clearTimeout(f.timer);
    this.follows.delete(followId);
    f.stream.destroy?.();
  }

  closeAll(): void {
    for (const id of [...this.follows.keys()]) this.unfollow(id);
  }
}
