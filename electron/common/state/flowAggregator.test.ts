import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../model/event';
import { FlowAggregator } from './flowAggregator';
import { WorldState } from './worldState';
import type { ContainerDetail } from '../model/container';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const ev = (kind: string, ts: number, fields: Record<string, unknown>, tgid = 9, containerId = A): RuntimeEvent =>
  ({ ts, seq: ts, pid: tgid, tgid, ppid: 1, uid: 0, gid: 0, comm: 'curl', cgroupId: '1', mntns: 1, containerId, kind, ret: 0, fd: 3, family: 'inet', proto: 'tcp', ...fields }) as RuntimeEvent;

describe('FlowAggregator', () => {
  it('aggregates connects per remote endpoint and counts failures', () => {
    const f = new FlowAggregator();
    f.apply(ev('connect', 1, { daddr: '93.184.216.34', dport: 443 }), '/usr/bin/curl');
    f.apply(ev('connect', 2, { daddr: '93.184.216.34', dport: 443, ret: -115 }), '/usr/bin/wget');
    f.apply(ev('connect', 3, { daddr: '93.184.216.34', dport: 443, ret: -111 }), '/usr/bin/curl');
    f.apply(ev('connect', 4, { daddr: '10.0.0.9', dport: 5432 }), '/usr/bin/curl');
    const flows = f.flows(A);
    expect(flows).toHaveLength(2);
    const web = flows.find((x) => x.remotePort === 443)!;
    expect([web.count, web.failures, web.first, web.last]).toEqual([3, 1, 1, 3]);
    expect(web.exes).toEqual(['/usr/bin/curl', '/usr/bin/wget']);
    expect(web.direction).toBe('outbound');
  });

  it('names endpoints from the container\'s own DNS answers, also retroactively', () => {
    const f = new FlowAggregator();
    f.apply(ev('connect', 1, { daddr: '1.2.3.4', dport: 443 }), 'x');
    f.apply(ev('dns', 2, { qname: 'example.org.', qtype: 1, daddr: '127.0.0.11', dport: 53, answers: ['1.2.3.4'] }), 'x');
    f.apply(ev('connect', 3, { daddr: '1.2.3.4', dport: 80 }), 'x');
    // Another container's query does not name this container's flows.
    f.apply(ev('dns', 4, { qname: 'other.test', qtype: 1, daddr: '127.0.0.11', dport: 53, answers: ['5.6.7.8'] }, 9, B), 'x');
    f.apply(ev('connect', 5, { daddr: '5.6.7.8', dport: 443 }), 'x');
    const byPort = new Map(f.flows(A).map((x) => [`${x.remoteAddr}:${x.remotePort}`, x]));
    expect(byPort.get('1.2.3.4:443')!.dnsName).toBe('example.org');
    expect(byPort.get('1.2.3.4:80')!.dnsName).toBe('example.org');
    expect(byPort.get('5.6.7.8:443')!.dnsName).toBeUndefined();
    expect(byPort.get('127.0.0.11:53')!.proto).toBe('udp');
  });

  it('attributes a connect right after a query by the same process when answers are not visible', () => {
    const f = new FlowAggregator();
    f.apply(ev('dns', 1, { qname: 'api.test', qtype: 1, daddr: '127.0.0.11', dport: 53 }, 20), 'x');
    f.apply(ev('connect', 2, { daddr: '9.9.9.9', dport: 443 }, 21), 'x'); // other process
    f.apply(ev('connect', 3, { daddr: '8.8.4.4', dport: 443 }, 20), 'x');
    const byAddr = new Map(f.flows(A).map((x) => [x.remoteAddr, x]));
    expect(byAddr.get('9.9.9.9')!.dnsName).toBeUndefined();
    expect(byAddr.get('8.8.4.4')!.dnsName).toBe('api.test');
  });

  it('records listening sockets from bind+listen and UDP binds, and inbound flows by local port', () => {
    const f = new FlowAggregator();
    f.apply(ev('bind', 1, { saddr: '0.0.0.0', sport: 8080, fd: 5 }), '/bin/httpd');
    f.apply(ev('listen', 2, { fd: 5 }), '/bin/httpd');
    f.apply(ev('bind', 3, { proto: 'udp', saddr: '0.0.0.0', sport: 5353, fd: 6 }), '/bin/mdns');
    f.apply(ev('accept', 4, { daddr: '172.17.0.3', dport: 40001, saddr: '172.17.0.2', sport: 8080 }), '/bin/httpd');
    f.apply(ev('accept', 5, { daddr: '172.17.0.3', dport: 40002, saddr: '172.17.0.2', sport: 8080 }), '/bin/httpd');
    expect(f.listening(A).map((l) => `${l.proto}:${l.port}`).sort()).toEqual(['tcp:8080', 'udp:5353']);
    const inbound = f.flows(A).filter((x) => x.direction === 'inbound');
    expect(inbound).toHaveLength(1);
    expect([inbound[0].localPort, inbound[0].count]).toEqual([8080, 2]);
  });

  it('resolves connections between containers to names, also once metadata arrives later', () => {
    const w = new WorldState();
    w.apply(ev('connect', 1, { daddr: '172.18.0.5', dport: 5432 }));
    expect(w.flows.flows(A)[0].remoteContainer).toBeUndefined();
    w.upsertContainer({
      id: B, name: '/db', image: 'postgres:16', imageId: '', state: 'running', status: '', createdAt: 0, ports: [], labels: {},
      facts: { networks: [{ name: 'app_default', ipAddress: '172.18.0.5', aliases: ['db'] }], pid: 0 },
    } as unknown as ContainerDetail);
    expect(w.flows.flows(A)[0].remoteContainer).toBe('db');
    w.apply(ev('connect', 2, { daddr: '172.18.0.5', dport: 6379 }));
    expect(w.flows.flows(A)[1].remoteContainer).toBe('db');
  });

  it('keys two inbound flows from one client to local ports 80 and 443 apart, and each keeps its key across updates', () => {
    const f = new FlowAggregator();
    f.apply(ev('accept', 1, { daddr: '172.17.0.1', dport: 40001, saddr: '172.17.0.2', sport: 80 }), '/bin/httpd');
    f.apply(ev('accept', 2, { daddr: '172.17.0.1', dport: 40002, saddr: '172.17.0.2', sport: 443 }), '/bin/httpd');
    const first = f.takeDirty().flows;
    expect(first.map((x) => [x.direction, x.remoteAddr, x.localPort])).toEqual([['inbound', '172.17.0.1', 80], ['inbound', '172.17.0.1', 443]]);
    const [k80, k443] = first.map((x) => x.key);
    expect(k80).not.toBe(k443);
    f.apply(ev('accept', 3, { daddr: '172.17.0.1', dport: 40003, saddr: '172.17.0.2', sport: 443 }), '/bin/httpd');
    f.apply(ev('accept', 4, { daddr: '172.17.0.1', dport: 40004, saddr: '172.17.0.2', sport: 80 }), '/bin/httpd');
    const later = f.takeDirty().flows;
    expect(later.map((x) => [x.key, x.count])).toEqual([[k443, 2], [k80, 2]]);
    expect(f.flows(A).map((x) => x.key)).toEqual([k80, k443]);
    // The event a finding is about names its row by that key.
    expect(f.flowKeyOf(ev('accept', 5, { daddr: '172.17.0.1', dport: 40005, sport: 443 }))).toBe(k443);
    expect(f.flowKeyOf(ev('accept', 5, { daddr: '172.17.0.9', dport: 40005, sport: 443 }))).toBeUndefined();
  });

  it('keys outbound flows by endpoint and listening sockets by address, apart per container', () => {
    const f = new FlowAggregator();
    f.apply(ev('connect', 1, { daddr: '10.0.0.9', dport: 5432 }), 'x');
    f.apply(ev('connect', 2, { daddr: '10.0.0.9', dport: 5433 }), 'x');
    f.apply(ev('connect', 3, { daddr: '10.0.0.9', dport: 5432 }, 9, B), 'x');
    f.apply(ev('bind', 4, { saddr: '0.0.0.0', sport: 80, fd: 5 }), 'x');
    f.apply(ev('listen', 5, { fd: 5 }), 'x');
    f.apply(ev('bind', 6, { saddr: '0.0.0.0', sport: 80, fd: 5 }, 9, B), 'x');
    f.apply(ev('listen', 7, { fd: 5 }, 9, B), 'x');
    const { flows, listening } = f.takeDirty();
    expect(new Set(flows.map((x) => x.key)).size).toBe(3);
    expect(new Set(listening.map((x) => x.key)).size).toBe(2);
    expect(f.flowKeyOf(ev('connect', 8, { daddr: '10.0.0.9', dport: 5433 }))).toBe(flows[1].key);
  });
});
