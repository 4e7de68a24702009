// Network per container: flows to remote address:port/protocol with DNS names, listening sockets, container links.
import type { Flow, ListeningSocket } from '../model/process';
import type { DnsEvent, L4Proto, NetEvent, RuntimeEvent } from '../model/event';
import { flowLocalKey, listenLocalKey, rowKey } from './keys';

const EINPROGRESS = -115;
/** A connect this soon after the same process asked DNS for a name is taken to be to that name. */
const DNS_ATTRIBUTION_MS = 5_000;
const MAX_EXES_PER_FLOW = 16;

/** Resolves an address on a Docker network to the container that owns it. */
export type ContainerResolver = (ip: string) => string | undefined;

interface PerContainer {
  /** By the flow's key within the container (flowLocalKey). */
  flows: Map<string, Flow>;
  /** By the socket's key within the container (listenLocalKey). */
  listening: Map<string, ListeningSocket>;
  /** Names learned from this container's own DNS answers: ip → name. */
  names: Map<string, string>;
  /** The last name each process asked for (when answers are not visible). */
  lastQuery: Map<number, { name: string; ts: number }>;
  /** Flows per remote address, so a late DNS answer names them without a scan. */
  byAddr: Map<string, Flow[]>;
  /** bind() addresses per process+fd, for listen() events that carry no address. */
  bound: Map<string, { addr: string; port: number; proto: L4Proto }>;
}

export class FlowAggregator {
  private readonly byContainer = new Map<string, PerContainer>();
  private dirtyFlows = new Set<Flow>();
  private dirtyListening = new Set<ListeningSocket>();

  constructor(private resolveContainer: ContainerResolver = () => undefined) {}

  setResolver(r: ContainerResolver): void {
    this.resolveContainer = r;
  }

  apply(e: RuntimeEvent, exe: string): void {
    const cid = e.containerId;
    if (cid === undefined) return;
    switch (e.kind) {
      case 'connect':
        this.connect(this.of(cid), cid, e, exe);
        return;
      case 'accept':
        this.accept(this.of(cid), cid, e, exe);
        return;
      case 'bind':
        this.bind(this.of(cid), cid, e, exe);
        return;
      case 'listen':
        this.listen(this.of(cid), cid, e, exe);
        return;
      case 'dns':
        this.dns(this.of(cid), cid, e, exe);
        return;
      default:
        return;
    }
  }

  /** Re-resolves remote containers after new container metadata (addresses) arrived. */
  relink(): void {
    for (const pc of this.byContainer.values()) {
      for (const f of pc.flows.values()) {
        if (f.remoteContainer || f.proto === 'unix') continue;
        const name = this.resolveContainer(f.remoteAddr);
        if (name) {
          f.remoteContainer = name;
          this.dirtyFlows.add(f);
        }
      }
    }
  }

  flows(containerId?: string): Flow[] {
    if (containerId !== undefined) return [...(this.byContainer.get(containerId)?.flows.values() ?? [])];
    const out: Flow[] = [];
    for (const pc of this.byContainer.values()) for (const f of pc.flows.values()) out.push(f);
    return out;
  }

  listening(containerId?: string): ListeningSocket[] {
    if (containerId !== undefined) return [...(this.byContainer.get(containerId)?.listening.values() ?? [])];
    const out: ListeningSocket[] = [];
    for (const pc of this.byContainer.values()) for (const l of pc.listening.values()) out.push(l);
    return out;
  }

  /**
   * The key of the flow an event was counted in (connect, accept, a DNS query), or undefined when it made none — so
   * a finding about the event can point at that row without building an identity of its own.
   */
  flowKeyOf(e: RuntimeEvent): string | undefined {
    const cid = e.containerId;
    if (cid === undefined) return undefined;
    let local: string | undefined;
    if (e.kind === 'connect') {
      const addr = e.family === 'unix' ? e.unixPath : e.daddr;
      if (addr) local = flowLocalKey('outbound', e.proto, addr, e.dport ?? 0);
    } else if (e.kind === 'accept') {
      const addr = e.family === 'unix' ? (e.unixPath ?? '') : e.daddr;
      if (addr !== undefined && e.ret >= 0) local = flowLocalKey('inbound', e.proto, addr, e.sport ?? 0);
    } else if (e.kind === 'dns' && e.daddr) {
      local = flowLocalKey('outbound', 'udp', e.daddr, e.dport || 53);
    }
    return local === undefined ? undefined : this.byContainer.get(cid)?.flows.get(local)?.key;
  }

  /** The DNS name a container learned for an address. */
  nameOf(containerId: string, ip: string): string | undefined {
    return this.byContainer.get(containerId)?.names.get(ip);
  }

  takeDirty(): { flows: Flow[]; listening: ListeningSocket[] } {
    const flows = this.dirtyFlows.size ? [...this.dirtyFlows] : [];
    const listening = this.dirtyListening.size ? [...this.dirtyListening] : [];
    if (flows.length) this.dirtyFlows = new Set();
    if (listening.length) this.dirtyListening = new Set();
    return { flows, listening };
  }

  private of(cid: string): PerContainer {
    let pc = this.byContainer.get(cid);
    if (!pc) {
      pc = { flows: new Map(), listening: new Map(), names: new Map(), lastQuery: new Map(), byAddr: new Map(), bound: new Map() };
      this.byContainer.set(cid, pc);
    }
    return pc;
  }

  private flow(pc: PerContainer, cid: string, direction: Flow['direction'], proto: L4Proto, addr: string, port: number,
    localPort: number | undefined, ts: number, exe: string): Flow {
    const local = flowLocalKey(direction, proto, addr, direction === 'outbound' ? port : (localPort ?? 0));
    let f = pc.flows.get(local);
    if (!f) {
      f = {
        key: rowKey(cid, local), containerId: cid, direction, proto, remoteAddr: addr, remotePort: port, count: 0, failures: 0,
        first: ts, last: ts, exes: [exe],
      };
      if (localPort !== undefined) f.localPort = localPort;
      const name = pc.names.get(addr);
      if (name) f.dnsName = name;
      if (proto !== 'unix') {
        const peer = this.resolveContainer(addr);
        if (peer) f.remoteContainer = peer;
      }
      pc.flows.set(local, f);
      const same = pc.byAddr.get(addr);
      if (same) same.push(f);
      else pc.byAddr.set(addr, [f]);
    } else {
      if (ts < f.first) f.first = ts;
      if (ts > f.last) f.last = ts;
      if (f.exes.length < MAX_EXES_PER_FLOW && !f.exes.includes(exe)) f.exes.push(exe);
    }
    f.count++;
    this.dirtyFlows.add(f);
    return f;
  }

  private connect(pc: PerContainer, cid: string, e: NetEvent, exe: string): void {
    const addr = e.family === 'unix' ? e.unixPath : e.daddr;
    if (!addr) return;
    const f = this.flow(pc, cid, 'outbound', e.proto, addr, e.dport ?? 0, undefined, e.ts, exe);
    if (e.ret < 0 && e.ret !== EINPROGRESS) f.failures++;
    if (!f.dnsName && e.family !== 'unix') {
      const q = pc.lastQuery.get(e.tgid);
      if (q && e.ts >= q.ts && e.ts - q.ts <= DNS_ATTRIBUTION_MS) {
        f.dnsName = q.name;
        pc.names.set(addr, q.name);
        pc.lastQuery.delete(e.tgid);
      }
    }
  }

  private accept(pc: PerContainer, cid: string, e: NetEvent, exe: string): void {
    const addr = e.family === 'unix' ? (e.unixPath ?? '') : e.daddr;
    if (addr === undefined || e.ret < 0) return;
    this.flow(pc, cid, 'inbound', e.proto, addr, 0, e.sport ?? 0, e.ts, exe);
  }

  private bind(pc: PerContainer, cid: string, e: NetEvent, exe: string): void {
    if (e.ret < 0) return;
    const addr = e.family === 'unix' ? (e.unixPath ?? '') : (e.saddr ?? '0.0.0.0');
    const port = e.sport ?? 0;
    pc.bound.set(`${e.tgid}:${e.fd}`, { addr, port, proto: e.proto });
    // UDP servers never call listen(): a bound UDP port is a listening socket.
    if (e.proto === 'udp' && port !== 0) this.addListening(pc, cid, 'udp', addr, port, exe, e.ts);
  }

  private listen(pc: PerContainer, cid: string, e: NetEvent, exe: string): void {
    if (e.ret < 0) return;
    const b = pc.bound.get(`${e.tgid}:${e.fd}`);
    const addr = e.family === 'unix' ? (e.unixPath ?? b?.addr ?? '') : (e.saddr ?? b?.addr ?? '0.0.0.0');
    const port = e.sport ?? b?.port ?? 0;
    this.addListening(pc, cid, e.proto === 'other' && b ? b.proto : e.proto, addr, port, exe, e.ts);
  }

  private addListening(pc: PerContainer, cid: string, proto: L4Proto, addr: string, port: number, exe: string, ts: number): void {
    const local = listenLocalKey(proto, addr, port);
    if (pc.listening.has(local)) return;
    const l: ListeningSocket = { key: rowKey(cid, local), containerId: cid, proto, addr, port, exe, since: ts };
    pc.listening.set(local, l);
    this.dirtyListening.add(l);
  }

  private dns(pc: PerContainer, cid: string, e: DnsEvent, exe: string): void {
    const name = e.qname.endsWith('.') ? e.qname.slice(0, -1) : e.qname;
    if (e.daddr) this.flow(pc, cid, 'outbound', 'udp', e.daddr, e.dport || 53, undefined, e.ts, exe);
    if (e.answers?.length) {
      for (const ip of e.answers) {
        pc.names.set(ip, name);
        // Name flows that were seen before the answer was decoded.
        for (const f of pc.byAddr.get(ip) ?? []) {
          if (!f.dnsName) {
            f.dnsName = name;
            this.dirtyFlows.add(f);
          }
        }
      }
    } else {
      pc.lastQuery.set(e.tgid, { name, ts: e.ts });
    }
  }
}
