// Docker's multiplexed stdio stream (attach and logs of a container without a TTY): frames of an 8-byte
// header {stream type u8, 3 zero bytes, payload length u32 BE} and the payload. dockerode's own
// demuxStream copies the rest of its buffer once per frame (quadratic in frames per chunk) and ignores
// backpressure; at the helper's event rates that copy alone took more than half a core. This one hands on
// zero-copy slices of the chunks it receives and pauses the source while a destination is full, so a slow
// consumer backs up into the helper, which counts what it has to drop, instead of into this process' memory.
import type { Readable, Writable } from 'node:stream';

const HEADER = 8;

export class DockerStreamDemuxer {
  private readonly header = Buffer.alloc(HEADER);
  private headerFill = 0;
  private left = 0;
  private target: Writable | undefined;

  constructor(private readonly stdout: Writable, private readonly stderr: Writable) {}

  /** Routes one chunk; returns the destination that asked the writer to wait for its "drain", if any. */
  push(chunk: Buffer): Writable | undefined {
    let pos = 0;
    let full: Writable | undefined;
    while (pos < chunk.length) {
      if (this.left === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + take);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < HEADER) break;
        this.headerFill = 0;
        // 0 stdin (echoed), 1 stdout, 2 stderr; anything else is not this protocol: treat as stdout
        this.target = this.header[0] === 2 ? this.stderr : this.stdout;
        this.left = this.header.readUInt32BE(4);
        continue;
      }
      const n = Math.min(this.left, chunk.length - pos);
      const target = this.target!;
      if (!target.write(pos === 0 && n === chunk.length ? chunk : chunk.subarray(pos, pos + n))) full = target;
      this.left -= n;
      pos += n;
    }
    return full;
  }
}

/** Pipes `source` into stdout/stderr through the demuxer, with backpressure; ends both when it ends. */
export function demuxDockerStream(source: Readable | NodeJS.ReadableStream, stdout: Writable, stderr: Writable): void {
  const d = new DockerStreamDemuxer(stdout, stderr);
  const src = source as Readable;
  src.on('data', (chunk: Buffer | string) => {
    const full = d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (full && !full.destroyed && !src.isPaused()) {
      src.pause();
      const resume = () => {
        full.off('drain', resume);
        full.off('close', resume);
        src.resume();
      };
      full.on('drain', resume);
      full.on('close', resume);
    }
  });
}
