// Response slice: incident-response actions per container — what is running, its progress, the outcome, isolation.
import type { StateCreator } from 'zustand';
import type { ActionProgress, ContainerAction, IsolationRecord } from '../../../../electron/common/ipc/response';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { AppState } from '../index';

export interface ResponseState {
  busy?: ContainerAction;
  progress?: ActionProgress;
  /** The last outcome, as the engine's sentence. */
  message?: string;
  error?: string;
  isolation?: IsolationRecord | null;
}

export interface ResponseSlice {
  response: Record<string, ResponseState>;
  runAction(containerId: string, action: Exclude<ContainerAction, 'snapshot'>, opts?: { removeOld?: boolean }): Promise<void>;
  takeSnapshot(containerId: string): Promise<void>;
  loadIsolation(containerId: string): Promise<void>;
  actionProgress(p: ActionProgress): void;
}

let seq = 0;

export const createResponseSlice: StateCreator<AppState, [], [], ResponseSlice> = (set, get) => {
  const patch = (id: string, p: Partial<ResponseState>) => set((s) => ({ response: { ...s.response, [id]: { ...s.response[id], ...p } } }));
  return {
    response: {},
    async runAction(containerId, action, opts) {
      patch(containerId, { busy: action, error: undefined, message: undefined, progress: undefined });
      try {
        const r = await getClient().call('container.action', { id: containerId, action, ...(opts?.removeOld !== undefined ? { removeOld: opts.removeOld } : {}) });
        patch(containerId, { message: r.message });
        // A replaced container has a new id: follow it, so the user keeps looking at "the" service.
        if (r.newId) get().select(r.newId);
      } catch (err) {
        patch(containerId, { error: describeError(err) });
      } finally {
        patch(containerId, { busy: undefined });
        if (action === 'isolate' || action === 'unisolate') void get().loadIsolation(containerId);
      }
    },
    async takeSnapshot(containerId) {
      const actionId = `ui${Date.now().toString(36)}${(seq++).toString(36)}`;
      patch(containerId, { busy: 'snapshot', error: undefined, message: undefined,
        progress: { actionId, containerId, action: 'snapshot', step: 'check', fraction: 0, message: 'Starting…' } });
      try {
        const r = await getClient().call('container.snapshot', { id: containerId, actionId });
        patch(containerId, { message: r.message });
      } catch (err) {
        patch(containerId, { error: describeError(err) });
      } finally {
        patch(containerId, { busy: undefined });
      }
    },
    async loadIsolation(containerId) {
      try {
        patch(containerId, { isolation: await getClient().call('container.isolation', { id: containerId }) });
      } catch {
        patch(containerId, { isolation: null });
      }
    },
    actionProgress(p) {
      const cur = get().response[p.containerId];
      // Only the snapshot this window started (another window may snapshot the same container).
      if (cur?.progress && cur.progress.actionId === p.actionId) patch(p.containerId, { progress: p });
    },
  };
};
