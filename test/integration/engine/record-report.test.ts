// `glasshouse record` on a real container, `glasshouse report` on the file, and replay rebuilding the recorded state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingStore } from '../../../electron/node/store/index';
import { RecordingSource } from '../../../electron/node/capture/recording';
import { prepareReplay } from '../../../electron/node/replay';
import { Recorder } from '../../../electron/node/recorder';
import { ensureBusyboxImage, removeTestContainers, runContainer } from '../../support/docker';
import { cliInProcess } from '../../support/cli';
import { SyntheticSource } from '../../../electron/node/capture/synthetic';
import type { DockerDiffEntry } from '../../../electron/common/state/fileTable';

const dir = mkdtempSync(join(tmpdir(), 'gh-cli-rec-'));
beforeAll(async () => { await ensureBusyboxImage(); });
afterAll(async () => {
  await removeTestContainers();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (argv: string[], interrupted?: Promise<void>) => cliInProcess(argv, { cwd: dir, interrupted });

describe('glasshouse record / report', () => {
  it('records a real container for a duration; the report lists it; replay rebuilds the stored processes', async () => {
    const c = await runContainer({ cmd: ['sh', '-c', 'while true; do echo x > /tmp/x; ls / > /dev/null; sleep 0.3; done'] });
    const file = join(dir, 'real.glasshouse');
    const rec = await cli(['record', '--container', c.name, '--duration', '3s', '--out', file]);
    expect(rec.code, rec.err).toBe(0);
    expect(rec.err).toContain(`recording ${c.name}`);

    const rep = await cli(['report', file, '--format', 'json']);
    expect(rep.code, rep.err).toBe(0);
    const report = JSON.parse(rep.out);
    expect(report.containers).toEqual([expect.objectContaining({ id: c.id, name: c.name, image: 'glasshouse-test/busybox:1' })]);
    expect(report.processes).toBeGreaterThan(2);
    expect(report.events.byKind.exec).toBeGreaterThan(2);
    expect(report.files.map((f: { path: string }) => f.path)).toContain('/tmp/x');
    expect(report.drops).toMatchObject({ ringDrops: 0, queueDrops: 0, sourceDropped: 0, finished: true });
    // A benign loop raises no runtime finding; the container's configuration (root, no limits) does raise posture ones.
    expect(report.findings.filter((f: { rule: string }) => !f.rule.startsWith('cis-docker-'))).toEqual([]);
    expect(report.findings.map((f: { rule: string }) => f.rule)).toEqual(expect.arrayContaining(['cis-docker-5.11', 'cis-docker-4.1']));

    const stored = RecordingStore.open(file, { readonly: true });
    const storedProcs = stored.processes().sort((a, b) => a.key.localeCompare(b.key));
    stored.close();
    // A replay starts from what the recording kept besides events: container facts, seeded processes, docker diff.
    const ctx = prepareReplay(file);
    const replay = new Recorder({ source: new RecordingSource(file), world: ctx.world, info: ctx.info });
    await replay.start();
    await replay.done;
    const replayed = [...replay.world.processes.all()].sort((a, b) => a.key.localeCompare(b.key));
    expect(JSON.parse(JSON.stringify(replayed))).toEqual(storedProcs);
  });

  it('stops cleanly on Ctrl-C, and refuses to overwrite or to read a foreign file', async () => {
    const file = join(dir, 'ctrlc.glasshouse');
    let interrupt!: () => void;
    const interrupted = new Promise<void>((r) => (interrupt = r));
    setTimeout(() => interrupt(), 800);
    const rec = await cli(['record', '--synthetic', '100000000', '--out', file], interrupted);
    expect(rec.code, rec.err).toBe(0);
    expect(rec.err).toContain('stopped by Ctrl-C');
    const rep = JSON.parse((await cli(['report', file, '--format', 'json'])).out);
    expect(rep.events.total).toBeGreaterThan(0);
    expect(rep.drops.finished).toBe(true);

    const again = await cli(['record', '--synthetic', '10', '--out', file]);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already exists/);

    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'hello\n'.repeat(50));
    const bad = await cli(['report', foreign, '--format', 'json']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain(foreign);
    expect(bad.err).toMatch(/not a Glasshouse recording/);
  });

  it('reports what a recording could not save, by reason, and that it still finished', async () => {
    const file = join(dir, 'lossy.glasshouse');
    // What the recorder does with a `docker diff` answer that once came back as a Buffer: a file row with no path.
    const info = { inspect: async () => undefined, diff: async () => Buffer.from('null\n') as unknown as DockerDiffEntry[] };
    const rec = new Recorder({ source: new SyntheticSource({ events: 3000, seed: 6, containers: 1 }), store: RecordingStore.create(file), info });
    await rec.start();
    expect((await rec.done).unsaved).toBe(1);
    const rep = await cli(['report', file, '--format', 'json']);
    expect(rep.code, rep.err).toBe(0);
    const report = JSON.parse(rep.out);
    expect(report.drops).toMatchObject({ finished: true, unsaved: 1, unsavedReasons: { 'file: NOT NULL constraint failed: files.path': 1 } });
    expect(report.events.total).toBe(3000);
    const txt = await cli(['report', file]);
    expect(txt.out).toContain('1 unsaved');
    expect(txt.out).toContain('unsaved: 1 × file: NOT NULL constraint failed: files.path');
    expect(txt.out).not.toContain('not closed cleanly');
  });

  it('records a read-only container that changes nothing beside a busy one: finished, nothing unsaved, findings of both', async () => {
    const quiet = await runContainer({ args: ['--read-only', '--network', 'none'], cmd: ['sleep', '600'] });
    const busy = await runContainer({ args: ['--network', 'none'], cmd: ['sh', '-c', 'sleep 1; while true; do echo x > /etc/gh-mark; sleep 0.5; done'] });
    const file = join(dir, 'both.glasshouse');
    const rec = await cli(['record', '--container', quiet.name, '--container', busy.name, '--duration', '5s', '--out', file]);
    expect(rec.code, rec.err).toBe(0);
    expect(rec.err).not.toMatch(/failed|not saved/);
    const report = JSON.parse((await cli(['report', file, '--format', 'json'])).out);
    expect(report.drops).toMatchObject({ finished: true, unsaved: 0, unsavedReasons: {}, observerErrors: 0, subscriberErrors: 0 });
    const of = (id: string) => report.findings.filter((f: { container: { id: string } }) => f.container.id === id).map((f: { rule: string }) => f.rule);
    expect(of(quiet.id)).toEqual(expect.arrayContaining(['cis-docker-4.1'])); // posture of the quiet one is kept
    expect(of(busy.id)).toEqual(expect.arrayContaining(['cis-docker-4.1', 'Write below etc'])); // and the busy one's runtime finding
  }, 60_000);
});
