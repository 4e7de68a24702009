// Local stand-ins for GitHub, GitLab and Jira (127.0.0.1 only) that follow the documented contract and reject
// what the real services reject (integrations.md §1–§3): missing fields, bad labels, empty ADF text, long summaries.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded { method: string; path: string; headers: IncomingMessage['headers']; body: unknown }
export interface ForcedResponse { status: number; headers?: Record<string, string>; body?: unknown }

export interface FakeTracker {
  url: string;
  requests: Recorded[];
  /** Issues created, by label for search. */
  issues: Array<{ key: string; labels: string[]; body: unknown }>;
  /** Responses served before normal handling, one per request (e.g. a 429 with retry-after). */
  forced: ForcedResponse[];
  /** Arrival time (ms) of each request, for pacing checks. */
  times: number[];
  close(): Promise<void>;
}

type Handler = (req: Recorded, t: FakeTracker) => ForcedResponse;

async function start(handler: Handler): Promise<FakeTracker> {
  const state: FakeTracker = { url: '', requests: [], issues: [], forced: [], times: [], close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let bad = false;
      if (raw) { try { body = JSON.parse(raw); } catch { bad = true; } }
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      state.requests.push(rec);
      state.times.push(Date.now());
      const out = state.forced.shift() ?? (bad ? { status: 400, body: { message: 'Problems parsing JSON' } } : handler(rec, state));
      res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
      res.end(out.body === undefined ? '' : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

// ---------------- GitHub ----------------

export function fakeGitHub(token: string): Promise<FakeTracker> {
  let n = 0;
  return start((r, t) => {
    if (r.headers.authorization !== `Bearer ${token}`) return { status: 401, body: { message: 'Bad credentials' } };
    if (r.headers.accept !== 'application/vnd.github+json' || r.headers['x-github-api-version'] !== '2022-11-28') {
      return { status: 400, body: { message: 'Missing Accept or X-GitHub-Api-Version header' } };
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(\?.*)?$/.exec(r.path);
    if (!m) return { status: 404, body: { message: 'Not Found' } };
    if (r.method === 'GET') {
      const q = new URLSearchParams(m[3]?.slice(1) ?? '');
      if (q.get('state') !== 'all') return { status: 422, body: { message: 'test fake expects state=all' } };
      const want = (q.get('labels') ?? '').split(',').filter(Boolean);
      return { status: 200, body: t.issues.filter((i) => want.every((w) => i.labels.includes(w))).map((i) => ({ number: Number(i.key.slice(1)), html_url: `https://github.example/${m[1]}/${m[2]}/issues/${i.key.slice(1)}` })) };
    }
    const b = r.body;
    const errors: unknown[] = [];
    if (!isObj(b) || typeof b.title !== 'string' || !b.title) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }] } };
    if (b.title.length > 256) errors.push({ field: 'title', code: 'invalid' });
    if (typeof b.body === 'string' && b.body.length > 65_536) errors.push({ field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' });
    if (b.labels !== undefined && (!Array.isArray(b.labels) || b.labels.some((l) => typeof l !== 'string' || l.length > 50 || !l))) errors.push({ field: 'labels', code: 'invalid' });
    if (errors.length) return { status: 422, body: { message: 'Validation Failed', errors } };
    const key = `#${++n}`;
    t.issues.push({ key, labels: (b.labels as string[]) ?? [], body: b });
    return { status: 201, body: { number: n, html_url: `https://github.example/${m[1]}/${m[2]}/issues/${n}`, title: b.title } };
  });
}

// ---------------- GitLab ----------------

export function fakeGitLab(token: string): Promise<FakeTracker> {
  let n = 0;
  return start((r, t) => {
    if (r.headers['private-token'] !== token) return { status: 401, body: { message: '401 Unauthorized' } };
    const m = /^\/api\/v4\/projects\/([^/?]+)\/issues(\?.*)?$/.exec(r.path);
    if (!m) return { status: 404, body: { message: '404 Project Not Found' } };
    if (r.method === 'GET') {
      const q = new URLSearchParams(m[2]?.slice(1) ?? '');
      const want = (q.get('labels') ?? '').split(',').filter(Boolean);
      return { status: 200, body: t.issues.filter((i) => want.every((w) => i.labels.includes(w))).map((i) => ({ iid: Number(i.key.slice(1)), web_url: `https://gitlab.example/${decodeURIComponent(m[1])}/-/issues/${i.key.slice(1)}` })) };
    }
    const b = r.body;
    if (!isObj(b) || typeof b.title !== 'string' || !b.title) return { status: 400, body: { error: 'title is missing' } };
    if (b.title.length > 255) return { status: 400, body: { message: { title: ['is too long (maximum is 255 characters)'] } } };
    if (b.labels !== undefined && typeof b.labels !== 'string') return { status: 400, body: { error: 'labels is invalid' } };
    if (typeof b.description === 'string' && b.description.length > 1_048_576) return { status: 400, body: { message: { description: ['is too long'] } } };
    const key = `#${++n}`;
    t.issues.push({ key, labels: typeof b.labels === 'string' ? b.labels.split(',') : [], body: b });
    return { status: 201, body: { iid: n, web_url: `https://gitlab.example/${decodeURIComponent(m[1])}/-/issues/${n}` } };
  });
}

// ---------------- Jira ----------------

const ADF_INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard']);
const ADF_BLOCK = new Set(['paragraph', 'heading', 'codeBlock', 'bulletList', 'orderedList', 'listItem', 'blockquote', 'rule', 'panel', 'table']);
const ADF_MARKS = new Set(['strong', 'em', 'code', 'link', 'strike', 'underline', 'subsup', 'textColor']);

/** A subset of the ADF JSON schema: the rules our bodies could break. Returns the first problem. */
export function adfProblem(node: unknown, path = 'description'): string | undefined {
  if (!isObj(node)) return `${path}: not an object`;
  if (path === 'description') {
    if (node.version !== 1 || node.type !== 'doc' || !Array.isArray(node.content)) return 'description: must be an ADF doc {version:1,type:"doc",content:[]}';
  } else if (!ADF_INLINE.has(String(node.type)) && !ADF_BLOCK.has(String(node.type))) return `${path}: unknown node type ${String(node.type)}`;
  if (node.type === 'text') {
    if (typeof node.text !== 'string' || node.text.length < 1) return `${path}: text nodes must have non-empty text`;
    if (node.content !== undefined) return `${path}: text nodes have no content`;
    if (node.marks !== undefined) {
      if (!Array.isArray(node.marks)) return `${path}.marks: not an array`;
      const types = node.marks.map((mk) => (isObj(mk) ? String(mk.type) : '?'));
      if (types.some((x) => !ADF_MARKS.has(x))) return `${path}.marks: unknown mark`;
      if (types.includes('code') && types.some((x) => x !== 'code' && x !== 'link')) return `${path}.marks: code combines only with link`;
      for (const mk of node.marks) if (isObj(mk) && mk.type === 'link' && !(isObj(mk.attrs) && typeof mk.attrs.href === 'string')) return `${path}.marks: link needs attrs.href`;
    }
    return undefined;
  }
  if (node.type === 'heading' && !(isObj(node.attrs) && [1, 2, 3, 4, 5, 6].includes(node.attrs.level as number))) return `${path}: heading needs attrs.level 1-6`;
  if ((node.type === 'bulletList' || node.type === 'orderedList') && (!Array.isArray(node.content) || !node.content.length || node.content.some((c) => !isObj(c) || c.type !== 'listItem'))) return `${path}: lists hold listItem nodes`;
  if (node.type === 'codeBlock' && Array.isArray(node.content) && node.content.some((c) => !isObj(c) || c.type !== 'text' || isObj(c) && c.marks !== undefined)) return `${path}: codeBlock holds unmarked text`;
  if (node.content !== undefined) {
    if (!Array.isArray(node.content)) return `${path}.content: not an array`;
    for (let i = 0; i < node.content.length; i++) {
      const p = adfProblem(node.content[i], `${path}.content[${i}]`);
      if (p) return p;
    }
  }
  return undefined;
}

function labelFromJql(q: string): string | undefined {
  return /labels\s*=\s*"?([^"\s)]+)"?/i.exec(q)?.[1];
}

export function fakeJira(opts: { flavour: 'cloud' | 'server'; email?: string; token: string; projectKey: string }): Promise<FakeTracker> {
  const v = opts.flavour === 'cloud' ? 3 : 2;
  const auth = opts.flavour === 'cloud'
    ? `Basic ${Buffer.from(`${opts.email}:${opts.token}`).toString('base64')}`
    : `Bearer ${opts.token}`;
  let n = 0;
  return start((r, t) => {
    if (r.headers.authorization !== auth) return { status: 401, body: { errorMessages: ['You are not authenticated.'] } };
    const url = new URL(r.path, 'http://x');
    if (url.pathname === `/rest/api/${v}/search` && opts.flavour === 'cloud') {
      return { status: 410, body: { errorMessages: ['The requested API has been removed. Please migrate to /rest/api/3/search/jql.'] } };
    }
    if (opts.flavour === 'cloud' && url.pathname === '/rest/api/3/search/jql' && r.method === 'POST') {
      const b = r.body;
      if (!isObj(b) || typeof b.jql !== 'string') return { status: 400, body: { errorMessages: ['jql is required'] } };
      const label = labelFromJql(b.jql);
      const hits = t.issues.filter((i) => label && i.labels.includes(label)).slice(0, Number(b.maxResults ?? 50));
      // No `total` on this endpoint; fields are returned only when asked for.
      return { status: 200, body: { issues: hits.map((i) => ({ id: i.key, key: i.key, ...(Array.isArray(b.fields) ? { fields: {} } : {}) })), isLast: true } };
    }
    if (opts.flavour === 'server' && url.pathname === '/rest/api/2/search' && r.method === 'GET') {
      const label = labelFromJql(url.searchParams.get('jql') ?? '');
      const hits = t.issues.filter((i) => label && i.labels.includes(label));
      return { status: 200, body: { startAt: 0, maxResults: 1, total: hits.length, issues: hits.slice(0, 1).map((i) => ({ key: i.key })) } };
    }
    if (url.pathname !== `/rest/api/${v}/issue` || r.method !== 'POST') return { status: 404, body: { errorMessages: ['Not found'] } };
    const b = r.body;
    if (!isObj(b) || !isObj(b.fields)) return { status: 400, body: { errorMessages: ['fields is required'] } };
    const f = b.fields;
    const errors: Record<string, string> = {};
    if (!isObj(f.project) || (f.project.key !== opts.projectKey && f.project.id === undefined)) errors.project = 'valid project is required';
    if (!isObj(f.issuetype) || (!f.issuetype.name && !f.issuetype.id)) errors.issuetype = 'Specify an issue type';
    if (typeof f.summary !== 'string' || !f.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (f.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(f.summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
    if (f.labels !== undefined) {
      if (!Array.isArray(f.labels) || f.labels.some((l) => typeof l !== 'string' || /\s/.test(l) || l.length > 255 || !l)) {
        errors.labels = 'The label must not contain spaces.';
      }
    }
    if (f.priority !== undefined && !(isObj(f.priority) && ['Highest', 'High', 'Medium', 'Low', 'Lowest'].includes(String(f.priority.name)))) {
      errors.priority = 'Specify the Priority (id or name) in the string format';
    }
    if (f.description !== undefined) {
      if (opts.flavour === 'cloud') {
        const p = adfProblem(f.description);
        if (p) errors.description = `Operation value must be an Atlassian Document (${p})`;
        else if (JSON.stringify(f.description).length > 32_767) errors.description = 'The entered text is too long. It exceeds the allowed limit of 32,767 characters.';
      } else if (typeof f.description !== 'string') errors.description = 'Operation value must be a string';
      else if (f.description.length > 32_767) errors.description = 'The entered text is too long.';
    }
    if (Object.keys(errors).length) return { status: 400, body: { errorMessages: [], errors } };
    const key = `${opts.projectKey}-${++n}`;
    t.issues.push({ key, labels: (f.labels as string[]) ?? [], body: b });
    return { status: 201, body: { id: String(10000 + n), key, self: `${t.url}/rest/api/${v}/issue/${10000 + n}` } };
  });
}
