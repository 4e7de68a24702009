// The one zustand store of the app, made of slices (each with its selectors and tests beside it).
import { create } from 'zustand';
import { createCatalogSlice, type CatalogSlice } from './catalog/slice';
import { createDetailSlice, type DetailSlice } from './detail/slice';
import { createEngineSlice, type EngineSlice } from './engine/slice';
import { createUiSlice, type UiSlice } from './ui/slice';
import { createLiveSlice, type LiveSlice } from './live/slice';
import { createFindingsSlice, type FindingsSlice } from './findings/slice';
import { createSessionSlice, type SessionSlice } from './session/slice';
import { createTerminalSlice, type TerminalSlice } from './terminal/slice';
import { createResponseSlice, type ResponseSlice } from './actions/slice';
import { createExportSlice, type ExportSlice } from './export/slice';

export type AppState = EngineSlice & CatalogSlice & UiSlice & DetailSlice & LiveSlice & FindingsSlice & SessionSlice & TerminalSlice & ResponseSlice & ExportSlice;

export const useStore = create<AppState>()((...a) => ({
  ...createEngineSlice(...a),
  ...createCatalogSlice(...a),
  ...createUiSlice(...a),
  ...createDetailSlice(...a),
  ...createLiveSlice(...a),
  ...createFindingsSlice(...a),
  ...createSessionSlice(...a),
  ...createTerminalSlice(...a),
  ...createResponseSlice(...a),
  ...createExportSlice(...a),
}));
