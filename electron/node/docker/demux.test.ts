import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { demuxDockerStream, DockerStreamDemuxer } from './demux';

const frame = (type: number, payload: Buffer) => {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

class Sink extends Writable {
  parts: Buffer[] = [];
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void) {
    this.parts.push(c);
    cb();
  }
  text() {
    return Buffer.concat(this.parts).toString();
  }
}

describe('DockerStreamDemuxer', () => {
  const wire = Buffer.concat([
    frame(1, Buffer.from('hello ')),
    frame(2, Buffer.from('oops\n')),
    frame(1, Buffer.from('world')),
    frame(1, Buffer.alloc(0)),
    frame(2, Buffer.from('again')),
  ]);

  it('routes stdout and stderr whatever the chunking: headers and payloads split at every byte', () => {
    for (const size of [1, 2, 3, 7, 8, 9, 13, wire.length]) {
      const out = new Sink(), err = new Sink();
      const d = new DockerStreamDemuxer(out, err);
      for (let i = 0; i < wire.length; i += size) d.push(wire.subarray(i, i + size));
      expect(out.text(), `chunks of ${size}`).toBe('hello world');
      expect(err.text(), `chunks of ${size}`).toBe('oops\nagain');
    }
  });

  it('hands on slices of the received chunk, not copies', () => {
    const out = new Sink(), err = new Sink();
    const chunk = frame(1, Buffer.from('abcdef'));
    new DockerStreamDemuxer(out, err).push(chunk);
    expect(out.parts[0].buffer).toBe(chunk.buffer);
  });

  it('reports the destination that is full', () => {
    const out = new PassThrough({ highWaterMark: 4 }), err = new Sink(); // unread: full after 4 bytes
    const full = new DockerStreamDemuxer(out, err).push(frame(1, Buffer.from('more than four bytes')));
    expect(full).toBe(out);
    expect(new DockerStreamDemuxer(new Sink(), err).push(frame(1, Buffer.from('x')))).toBeUndefined(); // room left
  });
});

describe('demuxDockerStream', () => {
  it('pauses the source while stdout is full and resumes on drain, losing nothing', async () => {
    const src = new PassThrough();
    const out = new PassThrough({ highWaterMark: 16 }); // nobody reads yet: fills at once
    const err = new Sink();
    demuxDockerStream(src, out, err);
    const payload = Buffer.alloc(64 * 1024, 0x61);
    src.write(frame(1, payload));
    src.write(frame(1, Buffer.from('tail')));
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).toBe(true);
    const got: Buffer[] = [];
    out.on('data', (c: Buffer) => got.push(c));
    await new Promise((r) => setTimeout(r, 20));
    expect(src.isPaused()).toBe(false);
    expect(Buffer.concat(got).length).toBe(payload.length + 4);
    expect(Buffer.concat(got).subarray(-4).toString()).toBe('tail');
    expect(out.listenerCount('drain') + out.listenerCount('close')).toBeLessThanOrEqual(1); // no listener left per pause
  });
});
