// The one zustand store of the app, made of slices (each with its selectors and tests beside it).
import { create } from 'zustand';
import { createCatalogSlice, type CatalogSlice } from './catalog/slice';
import { createDetailSlice, type DetailSlice } from './detail/slice';
import { createEngineSlice, type EngineSlice } from './engine/slice';
import { createUiSlice, type UiSlice } from './ui/slice';

export type AppState = EngineSlice & CatalogSlice & UiSlice & DetailSlice;

export const useStore = create<AppState>()((...a) => ({
  ...createEngineSlice(...a),
  ...createCatalogSlice(...a),
  ...createUiSlice(...a),
  ...createDetailSlice(...a),
}));
