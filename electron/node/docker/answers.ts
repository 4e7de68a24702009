// Docker Engine API answers are parsed here, where they enter: an answer of an unexpected shape becomes a
// counted DockerAnswerError with a sentence, never a poisoned row. Schemas tolerate extra fields (Docker 20.10,
// 26 and Podman's compat API differ in what they add or omit).
import { z } from 'zod';
import type { DockerDiffEntry } from '../../common/state/fileTable';

/** Rejected answers per API call, for status and tests. */
const rejects = new Map<string, number>();
export function answerRejects(): Record<string, number> {
  return Object.fromEntries(rejects);
}

export class DockerAnswerError extends Error {
  constructor(readonly call: string, readonly containerId: string | undefined, readonly problem: string) {
    super(`The container engine answered ${call}${containerId ? ` for container ${containerId.slice(0, 12)}` : ''} ` +
      `with an unexpected shape (${problem}); this answer was skipped. Check that the engine is Docker or a ` +
      `Docker-compatible API (Podman compat), and report the engine version if it persists.`);
    this.name = 'DockerAnswerError';
  }
}

function reject(call: string, containerId: string | undefined, problem: string): DockerAnswerError {
  rejects.set(call, (rejects.get(call) ?? 0) + 1);
  return new DockerAnswerError(call, containerId, problem);
}

/** dockerode hands some bodies back as a Buffer or string (e.g. `null\n`); turn them into JSON values. */
function bodyJson(call: string, containerId: string | undefined, body: unknown): unknown {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') {
    const text = Buffer.from(body as Uint8Array | string).toString('utf8').trim();
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw reject(call, containerId, 'the body is not JSON');
    }
  }
  return body;
}

function parse<T>(schema: z.ZodType<T>, call: string, containerId: string | undefined, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw reject(call, containerId, i ? `${i.path.join('.') || 'answer'}: ${i.message}` : 'invalid');
}

const DiffEntry = z.looseObject({ Path: z.string().min(1), Kind: z.union([z.literal(0), z.literal(1), z.literal(2)]) });
const Diff = z.array(DiffEntry).nullable();

/** GET /containers/{id}/changes: `null`, an empty body and a Buffer body are all valid; `null` is no change. */
export function parseDiff(containerId: string, body: unknown): DockerDiffEntry[] {
  return (parse(Diff, 'container diff', containerId, bodyJson('container diff', containerId, body)) ?? []).map((d) => ({ Path: d.Path, Kind: d.Kind }));
}
