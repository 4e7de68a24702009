import { describe, expect, it } from 'vitest';
import type { EngineHandlers } from './contract';
import { PeerSubscriptions } from './peer';

describe('PeerSubscriptions', () => {
  it('routes a frame only to the peer that subscribed, and unsubscribes on close', async () => {
    const a = new PeerSubscriptions();
    const b = new PeerSubscriptions();
    a.track('live.subscribe', {}, { ok: true, result: { subId: 's1' } });
    b.track('live.subscribe', {}, { ok: false, error: { name: 'X', message: 'no' } });
    expect(a.accepts('live.frame', { subId: 's1' })).toBe(true);
    expect(b.accepts('live.frame', { subId: 's1' })).toBe(false);
    expect(b.accepts('catalog.delta', [])).toBe(true);
    const closed: string[] = [];
    const handlers = { 'live.unsubscribe': async ({ subId }: { subId: string }) => { closed.push(subId); return {}; } } as unknown as EngineHandlers;
    a.track('live.subscribe', {}, { ok: true, result: { subId: 's2' } });
    a.track('live.unsubscribe', { subId: 's2' }, { ok: true, result: {} });
    expect(a.accepts('live.frame', { subId: 's2' })).toBe(false);
    await a.close(handlers);
    expect(closed).toEqual(['s1']);
    expect(a.accepts('live.frame', { subId: 's1' })).toBe(false);
  });
});
