// Session slice: the engine's capture session (live or replay), recent recordings, the brushed time window and
// the "reveal" target that findings use to jump into the tree, file and network views.
import type { StateCreator } from 'zustand';
import type { RecentRecording, SessionStatus } from '../../../../electron/common/ipc/contract';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { Tab } from '../ui/slice';
import type { AppState } from '../index';

/** Where a drill-down lands: one of the views, with the thing to select and the moment to show. */
export interface RevealTarget {
  tab: Tab;
  containerId?: string;
  processKey?: string;
  fileKey?: string;
  path?: string;
  flowKey?: string;
  ts?: number;
}

export interface SessionSlice {
  session: SessionStatus | undefined;
  recent: RecentRecording[];
  sessionError: string | undefined;
  /** Brushed time window [from, to] (ms epoch) that filters every view; undefined = everything. */
  timeWindow: readonly [number, number] | undefined;
  /** Selections inside the views, set by clicks and by reveal(). */
  selectedProcess: string | undefined;
  selectedFile: string | undefined;
  selectedFlow: string | undefined;
  /** Increments on every reveal so views re-centre even when the same target is revealed twice. */
  revealSeq: number;
  setSession(s: SessionStatus): void;
  loadSession(): Promise<void>;
  loadRecent(): Promise<void>;
  startCapture(containers: string[] | undefined, record: boolean): Promise<void>;
  stopCapture(): Promise<void>;
  openRecording(path: string): Promise<void>;
  /** The desktop app's own Open dialog (main asks the user; the page never names the file). */
  openRecordingDialog(): Promise<void>;
  setTimeWindow(w: readonly [number, number] | undefined): void;
  selectProcess(key: string | undefined): void;
  selectFile(key: string | undefined): void;
  selectFlow(key: string | undefined): void;
  reveal(t: RevealTarget): void;
}

/** True when a session is producing or replaying events, so a live subscription is worth having. */
export const isActive = (s: SessionStatus | undefined) => !!s && (s.state === 'capturing' || s.state === 'replaying' || s.state === 'starting');

/** A time window around a moment, so a revealed event sits inside what the views show. */
export function windowAround(ts: number, spanMs = 30_000): readonly [number, number] {
  return [ts - spanMs / 2, ts + spanMs / 2];
}

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set, get) => {
  const run = async (fn: () => Promise<SessionStatus>) => {
    try {
      const s = await fn();
      set({ session: s, sessionError: undefined });
    } catch (err) {
      set({ sessionError: describeError(err) });
    }
  };
  return {
    session: undefined,
    recent: [],
    sessionError: undefined,
    timeWindow: undefined,
    selectedProcess: undefined,
    selectedFile: undefined,
    selectedFlow: undefined,
    revealSeq: 0,
    setSession: (session) => set({ session }),
    loadSession: () => run(() => getClient().call('session.status', {})),
    loadRecent: async () => {
      try {
        set({ recent: await getClient().call('recording.recent', {}) });
      } catch (err) {
        set({ sessionError: describeError(err) });
      }
    },
    startCapture: (containers, record) => run(() => getClient().call('capture.start', { containers, record })),
    stopCapture: async () => {
      await run(() => getClient().call('capture.stop', {}));
      void get().loadRecent();
    },
    openRecording: (path) => run(() => getClient().call('recording.open', { path })),
    openRecordingDialog: () => run(() => getClient().call('recording.open', { dialog: true })),
    setTimeWindow: (timeWindow) => set({ timeWindow }),
    selectProcess: (selectedProcess) => set({ selectedProcess }),
    selectFile: (selectedFile) => set({ selectedFile }),
    selectFlow: (selectedFlow) => set({ selectedFlow }),
    reveal: (t) => set((s) => ({
      tab: t.tab,
      selectedId: t.containerId && s.containers[t.containerId] ? t.containerId : s.selectedId,
      selectedProcess: t.processKey ?? s.selectedProcess,
      selectedFile: t.fileKey ?? s.selectedFile,
      selectedFlow: t.flowKey ?? s.selectedFlow,
      revealSeq: s.revealSeq + 1,
    })),
  };
};
