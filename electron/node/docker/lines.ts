// Docker's streaming endpoints (events, stats) send one JSON document per line, torn across chunks at random.
export type DockerStream = NodeJS.ReadableStream & { destroy?: () => void };

/** Calls onLine with every non-empty line of the stream, joining a line that was torn across chunks. */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
  });
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
