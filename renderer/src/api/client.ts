// The typed engine client the app uses: calls return results or throw real named errors.
import type { EngineClient, EngineEvents, EventName, MethodName, ParamsOf, ResultOf } from '../../../electron/common/ipc/contract';
import { unwrap } from '../../../electron/common/ipc/dispatch';
import { createElectronTransport } from './electron';
import type { Transport, TransportState } from './transport';
import { createWsTransport } from './ws';

export interface AppClient extends EngineClient {
  onTransportState(listener: (s: TransportState) => void): () => void;
}

export function createClient(transport: Transport): AppClient {
  return {
    async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      return unwrap(await transport.call(method, params)) as ResultOf<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void) {
      return transport.onEvent((name, payload) => {
        if (name === event) listener(payload as EngineEvents[E]);
      });
    },
    onTransportState: (l) => transport.onState(l),
  };
}

let client: AppClient | undefined;

/** The one client of this window: Electron's bridge when present, else the browser host's WebSocket. */
export function getClient(): AppClient {
  client ??= createClient(window.glasshouse ? createElectronTransport(window.glasshouse) : createWsTransport());
  return client;
}
