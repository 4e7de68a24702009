// Real applications stay quiet (issue 14 item 5): nginx, Redis, a Node.js HTTP app, Flask under gunicorn and
// PostgreSQL 15, each in an image of this machine's Debian binaries, started through its own entrypoint during one
// recording through the real helper, exercised by a short load from the host, stopped. Their runtime findings are
// judged: none high or critical; every medium/low one is printed and must be one electron/common/rules/README.md
// lists under "Benign workloads" (a new one fails here until it is explained or silenced).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { docker, ensureBusyboxImage, removeTestContainers, runContainer, testLabelArgs, testName } from '../../support/docker';
import { CLI, cliEnv, ROOT, runCli } from '../../support/cli';
import { ensureFlaskApp, ensureNginx, ensureNodeApp, ensurePostgres, ensureRedis } from './images';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gh-benign-'));

interface Finding { rule: string; severity: string; source?: string; container?: string; evidence?: { output?: string } }
interface Report {
  containers: Array<{ id: string; name: string; image: string; events: number }>;
  listening: Array<{ containerId: string; port: number; exe: string }>;
  files: Array<{ containerId: string; path: string }>;
  findings: Finding[];
  drops: { finished: boolean; unsaved: number; sourceDropped: number };
}

interface App { key: string; image: () => Promise<string>; port: number; load: (ip: string) => Promise<unknown>; ready: (ip: string) => Promise<unknown> }

const curlOk = (url: string) => run('curl', ['-fsS', '-o', '/dev/null', '--max-time', '2', url]);
/** One curl process, `n` sequential requests (its URL globbing), every answer must be a success. */
const curlLoop = (url: string, n: number) => run('curl', ['-fsS', '-o', '/dev/null', '--max-time', '30', `${url}?q=[1-${n}]`], { timeout: 60_000 });
const pg = (ip: string, args: string[]) => run('pgbench', ['-h', ip, '-U', 'postgres', ...args, 'postgres'], { timeout: 60_000 });

const APPS: App[] = [
  { key: 'nginx', image: ensureNginx, port: 8080, ready: (ip) => curlOk(`http://${ip}:8080/`),
    load: (ip) => run('wrk', ['-t1', '-c4', '-d3s', `http://${ip}:8080/`]) },
  { key: 'redis', image: ensureRedis, port: 6379, ready: (ip) => run('redis-cli', ['-h', ip, 'ping']),
    load: (ip) => run('redis-benchmark', ['-h', ip, '-c', '8', '-n', '2000', '-q'], { timeout: 60_000 }) },
  { key: 'node', image: ensureNodeApp, port: 3000, ready: (ip) => curlOk(`http://${ip}:3000/health`),
    load: (ip) => curlLoop(`http://${ip}:3000/items`, 300) },
  { key: 'flask', image: ensureFlaskApp, port: 8000, ready: (ip) => curlOk(`http://${ip}:8000/health`),
    load: (ip) => curlLoop(`http://${ip}:8000/`, 300) },
  { key: 'postgres', image: ensurePostgres, port: 5432, ready: (ip) => run('pg_isready', ['-h', ip, '-U', 'postgres', '-q']),
    load: async (ip) => { await pg(ip, ['-i', '-q']); await pg(ip, ['-c', '2', '-t', '200', '-n']); } },
];

/**
 * What the rules README explains for each app: rule names whose medium/low findings are expected there.
 * Kept in step with electron/common/rules/README.md "Benign workloads".
 */
const EXPLAINED: Record<string, string[]> = { nginx: [], redis: [], node: [], flask: [], postgres: [] };

const images = new Map<string, string>();
beforeAll(async () => {
  for (const a of APPS) images.set(a.key, await a.image());
}, 300_000);
afterAll(async () => {
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, probe: () => Promise<unknown>, logsOf: string): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 150; i++) {
    try { await probe(); return; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 200));
  }
  const logs = await docker(['logs', '--tail', '30', logsOf]).catch(() => '');
  throw new Error(`${what} did not answer within 30 s: ${String(last)}\n${logs}`);
}

/** Starts every app (its own entrypoint, `labels` added), waits until it answers, runs its load; their names by key. */
async function startAndLoad(prefix: string, labels: string[] = []): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const a of APPS) {
    const name = testName(`${prefix}-${a.key}`);
    names.set(a.key, name);
    await docker(['run', '-d', '--name', name, ...testLabelArgs(), ...labels.flatMap((l) => ['--label', l]), images.get(a.key)!]);
  }
  for (const a of APPS) {
    const name = names.get(a.key)!;
    const ip = await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name]);
    await waitFor(a.key, () => a.ready(ip), name);
    await a.load(ip);
  }
  return names;
}

const stopAll = async (names: Map<string, string>) => {
  for (const n of names.values()) await docker(['stop', '-t', '10', n], { timeoutMs: 30_000 });
};

describe('benign workloads', () => {
  it('nginx, Redis, Node.js, Flask/gunicorn and PostgreSQL under load raise no high or critical runtime finding', async () => {
    const idle = await runContainer({ cmd: ['sleep', '600'] });
    const file = join(dir, 'benign.glasshouse');
    const child = spawn(process.execPath, [CLI, 'record', '--duration', '240s', '--out', file], { cwd: ROOT, env: cliEnv() });
    let err = '';
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    child.stderr.on('data', (c) => { err += c; if (err.includes(`recording ${idle.name}`)) markReady(); });
    child.stdout.resume();
    const done = new Promise<number | null>((r) => child.on('close', (code) => { markReady(); r(code); }));
    await ready;

    const names = await startAndLoad('gh-benign');
    // the control: the same capture judges an attack (a shell writing and reading /etc/shadow) high, so quiet apps are not a blind sensor
    const attacker = testName('gh-benign-control');
    await docker(['run', '--rm', '--name', attacker, ...testLabelArgs(), await ensureBusyboxImage(), 'sh', '-c',
      'echo "root:x:1::::::" > /etc/shadow; cat /etc/shadow > /dev/null; sleep 1']);
    await stopAll(names);
    child.kill('SIGINT');
    expect(await done, err).toBe(0);

    const json = join(dir, 'benign.json');
    const rep = await runCli(['report', file, '--format', 'json', '--out', json]);
    expect(rep.code, rep.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.drops).toMatchObject({ finished: true, unsaved: 0, sourceDropped: 0 });
    const byName = new Map(report.containers.map((c) => [c.name, c]));

    const table: string[] = [];
    const unexplained: string[] = [];
    const loud: string[] = [];
    const control = report.findings.filter((f) => f.source === 'runtime' && JSON.stringify(f).includes(attacker));
    const controlRules = control.map((f) => `${f.severity} ${f.rule}`);
    expect(controlRules.filter((r) => /^high (Write to account database|Read sensitive file untrusted)$/.test(r)), controlRules.join('; ')).not.toEqual([]);
    for (const a of APPS) {
      const name = names.get(a.key)!;
      const c = byName.get(name);
      expect(c, `${a.key} was not recorded`).toBeDefined();
      // watched from its entrypoint on: its events are in the recording and its server socket listens on its port
      expect(c!.events, `${a.key} events`).toBeGreaterThan(50);
      expect(report.listening.filter((l) => l.containerId === c!.id).map((l) => l.port), `${a.key} listening`).toContain(a.port);
      // the nginx entrypoint's conf.d write was seen (and is excepted by the pack, not missed)
      if (a.key === 'nginx') expect(report.files.filter((f) => f.containerId === c!.id).map((f) => f.path)).toContain('/etc/nginx/conf.d/default.conf');
      const runtime = report.findings.filter((f) => f.source === 'runtime' && JSON.stringify(f).includes(name));
      const count = (s: string) => runtime.filter((f) => f.severity === s).length;
      table.push(`${a.key}: critical ${count('critical')}, high ${count('high')}, medium ${count('medium')}, low ${count('low')}, info ${count('info')}`);
      for (const f of runtime) {
        const line = `${a.key}: [${f.severity}] ${f.rule} — ${f.evidence?.output ?? ''}`;
        table.push(`  ${line}`);
        if (f.severity === 'high' || f.severity === 'critical') loud.push(line);
        else if ((f.severity === 'medium' || f.severity === 'low') && !EXPLAINED[a.key].includes(f.rule)) unexplained.push(line);
      }
    }
    console.log(`benign workloads, runtime findings:\n${table.join('\n')}`);
    expect(loud, 'high or critical runtime findings on a benign workload').toEqual([]);
    expect(unexplained, 'medium/low runtime findings not listed in the rules README "Benign workloads"').toEqual([]);
  }, 280_000);

  it('passes `glasshouse scan --fail-on high` (the CI gate) on the same five apps under load', async () => {
    // only these containers: a compose project of their own (scan watches it as it starts), whatever else runs here
    const project = `gh-benign-${process.pid}`;
    const ready = join(dir, 'scan-ready');
    const finished = join(dir, 'scan-done');
    const out = join(dir, 'scan.json');
    // the scanned command waits for the test to finish its loads (paths as arguments, not in the script)
    const scan = runCli(['scan', '--fail-on', 'high', '--compose', project, '--format', 'json', '--out', out, '--',
      'sh', '-c', 'touch "$1"; while [ ! -e "$2" ]; do sleep 0.2; done', 'sh', ready, finished], { timeoutMs: 200_000 });
    for (let i = 0; i < 300 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(ready), 'scan did not start its command').toBe(true);
    const names = await startAndLoad('gh-benign-scan', [`com.docker.compose.project=${project}`, 'com.docker.compose.service=app']);
    await stopAll(names);
    writeFileSync(finished, '');
    const res = await scan;
    const report = JSON.parse(readFileSync(out, 'utf8')) as { findings: Array<{ ruleId: string; severity: string; source: string; container: { name: string } }> };
    const watched = new Set(report.findings.map((f) => f.container.name));
    for (const n of names.values()) expect(watched, `${n} not in the scan`).toContain(n); // posture findings at least
    expect(report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => `${f.severity} ${f.source} ${f.ruleId} ${f.container.name}`)).toEqual([]);
    expect(res.code, res.stderr).toBe(0);
  }, 240_000);
});
