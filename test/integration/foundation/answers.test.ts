// The real dockerd behind a proxy that garbles chosen answers: the catalog, the container detail and the stats stream
// skip what they cannot read, lose nothing else, and the engine status counts and names every skipped answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerRejectTally } from '../../../electron/common/ipc/contract';
import { DockerAnswerError } from '../../../electron/node/docker/answers';
import { ContainerCatalog } from '../../../electron/node/docker/catalog';
import { DockerConnection } from '../../../electron/node/docker/connection';
import { inspectContainer } from '../../../electron/node/docker/containers';
import { dockerInfoProvider } from '../../../electron/node/docker/info';
import { runCli } from '../../support/cli';
import { docker, ensureBusyboxImage, removeTestContainers, runContainer, testLabelArgs, testName } from '../../support/docker';
import { RewritingProxy } from '../../support/rewritingProxy';
import { waitFor } from '../../support/waitFor';

const HTML = '<html><head><title>502 Bad Gateway</title></head><body>proxy</body></html>';
const victimName = testName('garbled');
let dir: string;
let proxy: RewritingProxy;
let conn: DockerConnection;
let catalog: ContainerCatalog;
let bystander: { id: string; name: string };

const tally = (call: string): AnswerRejectTally | undefined => conn.status.answerRejects?.find((t) => t.call === call);

beforeAll(async () => {
  await ensureBusyboxImage();
  // --network none throughout: nothing here needs a network, and the tests then need no bridge.
  bystander = await runContainer({ name: testName('bystander'), args: ['--network', 'none'] });
  dir = mkdtempSync(join(tmpdir(), 'gh-answers-'));
  proxy = new RewritingProxy(join(dir, 'docker.sock'), (method, path) => {
    // Every list gains a copy of its first entry with a new id and a creation time that is not a number.
    if (method === 'GET' && /^\/containers\/json(\?|$)/.test(path)) {
      return (up) => {
        const list = JSON.parse(up.body) as Array<Record<string, unknown>>;
        return { body: JSON.stringify([...list, { ...list[0], Id: 'feedface0000', Created: 'yesterday' }]) };
      };
    }
    // The victim's inspect is an HTML error page with status 200, as a misbehaving proxy sends it.
    if (method === 'GET' && /^\/containers\/[^/]+\/json(\?|$)/.test(path)) {
      return (up) => ((JSON.parse(up.body) as { Name?: string }).Name === `/${victimName}` ? { contentType: 'text/html', body: HTML } : undefined);
    }
    if (method === 'GET' && /^\/containers\/[^/]+\/stats/.test(path) && path.includes(victimName)) {
      return { body: '{"read":5}\n{"read":"2026-01-01T00:00:00Z","memory_stats":{"usage":"lots"}}\n' };
    }
    return undefined;
  });
  await proxy.up();
  conn = new DockerConnection({ version: 'test', endpointEnv: { env: { DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` } } });
  catalog = new ContainerCatalog(conn, 10);
  await conn.start();
  expect(conn.status.connection).toBe('connected');
});

afterAll(async () => {
  catalog?.close();
  conn?.stop();
  await proxy?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await removeTestContainers();
});

describe('Docker answers of an unexpected shape (real dockerd behind a garbling proxy)', () => {
  it('the list keeps every readable container, leaves the bad entry out and counts it in the engine status', async () => {
    await waitFor('the bystander in the catalog', () => catalog.get(bystander.id));
    expect(catalog.snapshot().containers.some((c) => c.id.startsWith('feedface'))).toBe(false);
    const t = await waitFor('the list reject in the status', () => tally('container list'));
    expect(t.count).toBeGreaterThanOrEqual(1);
    expect(t.last).toMatch(/answered container list for container feedface0000 with an unexpected shape \(Created: .*\): this container is left out of the container list/);
  });

  it('a container whose inspect is an HTML page is not a row and is named in the status; its neighbours are untouched', async () => {
    const id = await docker(['run', '-d', '--name', victimName, ...testLabelArgs(), '--network', 'none', 'glasshouse-test/busybox:1', 'sleep', '600']);
    const t = await waitFor('the inspect reject in the status', () => {
      const x = tally('container inspect');
      return x && x.last.includes(id.slice(0, 12)) && x;
    });
    expect(t.last).toContain('the body is not JSON: "<html><head><title>502 Bad Gateway</titl…"');
    expect(t.last).toContain("Glasshouse cannot show or judge this container's configuration");
    // The victim was created after the first list: with its inspect unreadable it has no row, never a half-read one.
    expect(catalog.get(id)).toBeUndefined();
    expect(catalog.get(bystander.id)?.state).toBe('running');

    const err = await inspectContainer(conn.docker, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerAnswerError);
    expect((await inspectContainer(conn.docker, bystander.id)).facts.pid).toBeGreaterThan(0);
  });

  it('the info provider lists through the schema and a garbled stats stream yields no sample but counts each line', async () => {
    const info = dockerInfoProvider(conn.docker);
    const listed = await info.list!();
    expect(listed.map((c) => c.id)).toContain(bystander.id);
    expect(listed.some((c) => c.id.startsWith('feedface'))).toBe(false);

    const before = tally('container stats')?.count ?? 0;
    const samples: unknown[] = [];
    const stop = info.streamStats!(victimName, (s) => samples.push(s));
    try {
      await waitFor('both garbled stats lines counted', () => (tally('container stats')?.count ?? 0) >= before + 2);
    } finally {
      stop();
    }
    expect(samples).toEqual([]);
    expect(tally('container stats')!.last).toMatch(/container stats for container gh-test-garb.*: this resource sample is missing/);
  });
});

describe('glasshouse status when the engine\'s version answer is of an unexpected shape', () => {
  it('says which answer, what was wrong and what it means, and exits 1', async () => {
    const sock = join(dir, 'version.sock');
    const garbled = new RewritingProxy(sock, (method, path) =>
      (method === 'GET' && /^\/version(\?|$)/.test(path) ? (up) => ({ body: up.body.replace(/"ApiVersion":"[^"]*"/g, '"ApiVersion":141') }) : undefined));
    await garbled.up();
    try {
      const r = await runCli(['status'], { env: { DOCKER_HOST: `unix://${sock}` } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('The container engine answered engine version with an unexpected shape (ApiVersion: Invalid input: expected string, received number): Glasshouse cannot tell which API the engine speaks and does not use it.');
      expect(r.stderr).toMatch(/Skipped 1 engine version answer\(s\)/);
    } finally {
      await garbled.down();
    }
  });
});

describe('glasshouse record when the engine garbles a container\'s docker diff', () => {
  it('finishes the recording, keeps the container, and says which answer it skipped', async () => {
    const c = await runContainer({ args: ['--network', 'none'], cmd: ['sh', '-c', 'echo x > /tmp/mark; sleep 600'] });
    const sock = join(dir, 'diff.sock');
    const garbled = new RewritingProxy(sock, (method, path) =>
      (method === 'GET' && path.startsWith(`/containers/${c.id}/changes`) ? { contentType: 'text/html', body: HTML } : undefined));
    await garbled.up();
    try {
      const file = join(dir, 'garbled-diff.glasshouse');
      // The local sensor (a root child) needs no attach through the proxy; these tests run as root.
      const rec = await runCli(['record', '--container', c.name, '--duration', '3s', '--out', file],
        { env: { DOCKER_HOST: `unix://${sock}`, GLASSHOUSE_SENSOR: 'local', GLASSHOUSE_DATA_DIR: join(dir, 'data') }, timeoutMs: 60_000 });
      expect(rec.code, rec.stderr).toBe(0);
      expect(rec.stderr).toContain(`recording ${c.name}`);
      expect(rec.stderr).toMatch(new RegExp(`skipped 1 container diff answer\\(s\\) of an unexpected shape\\. Last: The container engine answered container diff for container ${c.id.slice(0, 12)} with an unexpected shape \\(the body is not JSON: .*\\): its file changes from \`docker diff\` are missing\\.`));
      const rep = await runCli(['report', file, '--format', 'json'], { env: { GLASSHOUSE_DATA_DIR: join(dir, 'data') } });
      expect(rep.code, rep.stderr).toBe(0);
      expect(JSON.parse(rep.stdout).containers).toEqual([expect.objectContaining({ id: c.id, name: c.name })]);
    } finally {
      await garbled.down();
    }
  });
});
