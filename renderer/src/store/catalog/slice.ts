// Catalog slice: every container the engine knows, kept current by deltas pushed from the engine.
import type { StateCreator } from 'zustand';
import type { CatalogDelta } from '../../../../electron/common/ipc/contract';
import type { ContainerSummary } from '../../../../electron/common/model/container';
import type { AppState } from '../index';

export interface CatalogSlice {
  containers: Record<string, ContainerSummary>;
  /** True once the first snapshot arrived (so "no containers" is not shown while loading). */
  catalogLoaded: boolean;
  applyDeltas(deltas: CatalogDelta[]): void;
}

export function reduceCatalog(containers: Record<string, ContainerSummary>, deltas: CatalogDelta[]): Record<string, ContainerSummary> {
  let next = containers;
  let copied = false;
  const own = () => {
    if (!copied) {
      next = { ...next };
      copied = true;
    }
  };
  for (const d of deltas) {
    if (d.type === 'reset') {
      next = Object.fromEntries(d.snapshot.containers.map((c) => [c.id, c]));
      copied = true;
    } else if (d.type === 'upsert') {
      own();
      next[d.container.id] = d.container;
    } else if (d.type === 'remove' && next[d.id]) {
      own();
      delete next[d.id];
    }
  }
  return next;
}

export const createCatalogSlice: StateCreator<AppState, [], [], CatalogSlice> = (set) => ({
  containers: {},
  catalogLoaded: false,
  applyDeltas: (deltas) =>
    set((s) => ({ containers: reduceCatalog(s.containers, deltas), catalogLoaded: s.catalogLoaded || deltas.some((d) => d.type === 'reset') })),
});
