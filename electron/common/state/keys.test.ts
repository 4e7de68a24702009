import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../model/event';
import { keyedFile, keyedFlow, keyedListening } from './keys';
import { WorldState } from './worldState';

const C = 'a'.repeat(64);
const ev = (kind: string, ts: number, fields: Record<string, unknown>): RuntimeEvent =>
  ({ ts, seq: ts, pid: 9, tgid: 9, ppid: 1, uid: 0, gid: 0, comm: 'httpd', cgroupId: '1', mntns: 1, containerId: C, kind, ret: 0, fd: 3, family: 'inet', proto: 'tcp', ...fields }) as RuntimeEvent;

describe('keys of rows from a recording written before rows carried them', () => {
  it('are the keys the tables give the same rows now, and a row that has a key keeps it', () => {
    const w = new WorldState();
    w.apply(ev('accept', 1, { daddr: '172.17.0.1', dport: 40001, sport: 80 }));
    w.apply(ev('accept', 2, { daddr: '172.17.0.1', dport: 40002, sport: 443 }));
    w.apply(ev('connect', 3, { daddr: '10.0.0.9', dport: 5432 }));
    w.apply(ev('bind', 4, { saddr: '0.0.0.0', sport: 8080, fd: 5 }));
    w.apply(ev('listen', 5, { fd: 5 }));
    w.apply(ev('open', 6, { path: '/tmp/x', flags: 0o101, mode: 0o644 }));
    const strip = <T extends { key: string }>(x: T) => { const { key: _k, ...rest } = x; return rest; };
    for (const f of w.flows.flows()) expect(keyedFlow(strip(f)).key).toBe(f.key);
    for (const l of w.flows.listening()) expect(keyedListening(strip(l)).key).toBe(l.key);
    for (const f of w.files.list()) expect(keyedFile(strip(f)).key).toBe(f.key);
    expect(new Set(w.flows.flows().map((f) => f.key)).size).toBe(3);
    const own = { ...w.flows.flows()[0], key: 'kept' };
    expect(keyedFlow(own)).toBe(own);
  });
});
