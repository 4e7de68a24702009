import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, type DeltaFrame } from './recorder';
import { SyntheticSource } from './capture/synthetic';
import { RecordingSource } from './capture/recording';
import type { CaptureSource } from './capture/source';
import { RecordingStore } from './store/index';
import type { WorldState } from '../common/state/index';
import type { DockerDiffEntry } from '../common/state/fileTable';
import type { ContainerInfoProvider } from './capture/containerInfo';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmpFile(name: string): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-rec-'));
  dirs.push(d);
  return join(d, name);
}

/** A canonical, order-independent picture of a state, for comparing two states. */
function canonical(w: WorldState) {
  const sortBy = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
  return {
    processes: sortBy([...w.processes.all()], (p) => p.key),
    files: sortBy(w.files.list(), (f) => `${f.containerId}${f.path}`),
    flows: sortBy(w.flows.flows(), (f) => `${f.containerId}${f.direction}${f.remoteAddr}:${f.remotePort}:${f.localPort}`),
    listening: sortBy(w.flows.listening(), (l) => `${l.containerId}${l.proto}${l.addr}${l.port}`),
    counters: w.counters,
  };
}

/**
 * The synthetic source with a pause between batches, so a capture spans many subscriber ticks whatever the speed
 * of this machine and Node (Node 24 decodes 400 k synthetic events in less than one 50 ms tick).
 */
function paced(source: SyntheticSource, everyBatches = 8, pauseMs = 10): CaptureSource {
  return {
    kind: source.kind, description: source.description, ended: source.ended,
    start: () => source.start(), stop: () => source.stop(), stats: () => source.stats(),
    async *batches() {
      let n = 0;
      for await (const b of source.batches()) {
        yield b;
        if (++n % everyBatches === 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
  };
}

describe('Recorder', () => {
  it('records synthetic capture, and replaying the file rebuilds identical state', async () => {
    const path = tmpFile('a.glasshouse');
    const rec = new Recorder({ source: new SyntheticSource({ events: 30_000, seed: 11 }), store: RecordingStore.create(path) });
    await rec.start();
    const summary = await rec.done;
    expect(summary.events).toBe(30_000);
    expect(summary.unsaved).toBe(0);

    const stored = RecordingStore.open(path, { readonly: true });
    expect(stored.info().events).toBe(30_000);
    expect(stored.processes()).toHaveLength(rec.world.processes.size);
    expect(stored.files()).toHaveLength(rec.world.files.size);
    stored.close();

    const replay = new Recorder({ source: new RecordingSource(path) });
    await replay.start();
    await replay.done;
    expect(canonical(replay.world)).toEqual(canonical(rec.world));
  }, 30_000);

  it('feeds subscribers at most ~20 frames a second and coalesces for a slow one without slowing capture', async () => {
    const rec = new Recorder({ source: paced(new SyntheticSource({ events: 400_000, seed: 2, batchSize: 2048 })) });
    const fast: DeltaFrame[] = [];
    const slowFrames: DeltaFrame[] = [];
    rec.subscribe((f) => { fast.push(f); }, { tail: 50 });
    const only = new SyntheticSource({ seed: 2 }).containerIds()[0];
    rec.subscribe(async (f) => {
      slowFrames.push(f);
      await new Promise((r) => setTimeout(r, 300));
    }, { containerIds: [only], tail: 10 });
    const t0 = Date.now();
    await rec.start();
    await rec.done;
    const seconds = (Date.now() - t0) / 1000;
    expect(fast.length).toBeGreaterThan(1);
    expect(fast.length).toBeLessThanOrEqual(Math.ceil(seconds * 20) + 2);
    expect(fast.every((f) => f.tail.length <= 50)).toBe(true);
    expect(fast[fast.length - 1].dropped).toBeGreaterThan(0);
    // The slow subscriber got fewer frames, with coalescing counted, and only its container.
    expect(slowFrames.length).toBeLessThan(fast.length);
    const last = slowFrames[slowFrames.length - 1];
    expect(last.coalesced).toBeGreaterThan(0);
    expect(slowFrames.flatMap((f) => f.delta.processes).every((p) => p.containerId === only)).toBe(true);
    expect(slowFrames.flatMap((f) => f.tail).every((e) => e.containerId === only)).toBe(true);
    expect(rec.world.counters.events).toBe(400_000);
  }, 60_000);

  it('counts observer and subscriber exceptions in its summary and in the recording, and captures every event', async () => {
    const path = tmpFile('errors.glasshouse');
    let thrown = 0;
    const rec = new Recorder({
      source: paced(new SyntheticSource({ events: 20_000, seed: 4, batchSize: 1000 }), 2, 30), store: RecordingStore.create(path),
      observer: {
        onEvent: (e) => { if (e.seq % 1000 === 0) { thrown++; throw new Error(`rule blew up at ${e.seq}`); } },
        onBatch: () => { throw new Error('batch hook failed'); },
      },
    });
    rec.subscribe(() => { throw new Error('view failed'); });
    rec.subscribe(async () => { throw new Error('async view failed'); });
    await rec.start();
    const summary = await rec.done;
    expect(summary.error).toBeUndefined();
    expect(summary.events).toBe(20_000);
    expect(thrown).toBeGreaterThan(10);
    expect(summary.observerErrors.count - thrown).toBeGreaterThan(10); // and one per batch from onBatch
    expect(summary.observerErrors.last).toMatch(/batch hook failed|rule blew up/);
    expect(summary.subscriberErrors.count).toBeGreaterThanOrEqual(2);
    expect(summary.subscriberErrors.last).toMatch(/view failed/);
    const stored = RecordingStore.open(path, { readonly: true });
    expect(stored.info().events).toBe(20_000);
    const capture = JSON.parse(stored.metaValue('capture')!);
    expect(capture.observerErrors.count).toBe(summary.observerErrors.count);
    expect(capture.subscriberErrors.count).toBeGreaterThanOrEqual(2);
    stored.close();
  }, 30_000);

  it('a `docker diff` row the schema rejects costs that row, not the recording: finished, counted with its reason', async () => {
    const path = tmpFile('diff.glasshouse');
    // What dockerode handed back for a container that changed nothing: a Buffer holding `null\n`, iterated as entries.
    const info: ContainerInfoProvider = { inspect: async () => undefined, diff: async () => Buffer.from('null\n') as unknown as DockerDiffEntry[] };
    const rec = new Recorder({ source: new SyntheticSource({ events: 5000, seed: 8, containers: 2 }), store: RecordingStore.create(path), info });
    let writes = 0;
    rec.subscribe(() => { writes++; });
    await rec.start();
    const summary = await rec.done;
    expect(summary.error).toBeUndefined();
    expect(summary.unsaved).toBe(2); // one pathless file row per container
    expect(summary.unsavedReasons).toEqual({ 'file: NOT NULL constraint failed: files.path': 2 });
    const stored = RecordingStore.open(path, { readonly: true });
    expect(stored.info().meta.finishedAt).toBeGreaterThan(0);
    expect(stored.info().events).toBe(5000);
    expect(stored.files().length).toBe(rec.world.files.list().filter((f) => f.path !== undefined).length);
    expect(JSON.parse(stored.metaValue('unsaved')!)).toEqual({ count: 2, reasons: { 'file: NOT NULL constraint failed: files.path': 2 } });
    stored.close();
    expect(writes).toBeGreaterThan(0);
  }, 30_000);

  it('a `docker diff` answer it cannot fold costs that diff, never the close (the recording finishes)', async () => {
    const path = tmpFile('odd-diff.glasshouse');
    const info: ContainerInfoProvider = { inspect: async () => undefined, diff: async () => ({ Changes: null }) as unknown as DockerDiffEntry[] };
    const rec = new Recorder({ source: new SyntheticSource({ events: 1000, seed: 2, containers: 1 }), store: RecordingStore.create(path), info });
    await rec.start();
    const summary = await Promise.race([rec.done, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(summary).not.toBe('hung');
    const s = summary as Exclude<typeof summary, 'hung'>;
    expect(s.error).toBeUndefined();
    expect(Object.keys(s.unsavedReasons)).toEqual([expect.stringMatching(/^docker diff of \w+: .*not iterable/)]);
    const stored = RecordingStore.open(path, { readonly: true });
    expect(stored.info().meta.finishedAt).toBeGreaterThan(0);
    expect(stored.info().events).toBe(1000);
    stored.close();
  }, 30_000);
});
