// Ticket sinks against local fakes of GitHub, GitLab and Jira that reject what the real services reject.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTicketSink, planTickets, TICKET_MAP_FILE } from '../../../electron/node/export/tickets';
import { sampleReportInput } from '../../../electron/node/export/sample';
import type { Finding } from '../../../electron/common/model';
import { adfProblem, fakeGitHub, fakeGitLab, fakeJira, type FakeTracker } from './fakeTrackers';

let dir: string;
let fake: FakeTracker | undefined;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'gh-tickets-')); });
afterEach(async () => { await fake?.close(); fake = undefined; rmSync(dir, { recursive: true, force: true }); });

const findings = (): Finding[] => sampleReportInput().findings;
const posts = (t: FakeTracker) => t.requests.filter((r) => r.method === 'POST' && !r.path.includes('search'));

describe('GitHub Issues', () => {
  it('sends exactly the previewed payloads, one per finding, with labels, evidence and no secrets', async () => {
    fake = await fakeGitHub('ghs_test');
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'acme', repo: 'shop', token: 'ghs_test', mapDir: dir, minIntervalMs: 0 });
    const preview = sink.preview(findings());
    expect(preview).toHaveLength(4);
    expect(preview[0].headers.Authorization).toBe('Bearer ***');
    expect(JSON.stringify(preview)).not.toContain('ghs_test');
    const results = await sink.send(findings());
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(posts(fake).map((r) => r.body)).toEqual(preview.map((p) => p.body));
    const first = preview[0].body as { title: string; body: string; labels: string[] };
    expect(first.title).toBe('[CRITICAL] Connection to a mining-pool port in container shop-web-1 (nginx:1.25)');
    expect(first.labels).toEqual(['security', 'severity:critical', 'glasshouse-fp-77aa00bb11cc']);
    expect(first.body).toContain('[T1496](https://attack.mitre.org/techniques/T1496/)');
    expect(first.body).toContain('`203.0.113.7:3333`');
    expect(first.body).toContain('Stop the container');
    expect(first.body).toContain('glasshouse-fp-77aa00bb11cc');
    expect(first.body).toMatch(/Redacted before export: .*url-credentials/);
    expect(JSON.stringify(fake.requests.map((r) => r.body))).not.toMatch(/hunter2|s3cr3t|wJalrXUtnFEMI/);
  });

  it('dedupes by the local map first, then by a remote label search when the map is gone', async () => {
    fake = await fakeGitHub('t');
    const cfg = { kind: 'github' as const, baseUrl: fake.url, owner: 'acme', repo: 'shop', token: 't', mapDir: dir, minIntervalMs: 0 };
    await createTicketSink(cfg).send(findings());
    const before = fake.requests.length;
    const again = await createTicketSink(cfg).send(findings());
    expect(again.every((r) => r.outcome === 'existing' && r.via === 'local-map')).toBe(true);
    expect(fake.requests.length).toBe(before); // no network at all
    rmSync(join(dir, TICKET_MAP_FILE));
    const third = await createTicketSink(cfg).send(findings());
    expect(third.every((r) => r.outcome === 'existing' && r.via === 'remote-search')).toBe(true);
    expect(fake.issues).toHaveLength(4);
    expect(third[0].url).toMatch(/\/acme\/shop\/issues\/\d+$/);
  });

  it('keeps an unreadable map aside instead of overwriting it', async () => {
    fake = await fakeGitHub('t');
    writeFileSync(join(dir, TICKET_MAP_FILE), '{not json');
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 0 });
    expect(sink.warning).toMatch(/could not be read.*moved to/);
    expect(readdirSync(dir).some((f) => f.startsWith(`${TICKET_MAP_FILE}.unreadable-`))).toBe(true);
    await sink.send(findings().slice(0, 1));
    expect(JSON.parse(readFileSync(join(dir, TICKET_MAP_FILE), 'utf8')).destinations['github:a/b']).toBeDefined();
  });

  it('waits for retry-after on 429, then succeeds', async () => {
    fake = await fakeGitHub('t');
    fake.forced.push({ status: 429, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit' } });
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 0, remoteDedupe: false });
    const [r] = await sink.send(findings().slice(0, 1));
    expect(r.outcome).toBe('created');
    expect(fake.times[1] - fake.times[0]).toBeGreaterThanOrEqual(950);
  });

  it('waits until x-ratelimit-reset on a primary-limit 403', async () => {
    fake = await fakeGitHub('t');
    const now = Date.UTC(2025, 0, 1);
    fake.forced.push({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) }, body: { message: 'API rate limit exceeded' } });
    const waits: number[] = [];
    const sink = createTicketSink({
      kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 0, remoteDedupe: false,
      now: () => now, sleep: async (ms) => { waits.push(ms); },
    });
    const [r] = await sink.send(findings().slice(0, 1));
    expect(r.outcome).toBe('created');
    expect(waits).toEqual([31_000]);
  });

  it('gives up with a sentence when the wait is too long, and on a plain 403, without trying the rest', async () => {
    fake = await fakeGitHub('t');
    fake.forced.push({ status: 429, headers: { 'retry-after': '7200' } });
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 0, remoteDedupe: false });
    const res = await sink.send(findings());
    expect(res).toHaveLength(1);
    expect(res[0].outcome).toBe('failed');
    expect(res[0].error).toMatch(/rate limiting requests \(HTTP 429\) and asked to wait 7200 s\. Try again later/);
    fake.forced.push({ status: 403, body: { message: 'Resource not accessible by integration' } });
    const res2 = await sink.send(findings());
    expect(res2).toHaveLength(1);
    expect(res2[0].error).toMatch(/GitHub refused to create a ticket in a\/b \(HTTP 403: Resource not accessible by integration\)\. The token may not create issues/);
  });

  it('creates serially and paced', async () => {
    fake = await fakeGitHub('t');
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 300, remoteDedupe: false });
    await sink.send(findings().slice(0, 3));
    const gaps = fake.times.slice(1).map((t, i) => t - fake!.times[i]);
    expect(gaps.every((g) => g >= 290)).toBe(true);
  });

  it('keeps a huge body under 65,536 characters', async () => {
    fake = await fakeGitHub('t');
    const f = findings()[0];
    f.evidence.output = 'x'.repeat(50_000);
    f.evidence.ancestry = Array.from({ length: 400 }, (_, i) => ({ pid: i, exe: '/bin/sh', cmdline: `sh -c ${'y'.repeat(300)}` }));
    const sink = createTicketSink({ kind: 'github', baseUrl: fake.url, owner: 'a', repo: 'b', token: 't', mapDir: dir, minIntervalMs: 0 });
    const [r] = await sink.send([f]);
    expect(r.outcome).toBe('created');
    expect((posts(fake)[0].body as { body: string }).body.length).toBeLessThanOrEqual(65_536);
  });

  it('rejects a label with a space before sending anything', () => {
    expect(() => createTicketSink({ kind: 'github', owner: 'a', repo: 'b', token: 't', mapDir: dir, labels: ['needs triage'] }))
      .toThrow('The label "needs triage" cannot be used on GitHub.');
  });
});

describe('GitLab issues', () => {
  it('sends labels as a comma-separated string and groups one ticket per container', async () => {
    fake = await fakeGitLab('glpat-test');
    const sink = createTicketSink({ kind: 'gitlab', baseUrl: fake.url, project: 'acme/shop', token: 'glpat-test', mapDir: dir, minIntervalMs: 0 });
    const preview = sink.preview(findings(), { grouping: 'container' });
    expect(preview).toHaveLength(2);
    expect(preview[0].headers['PRIVATE-TOKEN']).toBe('***');
    expect(preview[0].url).toBe(`${fake.url}/api/v4/projects/acme%2Fshop/issues`);
    const res = await sink.send(findings(), { grouping: 'container' });
    expect(res.map((r) => r.outcome)).toEqual(['created', 'created']);
    const body = posts(fake)[0].body as { title: string; labels: string; description: string };
    expect(typeof body.labels).toBe('string');
    expect(body.labels).toMatch(/^security,severity:critical,glasshouse-fp-[0-9a-f]{12}$/);
    expect(body.title).toBe('[CRITICAL] 3 Glasshouse findings in container shop-web-1 (nginx:1.25)');
    expect(body.description).toContain('glasshouse-fp-77aa00bb11cc');
    expect(body.description).toContain('glasshouse-fp-3fa9c0d1e2b4');
    // Same container next run → same group fingerprint → no second ticket.
    const again = await sink.send(findings(), { grouping: 'container' });
    expect(again.every((r) => r.outcome === 'existing')).toBe(true);
  });

  it('the fake rejects labels sent as an array (so the check above can fail)', async () => {
    fake = await fakeGitLab('t');
    const res = await fetch(`${fake.url}/api/v4/projects/1/issues`, { method: 'POST', headers: { 'PRIVATE-TOKEN': 't', 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x', labels: ['a'] }) });
    expect(res.status).toBe(400);
  });
});

describe('Jira Cloud (v3, ADF)', () => {
  const cfg = (url: string) => ({ kind: 'jira-cloud' as const, baseUrl: url, email: 'me@example.com', apiToken: 'atl-tok', projectKey: 'SEC', mapDir: dir, minIntervalMs: 0 });

  it('creates issues with a valid ADF body, priority and labels; dedupes through search/jql', async () => {
    fake = await fakeJira({ flavour: 'cloud', email: 'me@example.com', token: 'atl-tok', projectKey: 'SEC' });
    const input = findings();
    input[2].why = '';
    input[2].fix = '';
    input[2].evidence.value = '';
    input[0].title = 'T'.repeat(400);
    const res = await createTicketSink(cfg(fake.url)).send(input);
    expect(res.map((r) => r.outcome), JSON.stringify(res)).toEqual(['created', 'created', 'created', 'created']);
    for (const p of posts(fake)) {
      const f = (p.body as { fields: Record<string, unknown> }).fields;
      expect(adfProblem(f.description)).toBeUndefined();
      expect((f.summary as string).length).toBeLessThanOrEqual(255);
    }
    const f0 = (posts(fake)[0].body as { fields: { priority: { name: string }; labels: string[]; description: unknown } }).fields;
    expect(f0.priority).toEqual({ name: 'Highest' });
    expect(f0.labels).toEqual(['security', 'severity-critical', 'glasshouse-fp-77aa00bb11cc']);
    expect(JSON.stringify(f0.description)).toContain('{"type":"link","attrs":{"href":"https://attack.mitre.org/techniques/T1496/"}}');
    rmSync(join(dir, TICKET_MAP_FILE));
    const again = await createTicketSink(cfg(fake.url)).send(input);
    expect(again.every((r) => r.outcome === 'existing' && r.via === 'remote-search')).toBe(true);
    expect(fake.requests.some((r) => r.path === '/rest/api/3/search/jql')).toBe(true);
    expect(again[0].url).toBe(`${fake.url}/browse/SEC-1`);
  });

  it('keeps an ADF description under 32,767 characters', async () => {
    fake = await fakeJira({ flavour: 'cloud', email: 'me@example.com', token: 'atl-tok', projectKey: 'SEC' });
    const f = findings()[1];
    f.evidence.output = 'z'.repeat(100_000);
    const [r] = await createTicketSink(cfg(fake.url)).send([f], { grouping: 'recording', recording: sampleReportInput().recording });
    expect(r.outcome).toBe('created');
    expect(JSON.stringify((posts(fake)[0].body as { fields: { description: unknown } }).fields.description).length).toBeLessThanOrEqual(32_767);
  });

  it('the fake rejects empty ADF text nodes, long summaries and labels with spaces (so the checks can fail)', async () => {
    fake = await fakeJira({ flavour: 'cloud', email: 'me@example.com', token: 'atl-tok', projectKey: 'SEC' });
    const send = (fields: Record<string, unknown>) => fetch(`${fake!.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('me@example.com:atl-tok').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: 's', ...fields } }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect((await send({ description: { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] } })).status).toBe(400);
    expect((await send({ summary: 'x'.repeat(256) })).status).toBe(400);
    expect((await send({ labels: ['two words'] })).status).toBe(400);
    expect((await send({ summary: undefined })).body.errors.summary).toMatch(/specify a summary/);
    expect((await send({})).status).toBe(201);
  });

  it('honours 429 Retry-After from Jira', async () => {
    fake = await fakeJira({ flavour: 'cloud', email: 'me@example.com', token: 'atl-tok', projectKey: 'SEC' });
    fake.forced.push({ status: 429, headers: { 'Retry-After': '1', 'X-RateLimit-Reset': new Date(Date.now() + 1000).toISOString() } });
    const [r] = await createTicketSink({ ...cfg(fake.url), remoteDedupe: false }).send(findings().slice(0, 1));
    expect(r.outcome).toBe('created');
    expect(fake.times[1] - fake.times[0]).toBeGreaterThanOrEqual(950);
  });
});

describe('Jira Server / Data Center (v2, wiki markup)', () => {
  it('sends a wiki-markup description with escaped evidence and a Bearer PAT', async () => {
    fake = await fakeJira({ flavour: 'server', token: 'pat-1', projectKey: 'OPS' });
    const cfg = { kind: 'jira-server' as const, baseUrl: fake.url, pat: 'pat-1', projectKey: 'OPS', mapDir: dir, minIntervalMs: 0, priorities: { critical: 'High' } };
    const sink = createTicketSink(cfg);
    const res = await sink.send(findings());
    expect(res.map((r) => r.outcome), JSON.stringify(res)).toEqual(['created', 'created', 'created', 'created']);
    const d = (posts(fake)[0].body as { fields: { description: string; priority: { name: string } } }).fields;
    expect(typeof d.description).toBe('string');
    expect(d.priority.name).toBe('High');
    expect(d.description).toContain('h3. Evidence');
    expect(d.description).toContain('*Endpoint:* {{203.0.113.7:3333}}');
    expect(d.description).toContain('[T1496|https://attack.mitre.org/techniques/T1496/]');
    expect(d.description).toMatch(/\{noformat\}\n977 {2}\/tmp\/xmrig/);
    const policy = posts(fake).map((p) => (p.body as { fields: { summary: string } }).fields.summary).find((s) => s.includes('HYPERLINK'));
    expect(policy).toBeDefined();
    rmSync(join(dir, TICKET_MAP_FILE));
    const again = await createTicketSink(cfg).send(findings());
    expect(again.every((r) => r.via === 'remote-search')).toBe(true);
  });

  it('the fake rejects an ADF object where v2 wants a string', async () => {
    fake = await fakeJira({ flavour: 'server', token: 'p', projectKey: 'OPS' });
    const r = await fetch(`${fake.url}/rest/api/2/issue`, { method: 'POST', headers: { Authorization: 'Bearer p', 'content-type': 'application/json' }, body: JSON.stringify({ fields: { project: { key: 'OPS' }, issuetype: { name: 'Bug' }, summary: 's', description: { version: 1, type: 'doc', content: [] } } }) });
    expect(r.status).toBe(400);
  });
});

describe('planning', () => {
  it('one ticket per recording carries every finding and a stable fingerprint', () => {
    const rec = sampleReportInput().recording;
    const a = planTickets(findings(), { grouping: 'recording', recording: rec });
    const b = planTickets(findings(), { grouping: 'recording', recording: rec });
    expect(a).toHaveLength(1);
    expect(a[0].findings).toHaveLength(4);
    expect(a[0].fingerprint).toBe(b[0].fingerprint);
  });
});
