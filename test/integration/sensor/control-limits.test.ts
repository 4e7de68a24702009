// What a client of the helper may ask for (issue 16.8): host mode only when the helper's own command line said
// --host, and WATCH only a container's own cgroup (the full 64-hex id, a cgroup whose leaf names it). Drives the
// real helper binary over its stdio with the engine's own frame encoders and decoder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { encodeHost, encodeWatch } from '../../../electron/common/schema/control';
import { FrameDecoder, type DecodedRecord } from '../../../electron/common/schema/decoder';
import { HELPER, removeSensorContainers, runSensorContainer } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UNIFIED = '/sys/fs/cgroup/unified';
const CG_ROOT = spawnSync('sh', ['-c', `test -d ${UNIFIED}/docker && echo ${UNIFIED} || echo /sys/fs/cgroup`]).stdout.toString().trim();

interface Helper { child: ChildProcess; events: RuntimeEvent[]; other: DecodedRecord[]; stop(): Promise<void> }

async function startHelper(args: string[]): Promise<Helper> {
  const child = spawn(HELPER, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const decoder = new FrameDecoder();
  const events: RuntimeEvent[] = [], other: DecodedRecord[] = [];
  child.stdout!.on('data', (b: Buffer) => decoder.pushInto(b, events, other));
  child.stderr!.resume();
  for (let i = 0; i < 300 && !other.some((r) => r.type === 'hello'); i++) await sleep(100);
  if (!other.some((r) => r.type === 'hello')) throw new Error('the helper sent no HELLO');
  return {
    child, events, other,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function waitFor<T>(list: T[], pred: (x: T) => boolean, ms = 5000): Promise<T | undefined> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(50)) {
    const hit = list.find(pred);
    if (hit) return hit;
  }
  return undefined;
}

/** Writes a unique file from a host process (not in any container) and says whether the helper reported it. */
async function hostWriteSeen(h: Helper, tag: string): Promise<boolean> {
  const path = `/tmp/gh-host-probe-${process.pid}-${tag}`;
  spawnSync('sh', ['-c', `echo x > ${path}; rm -f ${path}`]);
  return (await waitFor(h.events, (e) => e.kind === 'open' && (e as { path?: string }).path === path, 2500)) !== undefined;
}

describe('helper control limits', () => {
  const probeCg = `${CG_ROOT}/gh-probe-${process.pid}`;
  let sleeper: ChildProcess;
  let c: { id: string; pid: number };
  beforeAll(async () => {
    c = await runSensorContainer();
    // a cgroup of our own, not a container's, with a process in it
    mkdirSync(probeCg);
    sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    writeFileSync(`${probeCg}/cgroup.procs`, String(sleeper.pid));
  });
  afterAll(async () => {
    sleeper.kill('SIGKILL');
    await sleep(200);
    try { rmdirSync(probeCg); } catch { /* still busy: the kernel frees it when sleep is reaped */ }
    await removeSensorContainers();
  });

  it('names the control bytes it skipped because they start no frame (issue 16: nothing dropped silently)', async () => {
    const h = await startHelper([]);
    try {
      // 7 bytes of garbage, then a valid frame (host mode off, always allowed) so the helper parses past them
      h.child.stdin!.write(Buffer.concat([Buffer.from([1, 2, 3, 0x47, 0x48, 9, 9]), Buffer.from(encodeHost(false))]));
      const log = await waitFor(h.other, (r) => r.type === 'log' && /skipped \d+ bytes of control input/.test(r.log.message));
      expect(log, JSON.stringify(h.other.filter((r) => r.type === 'log'))).toBeDefined();
      expect(log!.type === 'log' && log!.log.message).toMatch(/^skipped 7 bytes of control input that start no frame/);
    } finally {
      await h.stop();
    }
  });

  it('refuses host mode asked for over the control channel unless started with --host', async () => {
    const h = await startHelper([]);
    try {
      h.child.stdin!.write(encodeHost(true));
      const log = await waitFor(h.other, (r) => r.type === 'log' && /refused host mode/.test(r.log.message));
      expect(log, JSON.stringify(h.other.filter((r) => r.type === 'log'))).toBeDefined();
      expect(await hostWriteSeen(h, 'refused')).toBe(false);
    } finally {
      await h.stop();
    }
    // the same request to a helper started with --host is honoured: the probe can see host writes
    const allowed = await startHelper(['--host']);
    try {
      allowed.child.stdin!.write(encodeHost(true));
      expect(await hostWriteSeen(allowed, 'allowed')).toBe(true);
    } finally {
      await allowed.stop();
    }
  }, 120_000);

  it('watches a container by its own cgroup, and refuses short ids and cgroups that are not the container\'s', async () => {
    const h = await startHelper([]);
    const reply = (id: string) => waitFor(h.other, (r) => r.type === 'watched' && r.watched.containerId === id);
    try {
      // a short id: refused as invalid
      h.child.stdin!.write(encodeWatch(c.id.slice(0, 12), c.pid));
      expect(await reply(c.id.slice(0, 12))).toMatchObject({ watched: { status: -22, watching: false } });
      // a well-formed id pointed at a process in a cgroup that does not name it: refused (EPERM)
      const fake = 'ab'.repeat(32);
      h.child.stdin!.write(encodeWatch(fake, sleeper.pid!));
      expect(await reply(fake)).toMatchObject({ watched: { status: -1, watching: false } });
      // a well-formed id with pid 1 (the root cgroup): no cgroup of that container exists, so refused
      const other = 'cd'.repeat(32);
      h.child.stdin!.write(encodeWatch(other, 1));
      const r = await reply(other);
      expect(r).toMatchObject({ watched: { watching: false } });
      expect((r as { watched: { status: number } }).watched.status).toBeLessThan(0);
      // and the real container is watched
      h.child.stdin!.write(encodeWatch(c.id, c.pid));
      expect(await reply(c.id)).toMatchObject({ watched: { status: 0, watching: true } });
      // nothing of the refused cgroup is traced
      spawnSync('sh', ['-c', `echo $$ > ${probeCg}/cgroup.procs && echo x > /tmp/gh-probe-cg-${process.pid} && rm -f /tmp/gh-probe-cg-${process.pid}`]);
      expect(await waitFor(h.events, (e) => (e as { path?: string }).path === `/tmp/gh-probe-cg-${process.pid}`, 2000)).toBeUndefined();
    } finally {
      await h.stop();
    }
  }, 120_000);

  it('listens with --socket only in a folder no one else can write, never over a file or through a symlink (issue 16.9)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-sock-'));
    try {
      const run = (path: string) => new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(HELPER, ['--socket', path, '--socket-owner', '65534:65534'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('exit', (code) => { clearTimeout(t); resolve({ code, err }); });
      });
      // a world-writable folder: someone else could swap the name for a symlink between bind and chown
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      const a = await run(join(open, 'helper.sock'));
      expect(a.code).toBe(2);
      expect(a.err).toMatch(/refusing to listen in .*open: .*mode 0777/);
      // an existing file, and a symlink to one, are never replaced or chowned
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'keep me\n');
      const b = await run(victim);
      expect(b.err).toMatch(/refusing to replace .*victim: it exists and is not a socket/);
      const link = join(dir, 'link.sock');
      symlinkSync(victim, link);
      const c = await run(link);
      expect(c.code).toBe(2);
      expect(c.err).toMatch(/refusing to replace .*link\.sock/);
      expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
      expect(spawnSync('stat', ['-c', '%u', victim]).stdout.toString().trim()).toBe('0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
