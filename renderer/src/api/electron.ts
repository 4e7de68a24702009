// Electron transport: the frozen `window.glasshouse` bridge exposed by the sandboxed preload.
import type { Envelope, EventName } from '../../../electron/common/ipc/contract';
import type { Transport } from './transport';

export interface GlasshouseBridge {
  call(method: string, params: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    glasshouse?: GlasshouseBridge;
  }
}

export function createElectronTransport(bridge: GlasshouseBridge): Transport {
  return {
    call: (m, p) => bridge.call(m, p),
    onEvent: (l) => bridge.onEvent(l),
    onState: (l) => {
      l('open'); // the engine lives in the same app: the link cannot drop
      return () => undefined;
    },
  };
}
