// Engine slice: the Docker connection status and the link to the engine itself.
import type { StateCreator } from 'zustand';
import type { EngineStatus } from '../../../../electron/common/ipc/contract';
import type { TransportState } from '../../api/transport';
import type { AppState } from '../index';

export interface EngineSlice {
  status: EngineStatus | undefined;
  link: TransportState;
  setStatus(s: EngineStatus): void;
  setLink(s: TransportState): void;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set) => ({
  status: undefined,
  link: 'connecting',
  setStatus: (status) => set({ status }),
  setLink: (link) => set({ link }),
});
