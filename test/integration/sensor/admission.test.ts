// Every container from its first instruction: containers started during a capture are traced from their cgroup's
// creation (the kernel admits it), so what an entrypoint does at t = 0 is seen, attributed and judged; an idle,
// read-only container recorded beside them does not cost the recording its findings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, engineImageName, ensureBusyboxImage, removeTestContainers, runContainer, testLabelArgs, testName } from '../../support/docker';
import { CLI, cliEnv, ROOT, runCli } from '../../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'gh-admit-'));
let image = '';
beforeAll(async () => { image = await ensureBusyboxImage(); });
afterAll(async () => {
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  containers: Array<{ id: string; name: string; image: string }>;
  files: Array<{ containerId: string; path: string }>;
  findings: Array<{ rule: string; severity: string; container?: string; evidence?: unknown }>;
  drops: { finished: boolean; unsaved: number; sourceDropped: number };
}

/** `glasshouse record` for `secs`, resolved once it says it is recording `readyName`; ends with its exit code. */
function recordUntil(out: string, secs: number, readyName: string): { ready: Promise<void>; done: Promise<{ code: number | null; err: string }> } {
  const child = spawn(process.execPath, [CLI, 'record', '--duration', `${secs}s`, '--out', out], { cwd: ROOT, env: cliEnv() });
  let err = '';
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stderr.on('data', (c) => {
    err += c;
    if (err.includes(`recording ${readyName}`)) markReady();
  });
  child.stdout.resume();
  const done = new Promise<{ code: number | null; err: string }>((r) => child.on('close', (code) => { markReady(); r({ code, err }); }));
  return { ready, done };
}

describe('containers traced from their first instruction', () => {
  it('sees t = 0 actions of new containers (one gone within 200 ms, twenty started at once) beside an idle read-only one', async () => {
    const idle = await runContainer({ args: ['--read-only'], cmd: ['sleep', '600'] });
    const file = join(dir, 'admit.glasshouse');
    const rec = recordUntil(file, 18, idle.name);
    await rec.ready;

    // t = 0: write a marker, make and read a credentials file, exit: the whole life is ~10 ms
    const quick = testName('gh-admit-quick');
    await docker(['run', '--rm', '--name', quick, ...testLabelArgs(), image, 'sh', '-c',
      'echo 0 > /tmp/mark-0; echo "root:x:1::::::" > /etc/shadow; cat /etc/shadow > /dev/null']);
    // t = 0: run a binary the container dropped into /tmp, then call out to an IRC port (unroutable: 1 s timeout)
    const actor = testName('gh-admit-actor');
    await docker(['run', '--rm', '--name', actor, ...testLabelArgs(), image, 'sh', '-c',
      'cp /bin/busybox /tmp/dropped && /tmp/dropped true; nc -w 1 198.51.100.1 6667 </dev/null; exit 0']);
    // twenty at once, as `docker compose up` starts services
    const names = Array.from({ length: 20 }, (_, i) => testName(`gh-admit-par${i}`));
    await Promise.all(names.map((n, i) => docker(['run', '-d', '--name', n, ...testLabelArgs(), image, 'sh', '-c', `echo ${i} > /tmp/first-${i}; sleep 30`])));
    const { code, err } = await rec.done;
    expect(code, err).toBe(0);

    const json = join(dir, 'admit.json');
    const rep = await runCli(['report', file, '--format', 'json', '--out', json]);
    expect(rep.code, rep.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.drops).toMatchObject({ finished: true, unsaved: 0, sourceDropped: 0 });
    const byName = new Map(report.containers.map((c) => [c.name, c]));

    // the container that lived ~10 ms: attributed by name and image, its first write and its read judged
    const q = byName.get(quick);
    const engineImage = await engineImageName(image);
    expect(q, `containers: ${[...byName.keys()].join(', ')}`).toMatchObject({ image: engineImage });
    expect(report.files.filter((f) => f.containerId === q!.id).map((f) => f.path)).toEqual(expect.arrayContaining(['/tmp/mark-0', '/etc/shadow']));
    const mine = (name: string) => report.findings.filter((f) => JSON.stringify(f).includes(name));
    const qFindings = mine(quick).map((f) => f.rule);
    expect(qFindings).toContain('Read sensitive file untrusted');
    // runc's own setup of the container (mounts, /proc/sys writes) is recorded but is no finding of the container
    expect(mine(quick).filter((f) => /Mount|kernel parameters|unshare/.test(f.rule)).map((f) => f.rule)).toEqual([]);

    // the dropped binary and the call out, both from the entrypoint's first second, judged by the rules that name them
    const a = byName.get(actor);
    expect(a, `containers: ${[...byName.keys()].join(', ')}`).toMatchObject({ image: engineImage });
    const aFindings = mine(actor).map((f) => f.rule);
    expect(aFindings).toEqual(expect.arrayContaining(['Drop and execute new binary in container', 'Outbound connection to IRC or Tor port']));

    // every one of the twenty: its first instruction's write, under its own name and image
    for (const [i, n] of names.entries()) {
      const c = byName.get(n);
      expect(c, `${n} missing`).toMatchObject({ image: engineImage });
      expect(report.files.filter((f) => f.containerId === c!.id).map((f) => f.path)).toContain(`/tmp/first-${i}`);
    }

    // the idle read-only container changed nothing (docker diff answers null): its posture findings are still there
    expect(mine(idle.name).map((f) => f.rule)).toEqual(expect.arrayContaining(['cis-docker-4.1', 'cis-docker-5.11']));
  }, 90_000);
});
