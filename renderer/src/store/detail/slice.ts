// Detail slice: inspect facts, process list and log tail of the selected container, loaded on demand.
import type { StateCreator } from 'zustand';
import type { LogLine } from '../../../../electron/common/ipc/contract';
import type { ContainerDetail, ProcessListing } from '../../../../electron/common/model/container';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { AppState } from '../index';

export interface Loadable<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

export interface DetailSlice {
  inspect: Record<string, Loadable<ContainerDetail>>;
  processes: Record<string, Loadable<ProcessListing>>;
  logs: Record<string, Loadable<LogLine[]>>;
  loadInspect(id: string): Promise<void>;
  loadProcesses(id: string): Promise<void>;
  loadLogs(id: string): Promise<void>;
}

type Key = 'inspect' | 'processes' | 'logs';

export const createDetailSlice: StateCreator<AppState, [], [], DetailSlice> = (set) => {
  const load = async <T>(key: Key, id: string, fetch: () => Promise<T>) => {
    set((s) => ({ [key]: { ...s[key], [id]: { ...s[key][id], loading: true } } }) as Partial<AppState>);
    try {
      const data = await fetch();
      set((s) => ({ [key]: { ...s[key], [id]: { data, loading: false } } }) as Partial<AppState>);
    } catch (err) {
      set((s) => ({ [key]: { ...s[key], [id]: { ...s[key][id], error: describeError(err), loading: false } } }) as Partial<AppState>);
    }
  };
  return {
    inspect: {},
    processes: {},
    logs: {},
    loadInspect: (id) => load('inspect', id, () => getClient().call('container.inspect', { id })),
    loadProcesses: (id) => load('processes', id, () => getClient().call('container.processes', { id })),
    loadLogs: (id) => load('logs', id, () => getClient().call('container.logs', { id, tail: 500 })),
  };
};
