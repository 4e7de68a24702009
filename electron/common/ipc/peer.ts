// Per-peer bookkeeping for subscription streams: route each frame only to the window or socket that asked for it,
// and close its subscriptions when it goes away (a closed tab must not keep costing the engine).
import { SUBSCRIBE_METHOD, UNSUBSCRIBE_METHOD, type EngineHandlers, type Envelope } from './contract';

/** Events that belong to one subscriber, keyed by the field that names it. */
const ROUTED: Record<string, string> = { 'live.frame': 'subId' };

export class PeerSubscriptions {
  private readonly mine = new Set<string>();

  /** Call after every dispatched request of this peer. */
  track(method: unknown, params: unknown, envelope: Envelope<unknown>): void {
    if (!envelope.ok) return;
    if (method === SUBSCRIBE_METHOD) {
      const id = (envelope.result as { subId?: unknown })?.subId;
      if (typeof id === 'string') this.mine.add(id);
    } else if (method === UNSUBSCRIBE_METHOD) {
      this.mine.delete(String((params as { subId?: unknown })?.subId));
    }
  }

  /** Whether this peer should receive the event. */
  accepts(event: string, payload: unknown): boolean {
    const key = ROUTED[event];
    if (!key) return true;
    return this.mine.has(String((payload as Record<string, unknown>)?.[key]));
  }

  /** The peer is gone: drop what it subscribed to. */
  async close(handlers: EngineHandlers): Promise<void> {
    const ids = [...this.mine];
    this.mine.clear();
    for (const subId of ids) await handlers[UNSUBSCRIBE_METHOD]({ subId }).catch(() => undefined);
  }
}
