// Per-container reads for the detail view: inspect (+ image digest), process list, log tail.
import type Dockerode from 'dockerode';
import type { FilePreview, LogLine } from '../../common/ipc/contract';
import { NotFoundError } from '../../common/ipc/errors';
import type { ContainerDetail, ProcessListing } from '../../common/model/container';
import { DockerAnswerError, inspectInfo, isEmptyAnswer, parseInspect, parseTop } from './answers';
import { toContainerDetail } from './inspect';

function notFound(id: string, err: unknown): never {
  if ((err as { statusCode?: number }).statusCode === 404) {
    throw new NotFoundError(`There is no container "${id}" (any more).`, 'It may have been removed; pick another one from the list.');
  }
  throw err;
}

export async function inspectContainer(docker: Dockerode, id: string): Promise<ContainerDetail> {
  const info = parseInspect(id, await docker.getContainer(id).inspect().catch((e) => notFound(id, e)));
  let digest: string | undefined;
  try {
    const img = await docker.getImage(info.Image).inspect();
    digest = img.RepoDigests?.[0] ?? img.Id;
  } catch {
    digest = info.Image; // image deleted or untagged: the image id is the best identity left
  }
  return toContainerDetail(info, digest);
}

export async function listProcesses(docker: Dockerode, id: string): Promise<ProcessListing> {
  const c = docker.getContainer(id);
  try {
    const body: unknown = await c.top({ ps_args: '-eo pid,ppid,user,etime,args' });
    // Podman runs ps inside the container and answers a refused argument list with an empty 200 rather than a 500:
    // busybox's ps knows no -e (it lists every process anyway) nor etime, so its own columns are asked for next
    // (never first: Docker runs ps on the host, where -o without -e lists only ps's own terminal).
    if (isEmptyAnswer(body)) {
      const own: unknown = await c.top({ ps_args: '-o pid,ppid,user,args' }).catch(() => undefined);
      if (!isEmptyAnswer(own)) {
        const top = parseTop(id, own);
        return { titles: top.Titles, rows: top.Processes };
      }
      return await defaultColumns(id, c);
    }
    const top = parseTop(id, body);
    return { titles: top.Titles, rows: top.Processes };
  } catch (err) {
    if (err instanceof DockerAnswerError) throw err;
    const e = err as { statusCode?: number; json?: { message?: string } };
    if (e.statusCode === 409) return { titles: [], rows: [] }; // not running: no processes
    if (e.statusCode === 500) {
      // Some engines (Podman, Docker Desktop) reject custom ps args; retry with the default columns.
      return defaultColumns(id, c);
    }
    return notFound(id, err);
  }
}

async function defaultColumns(id: string, c: Dockerode.Container): Promise<ProcessListing> {
  const top = parseTop(id, await c.top().catch((x) => notFound(id, x)));
  return { titles: top.Titles, rows: top.Processes };
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) unless the container has a TTY. */
export function demuxLogs(buf: Buffer, tty: boolean): LogLine[] {
  const out: LogLine[] = [];
  const addText = (stream: 'stdout' | 'stderr', text: string) => {
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      const sp = raw.indexOf(' ');
      const ts = Date.parse(raw.slice(0, sp));
      out.push({ stream, ts: Number.isFinite(ts) ? ts : 0, text: Number.isFinite(ts) ? raw.slice(sp + 1) : raw });
    }
  };
  if (tty) {
    addText('stdout', buf.toString('utf8'));
    return out;
  }
  let off = 0;
  while (off + 8 <= buf.length) {
    const kind = buf[off];
    const len = buf.readUInt32BE(off + 4);
    const end = Math.min(buf.length, off + 8 + len);
    addText(kind === 2 ? 'stderr' : 'stdout', buf.subarray(off + 8, end).toString('utf8'));
    off = end;
  }
  return out;
}

export async function tailLogs(docker: Dockerode, id: string, tail: number): Promise<LogLine[]> {
  const c = docker.getContainer(id);
  const info = await inspectInfo(docker, id).catch((e) => notFound(id, e));
  const raw = (await c.logs({ stdout: true, stderr: true, timestamps: true, tail, follow: false })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)), !!info.Config?.Tty);
}

const PREVIEW_MAX = 64 * 1024;

/** Reads the start of one file from a container through the archive API (tar), for a text preview. */
export async function previewFile(docker: Dockerode, id: string, path: string): Promise<FilePreview> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.getContainer(id).getArchive({ path })) as unknown as NodeJS.ReadableStream;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new NotFoundError(`${path} does not exist in container ${id.slice(0, 12)} (any more).`, 'It may have been deleted since it changed.');
    }
    throw err;
  }
  // The first tar entry is the file itself: 512-byte header (size in octal at 124), then its bytes.
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    chunks.push(c);
    have += c.length;
    if (have >= 512 + PREVIEW_MAX) break;
  }
  (stream as unknown as { destroy?: () => void }).destroy?.();
  const buf = Buffer.concat(chunks);
  const type = String.fromCharCode(buf[156] || 48);
  const size = parseInt(buf.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
  if (type === '5') return { path, bytes: 0, binary: false, truncated: false, text: undefined };
  const body = buf.subarray(512, 512 + Math.min(size, PREVIEW_MAX));
  const binary = body.includes(0) || !isUtf8(body);
  return { path, bytes: size, binary, truncated: size > PREVIEW_MAX, ...(binary ? {} : { text: body.toString('utf8') }) };
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
