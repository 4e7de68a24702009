import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSummary } from '../common/model/container';
import type { RuntimeEvent } from '../common/model/event';
import type { FileChange } from '../common/model/process';
import { WorldState } from '../common/state/worldState';
import type { SessionStatus } from '../common/ipc/contract';
import { BaseSource } from './capture/source';
import { SyntheticSource } from './capture/synthetic';
import { loadRuleEngine } from './rules/files';
import { RecordingStore } from './store/index';
import { CaptureSession, matchesSelection } from './session';

const c = (name: string, labels: Record<string, string> = {}, project?: string): ContainerSummary => ({
  id: `${name}`.padEnd(64, '0'), name, image: 'i', imageId: 'x', state: 'running', status: '', createdAt: 0, ports: [], labels,
  ...(project ? { composeProject: project } : {}),
});

describe('matchesSelection', () => {
  it('selects by name, id prefix or compose project; everything when nothing is named', () => {
    expect(matchesSelection(c('web'), {})).toBe(true);
    expect(matchesSelection(c('web'), { containers: ['web'] })).toBe(true);
    expect(matchesSelection(c('web'), { containers: ['/web'] })).toBe(true);
    expect(matchesSelection(c('abcdef123456'), { containers: ['abcdef123456'] })).toBe(true);
    expect(matchesSelection(c('db', {}, 'shop'), { compose: ['shop'] })).toBe(true);
    expect(matchesSelection(c('db', {}, 'shop'), { compose: ['other'], containers: ['web'] })).toBe(false);
  });
  it('never selects the sensor\'s own container, even when everything is asked for', () => {
    expect(matchesSelection(c('helper', { 'dev.glasshouse.helper': '1' }), {})).toBe(false);
    expect(matchesSelection(c('helper', { 'dev.glasshouse.helper': '1' }), { containers: ['helper'] })).toBe(false);
  });
});

/** Synthetic test input that, after its events, stays open until stopped (a capture that is still running). */
class HeldSource extends BaseSource {
  readonly kind = 'synthetic';
  readonly description = 'held synthetic';
  private release!: () => void;
  private readonly released = new Promise<void>((r) => (this.release = r));
  constructor(private readonly events: RuntimeEvent[]) {
    super();
  }
  async start(): Promise<void> {}
  async *batches(): AsyncIterable<RuntimeEvent[]> {
    this.count(this.events);
    yield this.events;
    await this.released;
  }
  override async stop(): Promise<void> {
    await super.stop();
    this.release();
  }
}

describe('CaptureSession and its recording', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
  const session = (dataDir: string, statuses: SessionStatus[] = []) => new CaptureSession({
    info: () => { throw new Error('no Docker in this test'); }, containers: () => [], onContainers: () => () => undefined,
    rules: () => loadRuleEngine(undefined), dataDir, publishStatus: (s) => statuses.push(s),
  });
  const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'gh-session-')); dirs.push(d); return d; };

  it('writes findings into the recording as they are raised, while the capture still runs', async () => {
    const dir = tmp();
    const s = session(dir);
    const path = join(dir, 'held.glasshouse');
    await s.startSource(new HeldSource(new SyntheticSource({ events: 2000, seed: 1 }).all()), { path });
    let stored: string[] = [];
    for (let i = 0; i < 100 && stored.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 30));
      const ro = RecordingStore.open(path, { readonly: true });
      stored = ro.listFindings().map((f) => f.fingerprint);
      ro.close();
    }
    expect(s.status.state).toBe('capturing');
    const raised = s.findings().map((f) => f.fingerprint);
    expect(raised.length).toBeGreaterThan(3);
    expect(stored.sort()).toEqual(raised.sort());
    const end = await s.stop();
    expect(end.state).toBe('stopped');
    const ro = RecordingStore.open(path, { readonly: true });
    expect(ro.listFindings()).toHaveLength(raised.length);
    expect(ro.info().meta.finishedAt).toBeGreaterThan(0);
    ro.close();
  }, 30_000);

  it('returns to idle with the real cause when its recording cannot be made, and the next capture works', async () => {
    const dir = tmp();
    const blocked = join(dir, 'data');
    writeFileSync(blocked, 'a file where the data folder should be');
    const statuses: SessionStatus[] = [];
    const s = session(blocked, statuses);
    await expect(s.startSource(new HeldSource([]), true)).rejects.toThrow(/data is a file, not a folder \(ENOTDIR\), so recording .* cannot be created/);
    expect(s.status.state).toBe('idle');
    expect(s.status.error?.message).toMatch(/ENOTDIR/);
    const path = join(dir, 'second.glasshouse');
    const again = await s.startSource(new HeldSource(new SyntheticSource({ events: 100, seed: 2 }).all()), { path });
    expect(again).toMatchObject({ state: 'capturing', recordingPath: path, error: undefined });
    expect((await s.stop()).state).toBe('stopped');
  }, 30_000);

  it('shows, when a recording is reopened, what it could not save when it was made', async () => {
    const dir = tmp();
    const path = join(dir, 'lossy.glasshouse');
    const store = RecordingStore.create(path);
    const world = new WorldState();
    const events = new SyntheticSource({ events: 500, seed: 3 }).all();
    world.applyBatch(events);
    store.appendEvents(events);
    const delta = world.takeDelta();
    // a file change without a path: the schema rejects that one row
    store.applyDelta({ ...delta, files: [{ ...delta.files[0], path: undefined } as unknown as FileChange, ...delta.files.slice(1)] });
    store.close();
    const s = session(dir);
    await s.openRecording(path);
    await waitUntil(() => s.status.state === 'stopped');
    expect(s.status.loss).toMatchObject({ unsaved: 1, unsavedReasons: { 'file: NOT NULL constraint failed: files.path': 1 } });
  }, 30_000);
});

async function waitUntil(ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
