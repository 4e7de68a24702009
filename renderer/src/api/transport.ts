// A transport carries the engine contract: raw envelopes for calls, raw payloads for events.
import type { Envelope, EventName } from '../../../electron/common/ipc/contract';

export type TransportState = 'connecting' | 'open' | 'closed';

export interface Transport {
  call(method: string, params: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
  /** The link to the engine itself (not Docker): a closed browser-host socket, for example. */
  onState(listener: (state: TransportState) => void): () => void;
}
