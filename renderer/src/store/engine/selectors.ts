// Selectors over the engine slice.
import type { AppState } from '../index';

export const selectStatus = (s: AppState) => s.status;
export const selectLink = (s: AppState) => s.link;
export const selectConnected = (s: AppState) => s.link === 'open' && s.status?.connection === 'connected';
