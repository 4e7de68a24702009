// HTTP for ticket trackers: JSON over Node's fetch, honouring retry-after / x-ratelimit-reset on 403 and 429.
import { IntegrationError } from '../../../common/ipc/errors';

export interface HttpDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Longest single wait we accept before giving up with a sentence (default 15 min). */
  maxWaitMs?: number;
  /** Attempts per request including the first (default 5). */
  maxAttempts?: number;
  /** Told about each wait so a CLI can print "rate limited, waiting 42 s". */
  onWait?: (ms: number, reason: string) => void;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface HttpResponse { status: number; headers: Headers; json: unknown; text: string }

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * How long the service asked us to wait, or undefined when the response is not a rate limit.
 * GitHub: 403/429 with retry-after, or x-ratelimit-remaining: 0 + x-ratelimit-reset (epoch s), or a
 * "secondary rate limit" message with neither (then ≥ 60 s). Jira: 429 with Retry-After / X-RateLimit-Reset (ISO).
 */
export function rateLimitWaitMs(status: number, headers: Headers, text: string, now: number, attempt: number): number | undefined {
  if (status !== 429 && status !== 403) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('x-ratelimit-reset');
  const remaining = headers.get('x-ratelimit-remaining');
  if (reset && (status === 429 || remaining === '0')) {
    const n = Number(reset);
    const at = Number.isFinite(n) ? n * 1000 : Date.parse(reset);
    if (Number.isFinite(at)) return Math.max(0, at - now) + 1000;
  }
  if (status === 429 || /rate limit/i.test(text)) return 60_000 * 2 ** (attempt - 1);
  return undefined; // a plain 403 is a permission problem: waiting will not help
}

export async function requestJson(service: string, req: HttpRequest, deps: HttpDeps = {}): Promise<HttpResponse> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const maxWait = deps.maxWaitMs ?? 15 * 60_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await doFetch(req.url, {
        method: req.method,
        headers: req.body === undefined ? req.headers : { 'Content-Type': 'application/json', ...req.headers },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        redirect: 'error',
      });
    } catch (e) {
      if (attempt < Math.min(3, maxAttempts)) { await sleep(1000 * attempt); continue; }
      throw new IntegrationError(`${service} could not be reached at ${new URL(req.url).origin}: ${(e as Error).message}.`,
        'Check the server address and your network connection, then try again.');
    }
    const text = await res.text();
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    const wait = rateLimitWaitMs(res.status, res.headers, text, now(), attempt);
    if (wait !== undefined) {
      if (attempt >= maxAttempts || wait > maxWait) {
        throw new IntegrationError(
          `${service} is rate limiting requests (HTTP ${res.status}) and asked to wait ${Math.ceil(wait / 1000)} s.`,
          'Try again later; tickets already created are remembered and will not be duplicated.', 'rate-limited');
      }
      deps.onWait?.(wait, `${service} rate limit (HTTP ${res.status})`);
      await sleep(wait);
      continue;
    }
    if (res.status >= 500 && attempt < Math.min(3, maxAttempts)) { await sleep(1000 * 2 ** (attempt - 1)); continue; }
    return { status: res.status, headers: res.headers, json, text };
  }
}

/** A user-facing sentence for a failed tracker call, by status. */
export function trackerError(service: string, where: string, action: string, res: HttpResponse): IntegrationError {
  const detail = serviceMessage(res);
  const base = `${service} refused to ${action} in ${where} (HTTP ${res.status}${detail ? `: ${detail}` : ''}).`;
  const hint = ({
    400: 'The ticket was rejected as invalid; check required fields, issue type and priority names for this project.',
    401: 'The token was rejected: check it is valid and not expired.',
    403: `The token may not create issues in ${where}; check its scopes and project permissions.`,
    404: `${where} was not found or the token cannot see it; check the name and the token's access.`,
    410: `Issues are disabled in ${where}.`,
    422: 'The ticket was rejected as invalid; check labels, assignees and the body size.',
  } as Record<number, string>)[res.status] ?? 'Try again later.';
  return new IntegrationError(base, hint, `http-${res.status}`);
}

function serviceMessage(res: HttpResponse): string {
  const j = res.json as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object') return res.text.slice(0, 200);
  const parts: string[] = [];
  if (typeof j.message === 'string') parts.push(j.message);
  if (typeof j.error === 'string') parts.push(j.error);
  if (Array.isArray(j.errorMessages)) parts.push(...j.errorMessages.map(String));
  if (j.errors && typeof j.errors === 'object') {
    if (Array.isArray(j.errors)) parts.push(...j.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))));
    else parts.push(...Object.entries(j.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`));
  }
  if (j.message && typeof j.message === 'object') parts.push(JSON.stringify(j.message));
  return parts.join('; ').slice(0, 300);
}
