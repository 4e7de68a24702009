// Builds real recordings (the engine's own Recorder and SQLite store) from the synthetic capture source.
import { Recorder } from '../../electron/node/recorder';
import { SyntheticSource, type SyntheticOptions } from '../../electron/node/capture/synthetic';
import { RecordingStore } from '../../electron/node/store/index';

/** Writes a .glasshouse file with `opts.events` synthetic events; returns how long it took and the container ids. */
export async function writeSyntheticRecording(path: string, opts: SyntheticOptions): Promise<{ ms: number; containers: string[]; events: number }> {
  const t0 = performance.now();
  const source = new SyntheticSource(opts);
  const rec = new Recorder({ source, store: RecordingStore.create(path, { title: `synthetic ${opts.events ?? 0} events`, source: source.description }) });
  await rec.start();
  const summary = await rec.done;
  return { ms: performance.now() - t0, containers: source.containerIds(), events: summary.events };
}
