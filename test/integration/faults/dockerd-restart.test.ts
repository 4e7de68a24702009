// dockerd restarted mid-recording (a private Docker 26 with --live-restore, never the system engine): the catalog
// and the capture reconnect by themselves, the gap is marked, and no marker committed before the restart is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogDelta } from '../../../electron/common/ipc/contract';
import { Engine } from '../../../electron/node/engine';
import { RecordingStore } from '../../../electron/node/store/index';
import { waitFor } from '../../support/waitFor';
import { ensureSensorImage, SENSOR_LABEL, SENSOR_IMAGE } from '../sensor/support';
import { markerOf, markerWriter, missing, recordedMarkers } from './support';
import { copyImage, docker0State, PrivateDockerd, privateEngineMissing } from './privateDockerd';

const why = privateEngineMissing();
const engineDir = mkdtempSync(join(tmpdir(), 'gh-fault-dockerd-'));
const priv = new PrivateDockerd();
let engine: Engine | undefined;
let docker0Before = '';

beforeAll(async () => {
  if (why) return;
  docker0Before = await docker0State();
  await ensureSensorImage();
  await priv.start();
  await copyImage(SENSOR_IMAGE, priv);
}, 180_000);
afterAll(async () => {
  await engine?.session.stop().catch(() => undefined);
  engine?.stop();
  if (!why) await priv.destroy();
  rmSync(engineDir, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!!why)(`dockerd restarted mid-recording${why ? ` (skipped: ${why})` : ''}`, () => {
  it('reconnects catalog and capture, marks the gap, loses no committed marker; the system docker0 is untouched', async () => {
    const id = await priv.docker(['run', '-d', '--network', 'none', '--label', `${SENSOR_LABEL}=1`, SENSOR_IMAGE, ...markerWriter()]);
    engine = new Engine({ endpointEnv: { env: { DOCKER_HOST: priv.host } }, dataDir: engineDir });
    await engine.start();
    await waitFor('catalog of the private engine', () => engine!.catalog.get(id)?.state === 'running', 30_000);
    const file = join(engineDir, 'restart.glasshouse');
    const status = await engine.session.startLive({ containers: [id] }, { path: file });
    expect(status.state).toBe('capturing');
    const committed = () => new Set(engine!.session.queryEvents({ from: 0, to: Date.now() + 60_000, containerId: id, kinds: ['open'], limit: 1_000_000 })
      .map((e) => markerOf(e as never, id)).filter((n): n is number => n !== undefined));
    await waitFor('20 committed markers', () => committed().size >= 20, 60_000, 200);

    // the catalog re-lists on each new connection (a reset with the container), not only keeps its old rows
    const resets: Array<{ ts: number; ids: string[] }> = [];
    engine.catalog.on('delta', (ds: CatalogDelta[]) => {
      for (const d of ds) if (d.type === 'reset') resets.push({ ts: Date.now(), ids: d.snapshot.containers.map((c) => c.id) });
    });
    const helpers = () => priv.docker(['ps', '-q', '--filter', 'label=dev.glasshouse.helper']).then((o) => o.split('\n').filter(Boolean));
    const rounds: Array<{ signal: string; before: Set<number>; downMs: number }> = [];
    // a graceful restart, then a crash (SIGKILL): live-restore keeps the containers running through both
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const before = committed();
      const t0 = Date.now();
      await priv.stopDockerd(signal);
      await waitFor('the engine notices dockerd is gone', () => engine!.connection.status.connection !== 'connected', 30_000, 100);
      await priv.startDockerd();
      rounds.push({ signal, before, downMs: Date.now() - t0 });
      await waitFor('the engine reconnects', () => engine!.connection.status.connection === 'connected', 60_000, 200);
      await waitFor('the catalog re-listed the container', () => resets.some((r) => r.ts > t0 && r.ids.includes(id)) && engine!.catalog.get(id)?.state === 'running', 30_000, 200);
      const maxBefore = Math.max(...before);
      await waitFor('capture resumed: markers committed after the restart', () => [...committed()].some((n) => n > maxBefore + 40), 90_000, 250);
      // the helper's stream ran through the old dockerd: the sensor restarts it and closes the gap at its HELLO
      await waitFor('the gap in the live status', () => engine!.session.status.loss.gaps.length === rounds.length, 60_000, 250);
      // live-restore kept the old helper container running, blind (its stream died with dockerd): the sensor ends
      // it, so one helper traces, not two
      await waitFor('one helper container left', async () => (await helpers()).length === 1, 30_000, 500);
    }
    const gaps = engine.session.status.loss.gaps;

    const stopped = await engine.session.stop();
    expect(stopped.state).toBe('stopped');
    const recorded = recordedMarkers(file, id);
    for (const r of rounds) expect(missing(r.before, recorded)).toEqual([]);
    // the sensor's coverage broke with dockerd each time (its stream runs through it): one gap each, in the file
    expect(gaps).toHaveLength(2);
    expect(stopped.loss.gaps).toEqual(gaps);
    const ro = RecordingStore.open(file, { readonly: true });
    const stored = ro.gaps();
    ro.close();
    expect(stored.map((g) => [g.start, g.end])).toEqual(gaps);
    for (const g of stored) expect(g.reason).toMatch(/^sensor helper exited.*; restarted$/);
    expect(await docker0State()).toBe(docker0Before);
    for (const r of rounds) {
      console.log(`[faults] dockerd ${r.signal} + start: down ${r.downMs} ms; ${r.before.size} committed before, ${missing(r.before, recorded).length} lost`);
    }
    console.log(`[faults] dockerd: ${recorded.size} markers recorded; gaps ${JSON.stringify(gaps.map(([a, b]) => b - a))} ms`);
  }, 240_000);
});
