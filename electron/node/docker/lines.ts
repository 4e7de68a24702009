// Docker's streaming endpoints (events, stats) send one JSON document per line, and container logs one line of
// text per line, torn across chunks at random.
import { StringDecoder } from 'node:string_decoder';

export type DockerStream = NodeJS.ReadableStream & { destroy?: () => void };

/**
 * A chunk handler that calls onLine with every complete line (without its "\n"), however the chunks tear lines and
 * UTF-8 characters apart (a multi-byte character split across two chunks is decoded whole, not as two U+FFFD).
 */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  return (chunk: Buffer) => {
    buf += decoder.write(chunk);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  };
}

/** Calls onLine with every non-empty line of the stream (trimmed), joining a line that was torn across chunks. */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  stream.on('data', lineSplitter((raw) => {
    const line = raw.trim();
    if (line) onLine(line);
  }));
}

/**
 * Opens a streaming endpoint and follows its lines until the returned function is called. Failures end the
 * stream quietly: callers that must notice a lost engine have the catalog's own stream for that.
 */
export function followLines(open: () => Promise<unknown>, onLine: (line: string) => void): () => void {
  let stream: DockerStream | undefined;
  let stopped = false;
  void open().then((s) => {
    stream = s as DockerStream;
    if (stopped) return stream.destroy?.();
    eachLine(stream, onLine);
    stream.on('error', () => undefined);
  }, () => undefined);
  return () => {
    stopped = true;
    stream?.destroy?.();
  };
}
