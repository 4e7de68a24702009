// THE engine API contract: every request method with its parameter schema, and every event stream.
// Implemented once by the engine (electron/node/engine.ts), carried by Electron IPC and by WebSocket.
import { z } from 'zod';
import type { ContainerDetail, ContainerSummary, ProcessListing } from '../model/container';
import type { EventFamily, EventKind, RuntimeEvent } from '../model/event';
import type { Finding, FindingStatus } from '../model/finding';
import type { WorldDelta } from '../state/worldState';
import type { SerializedError } from './errors';
import {
  CONTAINER_ACTIONS, shellChoice, terminalCols, terminalId, terminalInput, terminalRows,
  type ActionProgress, type ActionResult, type IsolationRecord, type LogFollowLines, type SnapshotResult,
  type TerminalExit, type TerminalInfo, type TerminalOutput,
} from './response';


const containerId = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a container id or name');

export type EndpointKind = 'env' | 'context' | 'default' | 'podman';

export interface EngineEndpoint {
  /** Where the endpoint came from: DOCKER_HOST, a docker context, the default socket, or Podman. */
  kind: EndpointKind;
  /** e.g. unix:///var/run/docker.sock, tcp://1.2.3.4:2376 */
  url: string;
  contextName?: string;
}

export type EngineConnection = 'connecting' | 'connected' | 'disconnected';

export interface EngineStatus {
  connection: EngineConnection;
  endpoint?: EngineEndpoint;
  /** Docker (or Podman) server version and API version when connected. */
  serverVersion?: string;
  apiVersion?: string;
  os?: string;
  /** Why we are not connected, as a sentence, plus what to do. */
  error?: SerializedError;
  /** When the next reconnect attempt happens (ms epoch). */
  retryAt?: number;
  /** Glasshouse version. */
  version: string;
  /** Engine answers skipped because of an unexpected shape, per API call (absent when none). */
  answerRejects?: AnswerRejectTally[];
}

/** How often one Docker API call answered in an unexpected shape, and the last such sentence. */
export interface AnswerRejectTally {
  call: string;
  count: number;
  last: string;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  ts: number;
  text: string;
}

export interface CatalogSnapshot {
  containers: ContainerSummary[];
}

export type CatalogDelta =
  | { type: 'upsert'; container: ContainerSummary }
  | { type: 'remove'; id: string }
  | { type: 'reset'; snapshot: CatalogSnapshot };

/** What the sensor missed, summed over the session: shown so a view never looks complete when it is not. */
export interface LossCounters {
  ringDrops: number;
  queueDrops: number;
  corruptFrames: number;
  /** Events the engine dropped because a consumer was too slow. */
  sourceDropped: number;
  unsupportedKinds: EventKind[];
  /** Helper restarts: [from, to] ms epoch. */
  gaps: Array<[number, number]>;
  /** Events and rows not in the recording (a row the file's schema rejected, or all after a write failure). */
  unsaved?: number;
  /** `unsaved` by reason ("file: NOT NULL constraint failed: files.path"). */
  unsavedReasons?: Record<string, number>;
  /** Exceptions of the rules/findings observer and of live subscribers, caught and counted (capture went on). */
  observerErrors?: number;
  subscriberErrors?: number;
  /** The last such exception's message. */
  lastPipelineError?: string;
}

/** A container the capture meant to watch but could not, and the sensor's (or Docker's) sentence why. */
export interface UnwatchedContainer {
  id: string;
  name: string;
  reason: string;
  hint?: string;
}

export type SessionState = 'idle' | 'starting' | 'capturing' | 'replaying' | 'stopping' | 'stopped' | 'error';

/** The one capture session of the engine: live from the sensor, or a recording being replayed. */
export interface SessionStatus {
  state: SessionState;
  source?: 'live' | 'recording';
  /** The recording file being written (live) or read (replay). */
  recordingPath?: string;
  startedAt?: number;
  endedAt?: number;
  /** Container ids watched; undefined = every container. */
  containers?: string[];
  /** Containers that could not be watched (nothing of them is traced), each with why. */
  unwatched?: UnwatchedContainer[];
  events: number;
  loss: LossCounters;
  /** Why the session could not start or stopped early. */
  error?: SerializedError;
  /** Sensor preflight sentences (kernel, BTF, capabilities) when it could not run. */
  preflight?: string[];
}

export interface RecentRecording {
  path: string;
  title?: string;
  /** When it was last opened or written (ms epoch). */
  openedAt: number;
  events?: number;
  containers?: string[];
  /** File size now; absent when the file is gone. */
  bytes?: number;
}

/** One batched update for one live subscription (≈ 20 a second at most). */
export interface LiveFrame {
  subId: string;
  frame: number;
  ts: number;
  /** View models that changed since the previous frame (latest state wins). */
  delta: WorldDelta;
  /** The latest raw events matching the filter (a capped tail, oldest first). */
  tail: RuntimeEvent[];
  /** Findings new or changed since the previous frame. */
  findings: Finding[];
  /** Updates folded into later frames because this subscriber was behind (cumulative). */
  coalesced: number;
  /** Raw events not included in any tail (cumulative). */
  dropped: number;
  loss: LossCounters;
}

export interface FilePreview {
  path: string;
  bytes: number;
  /** UTF-8 text when the file is small and text; otherwise absent. */
  text?: string;
  binary: boolean;
  truncated: boolean;
}

const subscriptionParams = z.object({
  containerIds: z.array(containerId).max(500).optional(),
  families: z.array(z.enum(['process', 'file', 'network', 'privilege'])).optional(),
  tail: z.number().int().min(0).max(5000).optional(),
}).strict();
export type SubscriptionParams = z.output<typeof subscriptionParams>;

// ---- Findings out: reports, tickets and tracker tokens (implemented in electron/node/export/app.ts) ----
export const EXPORT_FORMATS = ['sarif', 'md', 'html', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const TRACKER_KINDS = ['github', 'gitlab', 'jira-cloud', 'jira-server'] as const;
export type TrackerKind = (typeof TRACKER_KINDS)[number];
export const SECRET_NAMES = ['github-token', 'gitlab-token', 'jira-token', 'jira-email'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** One thing a redaction removed: the kind of secret and where it sat, never the value. */
export interface RedactionInfo { kind: string; where: string; count: number }

export interface ExportResult {
  format: ExportFormat;
  fileName: string;
  mediaType: string;
  /** The rendered, redacted report (absent when Electron saved it to a file the user chose). */
  text?: string;
  bytes: number;
  findings: number;
  redactions: RedactionInfo[];
  /** "Redacted before export: 2 × github-token, …" or "No secrets were found in the evidence." */
  redactionSummary: string;
  /** Electron: where the save dialog wrote it; canceled when the user closed the dialog. */
  savedTo?: string;
  canceled?: boolean;
}

/** Where tickets go: everything but the token (tokens only ever come from the secret store or the environment). */
const trackerTarget = z.object({
  kind: z.enum(TRACKER_KINDS),
  /** Default https://api.github.com or https://gitlab.com; required for Jira. */
  baseUrl: z.string().max(2048).optional(),
  /** GitHub OWNER/REPO, GitLab GROUP/PROJECT or numeric id, Jira project key. */
  project: z.string().min(1).max(512),
  issueType: z.string().min(1).max(100).optional(),
  labels: z.array(z.string().min(1).max(255)).max(20).optional(),
}).strict();
export type TrackerTarget = z.output<typeof trackerTarget>;
const ticketSelection = {
  target: trackerTarget,
  /** Which findings of the session; absent = every open finding. */
  fingerprints: z.array(z.string().regex(/^[0-9a-f]{12,64}$/)).max(5000).optional(),
  grouping: z.enum(['finding', 'container', 'recording']).optional(),
};

export interface TicketPreviewItem {
  fingerprint: string; label: string; title: string; findingCount: number;
  method: 'POST'; url: string;
  /** Secret headers masked ("Bearer ***"); everything else exactly as sent. */
  headers: Record<string, string>;
  body: unknown;
}
export interface TicketPreview {
  destination: string;
  service: string;
  payloads: TicketPreviewItem[];
  redactionSummary: string;
  /** Whether the token this tracker needs is available (stored or in the environment). */
  tokenSet: boolean;
}
export interface TicketSendResult {
  fingerprint: string; label: string; title: string;
  outcome: 'created' | 'existing' | 'failed';
  key?: string; url?: string; via?: 'local-map' | 'remote-search';
  /** The sentence saying what went wrong and what to do. */
  error?: string;
}
export interface TicketProgress { sendId: string; done: number; total: number; result: TicketSendResult }
export interface SecretStatus {
  /** Where tokens are kept, as a sentence ("the OS keychain via secret-tool"). */
  store: string;
  writable: boolean;
  /** Set or not, from where, and the one server it is sent to when not its tracker's own host: never the value. */
  secrets: Record<SecretName, { set: boolean; from?: 'environment' | 'store'; origin?: string }>;
  /** Why tokens cannot be stored here, when they cannot. */
  note?: string;
}

/** Request methods: name → zod schema of params + TS result type (phantom). */
const method = <R>() => <P extends z.ZodType>(params: P) => ({ params, result: undefined as unknown as R });
const none = () => z.object({}).strict();

export const METHODS = {
  'engine.status': method<EngineStatus>()(none()),
  'catalog.snapshot': method<CatalogSnapshot>()(none()),
  'container.inspect': method<ContainerDetail>()(z.object({ id: containerId }).strict()),
  'container.processes': method<ProcessListing>()(z.object({ id: containerId }).strict()),
  'container.logs': method<LogLine[]>()(z.object({ id: containerId, tail: z.number().int().min(1).max(10_000) }).strict()),
  'session.status': method<SessionStatus>()(none()),
  'capture.start': method<SessionStatus>()(z.object({
    containers: z.array(containerId).max(500).optional(),
    record: z.boolean().optional(),
  }).strict()),
  'capture.stop': method<SessionStatus>()(none()),
  /**
   * A recording in Glasshouse's recordings folder or on the recent list (both written by the engine, never by a
   * page); any other file is opened through the desktop app's Open dialog (`dialog: true`, main asks the user).
   */
  'recording.open': method<SessionStatus>()(z.union([
    z.object({ path: z.string().min(1).max(4096) }).strict(),
    z.object({ dialog: z.literal(true) }).strict(),
  ])),
  'recording.recent': method<RecentRecording[]>()(none()),
  'live.subscribe': method<{ subId: string }>()(subscriptionParams),
  'live.unsubscribe': method<Record<string, never>>()(z.object({ subId: z.string().min(1).max(64) }).strict()),
  'events.query': method<RuntimeEvent[]>()(z.object({
    from: z.number(), to: z.number(),
    containerId: containerId.optional(),
    kinds: z.array(z.string().max(32)).max(64).optional(),
    limit: z.number().int().min(1).max(100_000),
    /** The newest `limit` events of the window (still oldest first), for a window that follows a live capture. */
    newest: z.boolean().optional(),
  }).strict()),
  'findings.list': method<Finding[]>()(z.object({ containerId: containerId.optional() }).strict()),
  'finding.setStatus': method<Finding>()(z.object({
    fingerprint: z.string().regex(/^[0-9a-f]{12,64}$/),
    status: z.enum(['open', 'expected', 'false-positive']),
    scope: z.enum(['image', 'service']).optional(),
  }).strict()),
  'container.posture': method<Finding[]>()(z.object({ id: containerId }).strict()),
  'file.preview': method<FilePreview>()(z.object({ id: containerId, path: z.string().min(1).max(4096).startsWith('/') }).strict()),
  // Terminals: a TTY exec per terminal; output arrives as 'terminal.output', the end as 'terminal.exit'.
  'terminal.open': method<TerminalInfo>()(z.object({ id: containerId, shell: shellChoice.optional(), cols: terminalCols, rows: terminalRows }).strict()),
  'terminal.input': method<Record<string, never>>()(z.object({ terminalId, data: terminalInput }).strict()),
  'terminal.resize': method<Record<string, never>>()(z.object({ terminalId, cols: terminalCols, rows: terminalRows }).strict()),
  'terminal.close': method<Record<string, never>>()(z.object({ terminalId }).strict()),
  'terminal.list': method<TerminalInfo[]>()(none()),
  /** Re-attach after a reload or reconnect: the terminal's recent output to repaint, then live 'terminal.output'. */
  'terminal.attach': method<{ info: TerminalInfo; scrollback: string }>()(z.object({ terminalId }).strict()),
  'logs.follow': method<{ followId: string }>()(z.object({ id: containerId, since: z.number().int().min(0).optional() }).strict()),
  'logs.unfollow': method<Record<string, never>>()(z.object({ followId: z.string().regex(/^f[0-9a-z]{1,32}$/) }).strict()),
  // Incident response: every action is confirmed in the UI and journaled in the active recording.
  'container.action': method<ActionResult>()(z.object({ id: containerId, action: z.enum(CONTAINER_ACTIONS), removeOld: z.boolean().optional() }).strict()),
  'container.isolation': method<IsolationRecord | null>()(z.object({ id: containerId }).strict()),
  /**
   * The bundle goes under the engine's data dir (snapshots/NAME-TIME): a page never names a folder to write to
   * (`glasshouse snapshot --out DIR` is the way to choose one). Progress: 'action.progress'.
   */
  'container.snapshot': method<SnapshotResult>()(z.object({ id: containerId, actionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional() }).strict()),
  /** Renders the current capture or recording (redacted). save: 'dialog' lets Electron main ask where to write it. */
  'export.report': method<ExportResult>()(z.object({ format: z.enum(EXPORT_FORMATS), containerId: containerId.optional(), save: z.enum(['dialog']).optional() }).strict()),
  'tickets.preview': method<TicketPreview>()(z.object(ticketSelection).strict()),
  /** Progress per ticket arrives as 'tickets.progress' with this sendId. */
  'tickets.send': method<TicketSendResult[]>()(z.object({ ...ticketSelection, sendId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict()),
  'secrets.status': method<SecretStatus>()(none()),
  /** `origin`: the tracker server the token is for (absent: the tracker's default host); the token is sent nowhere else. */
  'secrets.set': method<SecretStatus>()(z.object({ name: z.enum(SECRET_NAMES), value: z.string().min(1).max(8192), origin: z.string().max(2048).optional() }).strict()),
  'secrets.delete': method<SecretStatus>()(z.object({ name: z.enum(SECRET_NAMES) }).strict()),
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = (typeof METHODS)[M]['result'];

/** Server-pushed event streams: name → payload. */
export interface EngineEvents {
  'engine.status': EngineStatus;
  'catalog.delta': CatalogDelta[];
  'session.status': SessionStatus;
  /** Delivered only to the transport (window or socket) that made the subscription. */
  'live.frame': LiveFrame;
  'terminal.output': TerminalOutput;
  'terminal.exit': TerminalExit;
  'logs.lines': LogFollowLines;
  'action.progress': ActionProgress;
  'tickets.progress': TicketProgress;
}
export type EventName = keyof EngineEvents;

/** Used by transports to route per-subscription events to the peer that subscribed (and to clean up on close). */
export const SUBSCRIBE_METHOD = 'live.subscribe' satisfies MethodName;
export const UNSUBSCRIBE_METHOD = 'live.unsubscribe' satisfies MethodName;

/** FindingStatus re-exported for transports' validation messages. */
export type { FindingStatus, EventFamily };

/** The typed API as the renderer sees it. */
export interface EngineClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void;
}

/** What the engine implements: one handler per method. */
export type EngineHandlers = { [M in MethodName]: (params: z.output<(typeof METHODS)[M]['params']>) => Promise<ResultOf<M>> };

/** The response envelope used on every transport. */
export type Envelope<R> = { ok: true; result: R } | { ok: false; error: SerializedError };
