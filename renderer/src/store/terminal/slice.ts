// Terminal slice: the terminals open in the engine (per container), which one is shown, and how each ended.
import type { StateCreator } from 'zustand';
import type { TerminalExit, TerminalInfo } from '../../../../electron/common/ipc/response';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { AppState } from '../index';

export interface TerminalEntry {
  info: TerminalInfo;
  /** Set when the shell ended: its exit code and why, if it was not a normal exit. */
  exit?: TerminalExit;
}

export interface TerminalSlice {
  terminals: Record<string, TerminalEntry>;
  /** The terminal shown per container. */
  activeTerminal: Record<string, string | undefined>;
  /** Why the last open failed, per container (no shell, paused, refused). */
  terminalError: Record<string, string | undefined>;
  terminalOpening: Record<string, boolean>;
  openTerminal(containerId: string, size: { cols: number; rows: number }, shell?: string): Promise<void>;
  closeTerminal(terminalId: string): Promise<void>;
  showTerminal(containerId: string, terminalId: string): void;
  /** Picks up terminals the engine still has (after a reload or a reconnect). */
  syncTerminals(): Promise<void>;
  terminalExited(e: TerminalExit): void;
}

export const createTerminalSlice: StateCreator<AppState, [], [], TerminalSlice> = (set, get) => ({
  terminals: {},
  activeTerminal: {},
  terminalError: {},
  terminalOpening: {},
  async openTerminal(containerId, size, shell) {
    set((s) => ({ terminalOpening: { ...s.terminalOpening, [containerId]: true }, terminalError: { ...s.terminalError, [containerId]: undefined } }));
    try {
      const info = await getClient().call('terminal.open', { id: containerId, cols: size.cols, rows: size.rows, ...(shell ? { shell } : {}) });
      set((s) => ({
        terminals: { ...s.terminals, [info.terminalId]: { info } },
        activeTerminal: { ...s.activeTerminal, [containerId]: info.terminalId },
      }));
    } catch (err) {
      set((s) => ({ terminalError: { ...s.terminalError, [containerId]: describeError(err) } }));
    } finally {
      set((s) => ({ terminalOpening: { ...s.terminalOpening, [containerId]: false } }));
    }
  },
  async closeTerminal(terminalId) {
    const entry = get().terminals[terminalId];
    if (entry && !entry.exit) await getClient().call('terminal.close', { terminalId }).catch(() => undefined);
    set((s) => {
      const { [terminalId]: _gone, ...rest } = s.terminals;
      const cid = entry?.info.containerId;
      const next = cid ? Object.values(rest).find((t) => t.info.containerId === cid)?.info.terminalId : undefined;
      return { terminals: rest, ...(cid ? { activeTerminal: { ...s.activeTerminal, [cid]: next } } : {}) };
    });
  },
  showTerminal: (containerId, terminalId) => set((s) => ({ activeTerminal: { ...s.activeTerminal, [containerId]: terminalId } })),
  async syncTerminals() {
    const list = await getClient().call('terminal.list', {});
    set((s) => {
      const terminals = { ...s.terminals };
      const activeTerminal = { ...s.activeTerminal };
      for (const info of list) {
        terminals[info.terminalId] ??= { info };
        activeTerminal[info.containerId] ??= info.terminalId;
      }
      return { terminals, activeTerminal };
    });
  },
  terminalExited: (e) => set((s) => (s.terminals[e.terminalId] ? { terminals: { ...s.terminals, [e.terminalId]: { ...s.terminals[e.terminalId], exit: e } } } : {})),
});

/** The terminals of one container; call on s.terminals inside useMemo (a fresh array per store read would loop). */
export const terminalsOf = (terminals: Record<string, TerminalEntry>, containerId: string): TerminalEntry[] =>
  Object.values(terminals).filter((t) => t.info.containerId === containerId);
