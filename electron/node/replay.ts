// What a replay needs besides the events, read from the recording: container metadata, seeded processes and the
// final `docker diff` — so replaying a recording rebuilds the state the live capture had.
import type { DockerDiffEntry } from '../common/state/fileTable';
import type { ProcessSeed } from '../common/state/processTable';
import { WorldState } from '../common/state/worldState';
import type { ContainerInfoProvider } from './capture/containerInfo';
import { RecordingStore, type RecordedLoss } from './store/index';

export const SEEDS_META = 'seeds';
export const diffMetaKey = (containerId: string) => `diff:${containerId}`;

export interface ReplayContext {
  world: WorldState;
  /** What the recording lost while it was made (unsaved rows by reason, pipeline errors): the replay shows the same. */
  recordedLoss: RecordedLoss;
  /** Answers inspect and diff from the recording (never from Docker: the containers may be long gone). */
  info: ContainerInfoProvider;
}

/** Opens the recording (a bad file throws a FileFormatError naming it) and prepares a world for its replay. */
export function prepareReplay(path: string): ReplayContext {
  const store = RecordingStore.open(path, { readonly: true });
  const world = new WorldState();
  const details = new Map<string, ReturnType<RecordingStore['containers']>[number]>();
  const diffs = new Map<string, DockerDiffEntry[]>();
  let recordedLoss: RecordedLoss;
  try {
    for (const c of store.containers()) {
      details.set(c.id, c);
      world.upsertContainer(c.detail ?? c.ref);
      const d = store.metaValue(diffMetaKey(c.id));
      // Older recordings may hold a diff that is not a list (a serialised Buffer): such a diff is left out.
      const parsed: unknown = d ? JSON.parse(d) : undefined;
      if (Array.isArray(parsed)) diffs.set(c.id, parsed as DockerDiffEntry[]);
    }
    const seeds = store.metaValue(SEEDS_META);
    if (seeds) world.seedProcesses(JSON.parse(seeds) as ProcessSeed[]);
    recordedLoss = store.recordedLoss();
  } finally {
    store.close();
  }
  return {
    world, recordedLoss,
    info: {
      inspect: async (id) => details.get(id)?.detail,
      diff: async (id) => diffs.get(id) ?? [],
    },
  };
}
