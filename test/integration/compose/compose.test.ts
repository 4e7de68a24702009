// Real `docker compose` (the v2 CLI plugin): a web + database + worker project brought up by compose itself, grouped
// by project and service in the catalog as it starts, recorded and gated by `glasshouse scan --compose`, with SARIF
// pointing at the service's lines in compose.yaml; isolate and restart-clean on a compose service; `down` leaves
// the catalog with nothing of the project.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/node/engine';
import { docker, engineSocket, ensureBusyboxImage, removeTestContainers, TEST_LABEL, TEST_OWNER_LABEL } from '../../support/docker';
import { runCli } from '../../support/cli';
import { waitFor } from '../../support/waitFor';

const dir = mkdtempSync(join(tmpdir(), 'gh-compose-'));
const project = `ghc${process.pid}`;
const file = join(dir, 'compose.yaml');
let image = '';

/** web (httpd), db (a TCP listener), worker (talks to both, then makes and reads an /etc/shadow and exits). */
function composeYaml(): string {
  const labels = `    labels:\n      ${TEST_LABEL}: "1"\n      ${TEST_OWNER_LABEL}: "${process.pid}"\n`;
  return `name: ${project}
services:
  db:
    image: ${image}
    command: ["sh", "-c", "while true; do echo pong | nc -l -p 5432; done"]
${labels}  web:
    image: ${image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
${labels}  worker:
    image: ${image}
    depends_on: [db, web]
    command: ["sh", "-c", "sleep 2; wget -q -T 5 -O /dev/null http://web:8080/hostname; echo ping | nc -w 2 db 5432; echo root:x:1:::::: > /etc/shadow; cat /etc/shadow > /dev/null; sleep 1"]
${labels}`;
}

async function compose(args: string[], timeoutMs = 120_000): Promise<string> {
  return docker(['compose', '-p', project, '-f', file, ...args], { timeoutMs });
}

beforeAll(async () => {
  image = await ensureBusyboxImage();
  writeFileSync(file, composeYaml());
  // a clear failure, never a skip, when the plugin is missing (`.ci/engines.sh install docker26` installs it)
  await docker(['compose', 'version']).catch((e) => { throw new Error(`docker compose (the v2 CLI plugin) is not installed: ${(e as Error).message}`); });
});
afterAll(async () => {
  await compose(['down', '-t', '1', '--remove-orphans']).catch(() => undefined);
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

describe('real docker compose', () => {
  it('scan --compose records `docker compose up`, fails on the worker\'s shadow read and points SARIF at its service', async () => {
    const sarif = join(dir, 'scan.sarif');
    const r = await runCli(['scan', '--compose', project, '--compose-file', file, '--out', sarif, '--',
      'docker', 'compose', '-p', project, '-f', file, 'up', '--abort-on-container-exit', '--exit-code-from', 'worker'],
    { cwd: dir, timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1); // the worker succeeded; the gate failed the run on its finding
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as {
      runs: Array<{ results: Array<{ ruleId: string; level: string; message: { text: string }; locations?: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }>;
    };
    const results = log.runs[0].results;
    const shadow = results.find((x) => x.ruleId === 'Read sensitive file untrusted' && /worker/.test(x.message.text));
    expect(shadow, results.map((x) => `${x.ruleId}: ${x.message.text}`).join('\n')).toBeDefined();
    const loc = shadow!.locations?.[0]?.physicalLocation;
    expect(loc?.artifactLocation.uri).toBe('compose.yaml');
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[loc!.region.startLine - 1]).toMatch(/^ {2}worker:/);
    // nothing of the project is left running: compose stopped it
    expect(await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`])).toBe('');
  }, 180_000);

  it('groups the project by service as compose starts it; isolate and restart-clean work on a service; down empties it', async () => {
    const engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: `unix://${engineSocket()}` } } });
    await engine.start();
    try {
      const rows = () => engine.catalog.snapshot().containers.filter((c) => c.composeProject === project);
      await compose(['up', '-d', 'db', 'web']);
      const grouped = await waitFor('db and web running, grouped', () => {
        const rs = rows().filter((c) => c.state === 'running');
        return rs.length === 2 && rs;
      });
      expect(grouped.map((c) => c.composeService).sort()).toEqual(['db', 'web']);

      // isolate the web service: it leaves the project network, keeps running; undo brings it back
      const web = grouped.find((c) => c.composeService === 'web')!;
      const iso = await runCli(['isolate', web.name]);
      expect(iso.code, iso.stderr).toBe(0);
      expect(await docker(['inspect', '-f', '{{len .NetworkSettings.Networks}}', web.id])).toBe('0');
      const undo = await runCli(['isolate', '--undo', web.name]);
      expect(undo.code, undo.stderr).toBe(0);
      expect(await docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{join $v.Aliases ","}}{{end}}', web.id]))
        .toMatch(new RegExp(`^${project}_default .*\\bweb\\b`));

      // restart-clean the db service: a fresh container, same service, still found by compose
      const db = grouped.find((c) => c.composeService === 'db')!;
      const rc = await runCli(['restart-clean', db.name]);
      expect(rc.code, rc.stderr).toBe(0);
      const fresh = await waitFor('a fresh db row', () => rows().find((c) => c.composeService === 'db' && c.state === 'running' && c.id !== db.id));
      expect(fresh.name).toBe(db.name);
      expect(await compose(['ps', '-q', 'db'])).toContain(fresh.id.slice(0, 12));

      // down: every container of the project goes, the replaced one too, and the catalog follows
      await compose(['down', '-t', '1']);
      await waitFor('no row of the project', () => rows().length === 0);
      expect(await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).toBe('');
    } finally {
      engine.stop();
    }
  }, 180_000);
});
