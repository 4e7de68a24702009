// Export slice: reports of the current session, tickets (target, exact preview, send with per-finding results) and token status.
import type { StateCreator } from 'zustand';
import type {
  ExportFormat, ExportResult, SecretName, SecretStatus, TicketPreview, TicketSendResult, TrackerKind, TrackerTarget,
} from '../../../../electron/common/ipc/contract';
import { TRACKER_KINDS } from '../../../../electron/common/ipc/contract';
import { describeError } from '../../../../electron/common/ipc/errors';
import { getClient } from '../../api/client';
import type { AppState } from '../index';

export type TicketGrouping = 'finding' | 'container' | 'recording';

/** What the ticket form holds: the target only — a token is typed, sent to the store once, and forgotten here. */
export interface TicketForm { kind: TrackerKind; baseUrl: string; project: string; issueType: string; grouping: TicketGrouping }

export interface ExportSlice {
  exportOpen: boolean;
  exportBusy: boolean;
  /** The last export, without its text (the text goes to a download or a file, not into the store). */
  exportResult: Omit<ExportResult, 'text'> | undefined;
  exportError: string | undefined;
  ticketForm: TicketForm;
  secretStatus: SecretStatus | undefined;
  secretError: string | undefined;
  ticketPreview: TicketPreview | undefined;
  ticketBusy: 'preview' | 'send' | undefined;
  ticketError: string | undefined;
  ticketResults: TicketSendResult[];
  ticketTotal: number;
  openExport(open: boolean): void;
  /** Renders the session; returns the text for the browser download (Electron saves through main's dialog). */
  runExport(format: ExportFormat, containerId: string | undefined, viaDialog: boolean): Promise<ExportResult | undefined>;
  setTicketForm(p: Partial<TicketForm>): void;
  loadSecrets(): Promise<void>;
  saveSecret(name: SecretName, value: string): Promise<boolean>;
  deleteSecret(name: SecretName): Promise<void>;
  previewTickets(fingerprints: string[]): Promise<void>;
  sendTickets(fingerprints: string[]): Promise<void>;
}

const FORM_KEY = 'glasshouse.ticketTarget';
const DEFAULT_FORM: TicketForm = { kind: 'github', baseUrl: '', project: '', issueType: '', grouping: 'finding' };

/** The non-secret target is remembered between runs; a stored form never contains a token. */
function loadForm(): TicketForm {
  try {
    const raw = globalThis.localStorage?.getItem(FORM_KEY);
    const v = raw ? (JSON.parse(raw) as Partial<TicketForm>) : {};
    const form: TicketForm = { ...DEFAULT_FORM, ...Object.fromEntries(Object.entries(v).filter(([k, x]) => k in DEFAULT_FORM && typeof x === 'string')) };
    if (!(TRACKER_KINDS as readonly string[]).includes(form.kind)) form.kind = DEFAULT_FORM.kind;
    if (!['finding', 'container', 'recording'].includes(form.grouping)) form.grouping = DEFAULT_FORM.grouping;
    return form;
  } catch {
    return DEFAULT_FORM;
  }
}

/** The form as the engine's TrackerTarget (empty optional fields left out). */
export function targetOf(f: TicketForm): TrackerTarget {
  return {
    kind: f.kind, project: f.project.trim(),
    ...(f.baseUrl.trim() ? { baseUrl: f.baseUrl.trim() } : {}),
    ...(f.issueType.trim() && f.kind.startsWith('jira') ? { issueType: f.issueType.trim() } : {}),
  };
}

/** The secrets a tracker needs, in the order a user fills them in. */
export function secretsFor(kind: TrackerKind): SecretName[] {
  return kind === 'github' ? ['github-token'] : kind === 'gitlab' ? ['gitlab-token'] : kind === 'jira-cloud' ? ['jira-email', 'jira-token'] : ['jira-token'];
}

let sendSeq = 0;

export const createExportSlice: StateCreator<AppState, [], [], ExportSlice> = (set, get) => ({
  exportOpen: false,
  exportBusy: false,
  exportResult: undefined,
  exportError: undefined,
  ticketForm: loadForm(),
  secretStatus: undefined,
  secretError: undefined,
  ticketPreview: undefined,
  ticketBusy: undefined,
  ticketError: undefined,
  ticketResults: [],
  ticketTotal: 0,
  openExport: (exportOpen) => {
    set({ exportOpen });
    if (exportOpen) void get().loadSecrets();
  },
  runExport: async (format, containerId, viaDialog) => {
    set({ exportBusy: true, exportError: undefined, exportResult: undefined });
    try {
      const r = await getClient().call('export.report', { format, ...(containerId ? { containerId } : {}), ...(viaDialog ? { save: 'dialog' as const } : {}) });
      const { text: _text, ...summary } = r;
      set({ exportResult: summary });
      return r;
    } catch (err) {
      set({ exportError: describeError(err) });
      return undefined;
    } finally {
      set({ exportBusy: false });
    }
  },
  setTicketForm: (p) => {
    const ticketForm = { ...get().ticketForm, ...p };
    // A new target invalidates the preview: the user must see the exact payload of what is sent.
    set({ ticketForm, ticketPreview: undefined, ticketResults: [], ticketError: undefined });
    try { globalThis.localStorage?.setItem(FORM_KEY, JSON.stringify(ticketForm)); } catch { /* private mode: not remembered */ }
  },
  loadSecrets: async () => {
    try {
      set({ secretStatus: await getClient().call('secrets.status', {}), secretError: undefined });
    } catch (err) {
      set({ secretError: describeError(err) });
    }
  },
  saveSecret: async (name, value) => {
    // A token is kept for the server the form names for its tracker (none: the tracker's own host) and sent nowhere else.
    const f = get().ticketForm;
    const forForm = name === `${f.kind.split('-')[0]}-token`;
    const origin = forForm && f.baseUrl.trim() ? f.baseUrl.trim() : undefined;
    try {
      set({ secretStatus: await getClient().call('secrets.set', { name, value, ...(origin ? { origin } : {}) }), secretError: undefined });
      return true;
    } catch (err) {
      set({ secretError: describeError(err) });
      return false;
    }
  },
  deleteSecret: async (name) => {
    try {
      set({ secretStatus: await getClient().call('secrets.delete', { name }), secretError: undefined });
    } catch (err) {
      set({ secretError: describeError(err) });
    }
  },
  previewTickets: async (fingerprints) => {
    const f = get().ticketForm;
    set({ ticketBusy: 'preview', ticketError: undefined, ticketPreview: undefined, ticketResults: [] });
    try {
      set({ ticketPreview: await getClient().call('tickets.preview', { target: targetOf(f), fingerprints, grouping: f.grouping }) });
    } catch (err) {
      set({ ticketError: describeError(err) });
    } finally {
      set({ ticketBusy: undefined });
    }
  },
  sendTickets: async (fingerprints) => {
    const f = get().ticketForm;
    const sendId = `send-${Date.now().toString(36)}-${++sendSeq}`;
    set({ ticketBusy: 'send', ticketError: undefined, ticketResults: [], ticketTotal: get().ticketPreview?.payloads.length ?? 0 });
    // Results stream in as each ticket is done, so a long, rate-limited run shows where it is.
    const off = getClient().on('tickets.progress', (p) => {
      if (p.sendId !== sendId) return;
      set((s) => ({ ticketResults: [...s.ticketResults, p.result], ticketTotal: p.total }));
    });
    try {
      const results = await getClient().call('tickets.send', { target: targetOf(f), fingerprints, grouping: f.grouping, sendId });
      set({ ticketResults: results });
    } catch (err) {
      set({ ticketError: describeError(err) });
    } finally {
      off();
      set({ ticketBusy: undefined });
    }
  },
});
