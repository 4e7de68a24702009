// Selectors over the catalog slice; memoised on the containers object so React re-renders only on change.
import { groupByCompose } from '../../../../electron/common/catalog/group';
import type { ComposeGroup, ContainerSummary } from '../../../../electron/common/model/container';
import type { AppState } from '../index';

let lastContainers: Record<string, ContainerSummary> | undefined;
let lastFilter: string | undefined;
let lastGroups: ComposeGroup[] = [];

function matches(c: ContainerSummary, q: string): boolean {
  return c.name.toLowerCase().includes(q) || c.image.toLowerCase().includes(q) || (c.composeProject ?? '').toLowerCase().includes(q)
    || (c.composeService ?? '').toLowerCase().includes(q) || c.id.startsWith(q);
}

export const selectGroups = (s: AppState): ComposeGroup[] => {
  if (s.containers !== lastContainers || s.filter !== lastFilter) {
    lastContainers = s.containers;
    lastFilter = s.filter;
    const q = s.filter.trim().toLowerCase();
    const rows = Object.values(s.containers);
    lastGroups = groupByCompose(q ? rows.filter((c) => matches(c, q)) : rows);
  }
  return lastGroups;
};

/** Container ids in the order the sidebar shows them (for keyboard navigation). */
export const visibleOrder = (groups: ComposeGroup[], collapsed: Record<string, boolean>): string[] =>
  groups.flatMap((g) => (collapsed[g.project ?? ''] ? [] : g.services.flatMap((s) => s.containers.map((c) => c.id))));

export const selectSelected = (s: AppState) => (s.selectedId ? s.containers[s.selectedId] : undefined);
export const selectCount = (s: AppState) => Object.keys(s.containers).length;
