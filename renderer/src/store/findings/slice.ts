// Findings slice: runtime, policy and posture findings with filters, selection and expected/false-positive marks.
import type { StateCreator } from 'zustand';
import type { Finding, FindingStatus, Severity } from '../../../../electron/common/model/finding';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { AppState } from '../index';
import type { Loadable } from '../detail/slice';

export interface FindingFilter {
  /** Lowest severity shown. */
  minSeverity: Severity;
  /** 'open' hides findings marked expected or false positive. */
  status: 'open' | 'all' | 'expected' | 'false-positive';
  source: 'all' | 'runtime' | 'posture' | 'policy';
  text: string;
  /** Only the selected container (and its compose service), or every container. */
  onlySelected: boolean;
}

export const DEFAULT_FILTER: FindingFilter = { minSeverity: 'info', status: 'open', source: 'all', text: '', onlySelected: true };

export interface FindingsSlice {
  findings: Record<string, Finding>;
  findingFilter: FindingFilter;
  selectedFinding: string | undefined;
  posture: Record<string, Loadable<Finding[]>>;
  findingsError: string | undefined;
  loadFindings(): Promise<void>;
  loadPosture(id: string): Promise<void>;
  setFindingFilter(f: Partial<FindingFilter>): void;
  selectFinding(fp: string | undefined): void;
  setFindingStatus(fp: string, status: FindingStatus, scope?: 'image' | 'service'): Promise<void>;
}

/** Merges new or changed findings in (latest wins); pure. */
export function mergeFindings(prev: Record<string, Finding>, items: readonly Finding[]): Record<string, Finding> {
  if (items.length === 0) return prev;
  const next = { ...prev };
  for (const f of items) next[f.fingerprint] = f;
  return next;
}

export const createFindingsSlice: StateCreator<AppState, [], [], FindingsSlice> = (set, get) => ({
  findings: {},
  findingFilter: DEFAULT_FILTER,
  selectedFinding: undefined,
  posture: {},
  findingsError: undefined,
  loadFindings: async () => {
    try {
      const list = await getClient().call('findings.list', {});
      set((s) => ({ findings: mergeFindings(s.findings, list), findingsError: undefined }));
    } catch (err) {
      set({ findingsError: describeError(err) });
    }
  },
  loadPosture: async (id) => {
    set((s) => ({ posture: { ...s.posture, [id]: { ...s.posture[id], loading: true } } }));
    try {
      const data = await getClient().call('container.posture', { id });
      set((s) => ({ posture: { ...s.posture, [id]: { data, loading: false } } }));
    } catch (err) {
      set((s) => ({ posture: { ...s.posture, [id]: { ...s.posture[id], loading: false, error: describeError(err) } } }));
    }
  },
  setFindingFilter: (f) => set((s) => ({ findingFilter: { ...s.findingFilter, ...f } })),
  selectFinding: (selectedFinding) => set({ selectedFinding }),
  setFindingStatus: async (fingerprint, status, scope) => {
    try {
      const updated = await getClient().call('finding.setStatus', { fingerprint, status, scope });
      set((s) => ({ findings: mergeFindings(s.findings, [updated]), findingsError: undefined }));
    } catch (err) {
      // Posture findings live per container; reflect the mark locally too so the list stays honest about it.
      set({ findingsError: describeError(err) });
    }
    const posture = get().posture;
    for (const [id, p] of Object.entries(posture)) {
      if (p.data?.some((f) => f.fingerprint === fingerprint)) void get().loadPosture(id);
    }
  },
});
