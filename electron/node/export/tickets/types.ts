// Ticket sinks: one ticket per finding, container or recording; exact payloads previewed before anything is sent.
import type { Finding, Severity } from '../../../common/model';
import type { RecordingMeta } from '../types';
import type { Block } from './doc';
import type { HttpDeps, HttpRequest, HttpResponse } from './http';

export type TicketGrouping = 'finding' | 'container' | 'recording';

export interface TicketOptions {
  /** Default 'finding'. */
  grouping?: TicketGrouping;
  recording?: RecordingMeta;
}

/** What one ticket will say, before it is shaped for a tracker. */
export interface TicketDraft {
  /** Finding fingerprint, or a stable group fingerprint for container/recording tickets. */
  fingerprint: string;
  /** glasshouse-fp-<fp12>: the dedupe label. */
  label: string;
  severity: Severity;
  title: string;
  findings: Finding[];
  blocks: Block[];
  footer: Block[];
}

/** The exact request a tracker will receive. Secrets in headers are masked; nothing else differs from what is sent. */
export interface TicketPayload {
  fingerprint: string;
  label: string;
  title: string;
  findingCount: number;
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export type TicketOutcome = 'created' | 'existing' | 'failed';

export interface TicketResult {
  fingerprint: string;
  label: string;
  title: string;
  outcome: TicketOutcome;
  key?: string;
  url?: string;
  /** How an existing ticket was found. */
  via?: 'local-map' | 'remote-search';
  error?: string;
}

export interface TicketSink {
  /** e.g. "github:owner/repo" — the key under which the local map remembers tickets. */
  destination: string;
  service: string;
  preview(findings: Finding[], opts?: TicketOptions): TicketPayload[];
  /** Creates tickets serially, skipping those the local map (then a remote label search) already knows. */
  send(findings: Finding[], opts?: TicketOptions, onResult?: (r: TicketResult) => void): Promise<TicketResult[]>;
  /** Set when the local map could not be read and was moved aside. */
  readonly warning?: string;
}

/** What each tracker contributes; the shared sink does grouping, dedupe, pacing and error handling. */
export interface TrackerAdapter {
  service: string;
  destination: string;
  where: string;
  /** Pause between two creations (GitHub asks for about 1/s). */
  minIntervalMs: number;
  buildCreate(draft: TicketDraft): HttpRequest;
  buildSearch(draft: TicketDraft): HttpRequest;
  parseSearch(res: HttpResponse): { key: string; url?: string } | undefined;
  parseCreate(res: HttpResponse): { key: string; url?: string };
  /** Header names whose values must never be shown or logged. */
  secretHeaders: string[];
}

export interface SinkCommon extends HttpDeps {
  /** Directory holding the fp → ticket map (tickets.json). */
  mapDir: string;
  /** Default true: when the local map has no entry, ask the tracker for the label before creating. */
  remoteDedupe?: boolean;
  /** Overrides the adapter's pacing (tests use 0). */
  minIntervalMs?: number;
  /** Extra labels on every ticket (no spaces; they are checked). */
  labels?: string[];
}
