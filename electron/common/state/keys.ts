// The one identity of each view model (flow, file change, listening socket). The state tables assign it once, when
// they create the row; every other layer (deltas, the renderer's tables, finding evidence, reports) reads `key` and
// never builds an identity of its own. A key is a pure function of the row's identifying fields, so the same row keeps
// its key across deltas, and a recording replayed or re-opened later gives its rows the same keys again.
import type { FileChange, Flow, ListeningSocket } from '../model/process';

// Container ids never hold '|', and every field after the address is a number: the parts cannot run together.

/**
 * A flow's key within its container: an outbound flow is one remote endpoint, an inbound flow is one client address
 * on one local port. The aggregator indexes each container's rows by it (short strings on the per-event path).
 */
export function flowLocalKey(direction: Flow['direction'], proto: Flow['proto'], remoteAddr: string, port: number): string {
  return `${direction === 'outbound' ? 'o' : 'i'}|${proto}|${remoteAddr}|${port}`;
}

/** A row's key: its container, then its key within the container. */
export function rowKey(containerId: string, local: string): string {
  return `${containerId}|${local}`;
}

export function flowKeyOf(containerId: string, direction: Flow['direction'], proto: Flow['proto'], remoteAddr: string, port: number): string {
  return rowKey(containerId, flowLocalKey(direction, proto, remoteAddr, port));
}

export function fileKeyOf(containerId: string, path: string): string {
  return rowKey(containerId, path);
}

/** A listening socket's key within its container. */
export function listenLocalKey(proto: ListeningSocket['proto'], addr: string, port: number): string {
  return `${proto}|${addr}|${port}`;
}

export function listenKeyOf(containerId: string, proto: ListeningSocket['proto'], addr: string, port: number): string {
  return rowKey(containerId, listenLocalKey(proto, addr, port));
}

/** A row as a legacy recording holds it: maybe without a key. */
export type MaybeKeyed<T extends { key: string }> = Omit<T, 'key'> & { key?: string };

/*
 * keyed*: give a row read from a recording written before rows carried keys the key its table would have assigned
 * (rows that have one keep it). Only for such legacy rows: live rows always come keyed from the tables.
 */

export function keyedFlow(f: MaybeKeyed<Flow>): Flow {
  if (typeof f.key === 'string' && f.key) return f as Flow;
  const port = f.direction === 'outbound' ? f.remotePort : (f.localPort ?? 0);
  return { ...f, key: flowKeyOf(f.containerId, f.direction, f.proto, f.remoteAddr, port) };
}

export function keyedFile(f: MaybeKeyed<FileChange>): FileChange {
  return typeof f.key === 'string' && f.key ? (f as FileChange) : { ...f, key: fileKeyOf(f.containerId, f.path) };
}

export function keyedListening(l: MaybeKeyed<ListeningSocket>): ListeningSocket {
  return typeof l.key === 'string' && l.key ? (l as ListeningSocket) : { ...l, key: listenKeyOf(l.containerId, l.proto, l.addr, l.port) };
}
