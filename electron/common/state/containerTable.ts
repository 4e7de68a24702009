// Containers seen during a capture: Docker metadata (name, image, compose, inspect facts) and addresses.
import type { ContainerDetail, ContainerRef } from '../model/container';

export interface ContainerRecord {
  id: string;
  ref: ContainerRef;
  /** Full inspect result, when the engine could get it. */
  detail?: ContainerDetail;
  firstSeen: number;
  lastSeen: number;
  events: number;
}

function shortRef(id: string): ContainerRef {
  return { id, name: id.slice(0, 12), image: '' };
}

export class ContainerTable {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly byIp = new Map<string, string>();
  private dirty = new Set<ContainerRecord>();

  /** Counts an event for a container; creates a placeholder until metadata arrives. Returns true when new. */
  see(id: string, ts: number): boolean {
    const r = this.records.get(id);
    if (r) {
      r.events++;
      if (ts > r.lastSeen) r.lastSeen = ts;
      return false;
    }
    const rec: ContainerRecord = { id, ref: shortRef(id), firstSeen: ts, lastSeen: ts, events: 1 };
    this.records.set(id, rec);
    this.dirty.add(rec);
    return true;
  }

  /** Metadata from Docker (inspect); may arrive before or after the first event. */
  upsert(detail: ContainerDetail | ContainerRef, ts = Date.now()): ContainerRecord {
    let rec = this.records.get(detail.id);
    if (!rec) {
      rec = { id: detail.id, ref: shortRef(detail.id), firstSeen: ts, lastSeen: ts, events: 0 };
      this.records.set(detail.id, rec);
    }
    const d = detail as Partial<ContainerDetail>;
    rec.ref = {
      id: detail.id,
      name: detail.name.replace(/^\//, ''),
      image: detail.image,
      imageDigest: d.facts?.imageDigest ?? (detail as ContainerRef).imageDigest,
      composeProject: detail.composeProject,
      composeService: detail.composeService,
    };
    if (d.facts) {
      rec.detail = detail as ContainerDetail;
      for (const n of d.facts.networks) if (n.ipAddress) this.byIp.set(n.ipAddress, detail.id);
    }
    this.dirty.add(rec);
    return rec;
  }

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  /** The container that owns an address on a Docker network, if any. */
  byAddress(ip: string): ContainerRecord | undefined {
    const id = this.byIp.get(ip);
    return id === undefined ? undefined : this.records.get(id);
  }

  list(): ContainerRecord[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  takeDirty(): ContainerRecord[] {
    if (this.dirty.size === 0) return [];
    const out = [...this.dirty];
    this.dirty = new Set();
    return out;
  }
}
