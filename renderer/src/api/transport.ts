// A transport carries the engine contract: raw envelopes for calls, raw payloads for events.
import type { Envelope, EventName } from '../../../electron/common/ipc/contract';

/** 'no-token': a browser tab opened without the access token (only the cookie), so the API will not answer it. */
export type TransportState = 'connecting' | 'open' | 'closed' | 'no-token';

export interface Transport {
  call(method: string, params: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
  /** The link to the engine itself (not Docker): a closed browser-host socket, for example. */
  onState(listener: (state: TransportState) => void): () => void;
}
