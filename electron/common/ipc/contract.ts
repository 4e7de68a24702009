// THE engine API contract: every request method with its parameter schema, and every event stream.
// Implemented once by the engine (electron/node/engine.ts), carried by Electron IPC and by WebSocket.
import { z } from 'zod';
import type { ContainerDetail, ContainerSummary, ProcessListing } from '../model/container';
import type { SerializedError } from './errors';


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

/** Request methods: name → zod schema of params + TS result type (phantom). */
const method = <R>() => <P extends z.ZodType>(params: P) => ({ params, result: undefined as unknown as R });
const none = () => z.object({}).strict();

export const METHODS = {
  'engine.status': method<EngineStatus>()(none()),
  'catalog.snapshot': method<CatalogSnapshot>()(none()),
  'container.inspect': method<ContainerDetail>()(z.object({ id: containerId }).strict()),
  'container.processes': method<ProcessListing>()(z.object({ id: containerId }).strict()),
  'container.logs': method<LogLine[]>()(z.object({ id: containerId, tail: z.number().int().min(1).max(10_000) }).strict()),
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = (typeof METHODS)[M]['result'];

/** Server-pushed event streams: name → payload. */
export interface EngineEvents {
  'engine.status': EngineStatus;
  'catalog.delta': CatalogDelta[];
}
export type EventName = keyof EngineEvents;
export const EVENT_NAMES: readonly EventName[] = ['engine.status', 'catalog.delta'];

/** The typed API as the renderer sees it. */
export interface EngineClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void;
}

/** What the engine implements: one handler per method. */
export type EngineHandlers = { [M in MethodName]: (params: z.output<(typeof METHODS)[M]['params']>) => Promise<ResultOf<M>> };

/** The response envelope used on every transport. */
export type Envelope<R> = { ok: true; result: R } | { ok: false; error: SerializedError };
