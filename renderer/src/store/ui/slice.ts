// UI slice: selection, active tab, sidebar filter and collapsed projects.
import type { StateCreator } from 'zustand';
import type { AppState } from '../index';

export const TABS = ['overview', 'processes', 'files', 'network', 'timeline', 'findings', 'resources', 'terminal', 'logs'] as const;
export type Tab = (typeof TABS)[number];

export interface UiSlice {
  selectedId: string | undefined;
  tab: Tab;
  filter: string;
  collapsed: Record<string, boolean>;
  select(id: string | undefined): void;
  setTab(tab: Tab): void;
  setFilter(f: string): void;
  toggleProject(project: string): void;
}

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  selectedId: undefined,
  tab: 'overview',
  filter: '',
  collapsed: {},
  select: (selectedId) => set({ selectedId }),
  setTab: (tab) => set({ tab }),
  setFilter: (filter) => set({ filter }),
  toggleProject: (p) => set((s) => ({ collapsed: { ...s.collapsed, [p]: !s.collapsed[p] } })),
});
