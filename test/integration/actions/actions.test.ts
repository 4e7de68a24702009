// Response actions against the real dockerd: isolation cuts traffic and comes back, snapshots verify and run,
// restart clean replaces, and a container removed midway leaves nothing half-done.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolateContainer, readIsolation, restartClean, simpleAction, unisolateContainer, type ActionContext } from '../../../electron/node/docker/actions';
import { hashFile, snapshotContainer } from '../../../electron/node/docker/snapshot';
import type { SnapshotManifest } from '../../../electron/common/ipc/response';
import { docker, engineApi, engineSocket } from '../../support/docker';
import { runCli } from '../../support/cli';
import { ACTIONS_LABEL, canConnect, cleanupActions, createNetwork, ipOf, runActionsContainer } from './support';

const dataDir = mkdtempSync(join(tmpdir(), 'gh-actions-data-'));
const env = { DOCKER_HOST: `unix://${engineSocket()}`, GLASSHOUSE_DATA_DIR: dataDir };
const api = engineApi();
const ctx: ActionContext = { docker: api, dataDir };
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
const inspect = (id: string) => api.getContainer(id).inspect();

let net: string;
let net2: string;
beforeAll(async () => {
  await cleanupActions();
  net = await createNetwork();
  net2 = await createNetwork();
});
afterAll(async () => {
  await cleanupActions();
});

describe('isolate', () => {
  it('really cuts traffic, remembers the network and alias, and the undo brings both back (CLI)', async () => {
    const server = await runActionsContainer({ network: net, cmd: ['httpd', '-f', '-p', '8080'] });
    const suspect = await runActionsContainer({ network: net, alias: 'suspect-alias' });
    const target = ipOf(server.id);
    expect(await canConnect(suspect.id, target, 8080)).toBe(true);

    const iso = await runCli(['isolate', suspect.name], { env });
    expect(iso.stderr).toBe('');
    expect(iso.code).toBe(0);
    expect(iso.stdout).toContain(`Container "${suspect.name}" is isolated: disconnected from ${net}.`);
    expect(Object.keys((await inspect(suspect.id)).NetworkSettings.Networks)).toEqual([]);
    expect((await inspect(suspect.id)).State.Running).toBe(true); // still running, to be watched
    expect(await canConnect(suspect.id, target, 8080)).toBe(false);
    const rec = await readIsolation(dataDir, suspect.id);
    expect(rec?.networks.map((n) => [n.network, n.aliases])).toEqual([[net, ['suspect-alias']]]);

    const again = await runCli(['isolate', suspect.name], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not on any network: it is already isolated');

    const undo = await runCli(['isolate', '--undo', suspect.name], { env });
    expect(undo.stderr).toBe('');
    expect(undo.stdout).toContain(`is reconnected to ${net}`);
    const nets = (await inspect(suspect.id)).NetworkSettings.Networks;
    expect(Object.keys(nets)).toEqual([net]);
    expect(nets[net].Aliases).toContain('suspect-alias');
    expect(await canConnect(suspect.id, target, 8080)).toBe(true);
    expect(await readIsolation(dataDir, suspect.id)).toBeUndefined();

    const undoAgain = await runCli(['isolate', '--undo', suspect.name], { env });
    expect(undoAgain.code).toBe(1);
    expect(undoAgain.stderr).toContain('was not isolated by Glasshouse, so there is nothing to undo');
  });

  it('gets a pinned address back on a network with a user-configured subnet', async () => {
    const subnetNet = `${net}-ip`;
    await docker(['network', 'create', '--label', `${ACTIONS_LABEL}=1`, '--subnet', '10.213.7.0/24', subnetNet]);
    const c = await runActionsContainer({ network: subnetNet, args: ['--ip', '10.213.7.77'] });
    await isolateContainer(ctx, c.id);
    expect(ipOf(c.id)).toBe('');
    const r = await unisolateContainer(ctx, c.id);
    expect(r.message).not.toContain('new address');
    expect(ipOf(c.id)).toBe('10.213.7.77');
  });

  it('rolls back when the container vanishes midway, leaving no record and a clear sentence', async () => {
    const c = await runActionsContainer({ network: net });
    await docker(['network', 'connect', net2, c.id]);
    // Remove the container between the first and the second disconnect.
    let calls = 0;
    const sabotaged = new Proxy(api, {
      get(target, prop, recv) {
        if (prop !== 'getNetwork') return Reflect.get(target, prop, recv);
        return (name: string) => {
          const n = target.getNetwork(name);
          const disconnect = n.disconnect.bind(n);
          n.disconnect = (async (opts: object) => {
            if (++calls === 2) execFileSync('docker', ['rm', '-f', c.id]);
            return disconnect(opts);
          }) as typeof n.disconnect;
          return n;
        };
      },
    });
    const err = await isolateContainer({ docker: sabotaged, dataDir }, c.id).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`Container "${c.name}" vanished while isolating it.`);
    expect((err as { hint?: string }).hint).toContain('Nothing is left half-done');
    expect(await readIsolation(dataDir, c.id)).toBeUndefined();
    expect(existsSync(join(dataDir, 'isolation', `${c.id}.json.tmp`))).toBe(false);
  });

  it('refuses a container on the host network with a sentence', async () => {
    const c = await runActionsContainer({ args: ['--network', 'host'] });
    const r = await runCli(['isolate', c.name], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('shares the network of the host, so it cannot be cut off on its own. Pause or stop it instead.');
  });
});

describe('snapshot', () => {
  it('writes a bundle whose manifest verifies and whose committed image runs (CLI)', async () => {
    const c = await runActionsContainer({ network: net });
    await docker(['exec', c.id, 'sh', '-c', 'echo dropped-by-attacker > /tmp/evidence.txt']);
    const out = join(mkdtempSync(join(tmpdir(), 'gh-snap-')), 'bundle');
    const t0 = Date.now();
    const r = await runCli(['snapshot', c.name, '--out', out], { env, timeoutMs: 120_000 });
    const ms = Date.now() - t0;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Not a terminal here: one progress line per step, in order.
    expect(r.stdout).toMatch(/Checking[\s\S]*inspect JSON[\s\S]*Committing[\s\S]*docker save[\s\S]*docker export[\s\S]*manifest\.json/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as SnapshotManifest;
    expect(manifest.files.map((f) => f.path).sort()).toEqual(['filesystem.tar', 'image.tar', 'inspect.json']);
    expect(readdirSync(out).sort()).toEqual(['filesystem.tar', 'image.tar', 'inspect.json', 'manifest.json']);
    for (const f of manifest.files) {
      expect(f.path).not.toMatch(/^\//); // relative to the manifest
      expect(await hashFile(join(out, f.path))).toEqual({ sha256: f.sha256, bytes: f.bytes });
    }
    expect(manifest.missing?.[0].part).toBe('recording');
    expect(JSON.parse(readFileSync(join(out, 'inspect.json'), 'utf8')).Id).toBe(c.id);
    expect(execFileSync('tar', ['-tf', join(out, 'filesystem.tar')]).toString()).toMatch(/^\.?\/?tmp\/evidence\.txt$/m);
    // The committed image runs and holds the evidence.
    const ran = await docker(['run', '--rm', '--label', `${ACTIONS_LABEL}=1`, manifest.committedImage.tag, 'cat', '/tmp/evidence.txt']);
    expect(ran).toBe('dropped-by-attacker');
    // image.tar is a loadable docker save of the same image.
    await docker(['rmi', manifest.committedImage.tag]);
    const loaded = await docker(['load', '-i', join(out, 'image.tar')]);
    expect(loaded).toContain(manifest.committedImage.tag);
    console.log(`snapshot of a busybox container: ${ms} ms for ${(manifest.files.reduce((s, f) => s + f.bytes, 0) / 1048576).toFixed(1)} MB`);
    expect(r.stdout).toMatch(/written to .* and verified: 3 files/);
    const ok = await runCli(['snapshot', '--verify', out], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/verified: 3 files match manifest\.json/);
    // Tampering is detected by the same check.
    writeFileSync(join(out, 'inspect.json'), '{}');
    expect((await hashFile(join(out, 'inspect.json'))).sha256).not.toBe(manifest.files.find((f) => f.path === 'inspect.json')!.sha256);
    const bad = await runCli(['snapshot', '--verify', out], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not match its manifest:\n {2}inspect\.json: sha256 differs/);
    const none = await runCli(['snapshot', '--verify', tmpdir()], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/is not a snapshot bundle: it has no readable manifest\.json/);
  });

  it('removes the partial bundle and the committed image when the container vanishes midway', async () => {
    const c = await runActionsContainer();
    const out = join(mkdtempSync(join(tmpdir(), 'gh-snap-')), 'bundle');
    const steps: string[] = [];
    const err = await snapshotContainer(api, c.id, {
      outDir: out,
      onProgress: (p) => {
        if (steps.at(-1) !== p.step) steps.push(p.step);
        // After commit and image.tar, before the filesystem export.
        if (p.step === 'filesystem' && steps.filter((s) => s === 'filesystem').length === 1 && !p.bytes) execFileSync('docker', ['rm', '-f', c.id]);
      },
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`Container "${c.name}" vanished while taking its snapshot (step: filesystem).`);
    expect((err as { hint?: string }).hint).toContain('The partial bundle and the committed image were removed.');
    expect(steps).toEqual(['check', 'inspect', 'commit', 'image', 'filesystem']);
    expect(existsSync(out)).toBe(false);
    expect(await docker(['images', '-q', '--filter', `label=dev.glasshouse.snapshot-of=${c.id}`])).toBe('');
  });

  it('says so when the target has no space, before writing or midway, and leaves nothing behind', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'gh-tiny-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      const c = await runActionsContainer();
      const r = await runCli(['snapshot', c.name, '--out', join(mnt, 'bundle')], { env });
      expect(r.code).toBe(1);
      noStack(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`^glasshouse snapshot: The snapshot target ${mnt}/bundle has 1\\.0 MB free, but the bundle of "${c.name}" needs about \\d+\\.\\d MB\\. Free some space there or choose another folder \\(--out DIR\\)\\. Nothing was written\\.\\n$`));
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
    // Enough space at the start, then something else fills the disk while the image is written.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]);
    try {
      const c = await runActionsContainer();
      const out = join(mnt, 'bundle');
      const err = await snapshotContainer(api, c.id, {
        outDir: out,
        onProgress: (p) => {
          if (p.step === 'image' && !existsSync(join(mnt, 'filler'))) {
            const free = Number(execFileSync('df', ['-B1', '--output=avail', mnt]).toString().split('\n')[1]);
            writeFileSync(join(mnt, 'filler'), Buffer.alloc(free - 200 * 1024));
          }
        },
      }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(new RegExp(`^The snapshot target ${out} ran out of space while writing image\\.tar \\(`));
      expect((err as { hint?: string }).hint).toContain('the partial bundle was removed');
      expect(readdirSync(mnt)).toEqual(['filler']);
      expect(await docker(['images', '-q', '--filter', `label=dev.glasshouse.snapshot-of=${c.id}`])).toBe('');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('refuses a non-empty target', async () => {
    const c = await runActionsContainer();
    const out = mkdtempSync(join(tmpdir(), 'gh-snap-'));
    writeFileSync(join(out, 'keep.txt'), 'precious');
    const r = await runCli(['snapshot', c.name, '--out', out], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The snapshot target ${out} is not empty.`);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('precious');
  });
});

describe('pause, unpause, kill, restart clean', () => {
  it('pause/unpause/kill change the state, refuse the impossible with sentences (CLI)', async () => {
    const c = await runActionsContainer();
    expect((await runCli(['pause', c.name], { env })).stdout).toBe(`Container "${c.name}" paused.\n`);
    expect((await inspect(c.id)).State.Paused).toBe(true);
    const twice = await runCli(['pause', c.name], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(`glasshouse pause: Container "${c.name}" is already paused. Nothing was changed.\n`);
    expect((await runCli(['unpause', c.name], { env })).code).toBe(0);
    expect((await inspect(c.id)).State.Paused).toBe(false);
    expect((await runCli(['kill', c.name], { env })).stdout).toBe(`Container "${c.name}" killed.\n`);
    expect((await inspect(c.id)).State.Running).toBe(false);
    const dead = await runCli(['kill', c.name], { env });
    expect(dead.stderr).toBe(`glasshouse kill: Container "${c.name}" is not running. Nothing was changed.\n`);
    const none = await runCli(['pause', 'gh-no-such-container-xyz'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('glasshouse pause: There is no container "gh-no-such-container-xyz" (any more). It may have been removed; pick another one from the list.\n');
    const usage = await runCli(['pause'], { env });
    expect(usage.code).toBe(2);
    expect(readFileSync(join(dataDir, 'actions.jsonl'), 'utf8')).toContain(`"action":"kill","containerId":"${c.id}"`);
  });

  it('replaces an isolated container with a clean one on its original network, keeping the old one stopped (CLI)', async () => {
    const server = await runActionsContainer({ network: net, cmd: ['httpd', '-f', '-p', '8080'] });
    const c = await runActionsContainer({ network: net, alias: 'web', args: ['-e', 'MODE=prod'] });
    await docker(['exec', c.id, 'touch', '/tmp/implant']);
    await isolateContainer(ctx, c.id);
    const r = await runCli(['restart-clean', c.name], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Container "${c.name}" was replaced by a clean instance from glasshouse-test/actions-busybox:1 \\([0-9a-f]{12}\\); the old one is kept stopped as "${c.name}-replaced-\\d{8}T\\d{6}"\\.\\n$`));
    const fresh = await inspect(c.name);
    expect(fresh.Id).not.toBe(c.id);
    expect(fresh.State.Running).toBe(true);
    expect(fresh.Config.Env).toContain('MODE=prod');
    expect(fresh.Config.Labels[ACTIONS_LABEL]).toBe('1');
    expect(Object.keys(fresh.NetworkSettings.Networks)).toEqual([net]);
    expect(fresh.NetworkSettings.Networks[net].Aliases).toContain('web');
    expect(await canConnect(fresh.Id, ipOf(server.id), 8080)).toBe(true);
    await expect(docker(['exec', fresh.Id, 'ls', '/tmp/implant'])).rejects.toThrow();
    const old = await inspect(c.id);
    expect(old.State.Running).toBe(false);
    expect(old.Name).toMatch(new RegExp(`^/${c.name}-replaced-`));
    expect(await readIsolation(dataDir, c.id)).toBeUndefined();
  });

  it('restart clean of a container removed midway puts nothing in its place', async () => {
    const c = await runActionsContainer({ network: net });
    const sabotaged = new Proxy(api, {
      get(target, prop, recv) {
        if (prop !== 'createContainer') return Reflect.get(target, prop, recv);
        return async (opts: Dockerode.ContainerCreateOptions) => {
          execFileSync('docker', ['rm', '-f', c.id]);
          return target.createContainer({ ...opts, Image: 'glasshouse-test/no-such-image:0' });
        };
      },
    });
    const err = await restartClean({ docker: sabotaged, dataDir }, c.id).catch((e: Error) => e);
    expect((err as Error).message).toBe(`Container "${c.name}" vanished while restarting it clean.`);
    expect(await docker(['ps', '-aq', '--filter', `name=${c.name}`])).toBe('');
    // And a plain pause of a gone container is a sentence too.
    await expect(simpleAction(ctx, c.id, 'pause')).rejects.toThrow(/^There is no container/);
  });
});
