// Encoders of engine → helper control frames (same framing as helper output).
import type { EventKind } from '../model/event';
import { ADMIT_MAX, FRAME_HEADER_BYTES, KIND_CODE, LAYOUT, MAGIC, OP, PREFIX_LEN, PREFIX_MAX, SCHEMA_VERSION } from './wire';

/** A zeroed frame of `size` bytes with its header {magic, length, schema, op} written (seq 0). */
export function newFrame(op: number, size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, size, true);
  view.setUint16(8, SCHEMA_VERSION, true);
  view.setUint16(10, op, true);
  return { bytes, view };
}

function ascii(bytes: Uint8Array, at: number, s: string, max: number): void {
  for (let i = 0; i < s.length && i < max; i++) bytes[at + i] = s.charCodeAt(i) & 0x7f;
}

export function encodeWatch(containerId: string, pid: number, unwatch = false): Uint8Array {
  const L = LAYOUT.gh_ctl_watch;
  const { bytes, view } = newFrame(unwatch ? OP.CTL_UNWATCH : OP.CTL_WATCH, L.size);
  ascii(bytes, L.fields.container_id, containerId, 64);
  view.setUint32(L.fields.pid, pid >>> 0, true);
  return bytes;
}

export function kindMask(kinds: readonly EventKind[]): bigint {
  let m = 0n;
  for (const k of kinds) m |= 1n << BigInt(KIND_CODE[k]);
  return m;
}

export function encodeKinds(kinds: readonly EventKind[]): Uint8Array {
  const L = LAYOUT.gh_ctl_kinds;
  const { bytes, view } = newFrame(OP.CTL_KINDS, L.size);
  view.setBigUint64(L.fields.mask, kindMask(kinds), true);
  return bytes;
}

/** A CTL frame holding `count` and up to `max` NUL-terminated prefixes of PREFIX_LEN bytes each. */
function encodePrefixList(op: number, layout: { size: number; fields: { count: number; prefix: number } }, prefixes: readonly string[],
  max: number, what: string, minLen: number, purpose: string): Uint8Array {
  for (const p of prefixes) {
    if (!p.startsWith('/') || p.length < minLen) throw new Error(`${what} "${p}" must be absolute${minLen > 1 ? ' and name a parent (e.g. /docker/)' : ' (start with /)'}.`);
    if (p.length >= PREFIX_LEN) throw new Error(`${what} "${p}" is longer than ${PREFIX_LEN - 1} bytes.`);
  }
  if (prefixes.length > max) throw new Error(`At most ${max} ${what.toLowerCase()}es can be ${purpose} in the kernel (got ${prefixes.length}).`);
  const { bytes, view } = newFrame(op, layout.size);
  view.setUint32(layout.fields.count, prefixes.length, true);
  prefixes.forEach((p, i) => ascii(bytes, layout.fields.prefix + i * PREFIX_LEN, p, PREFIX_LEN - 1));
  return bytes;
}

/** Sensitive path prefixes (reads under them are reported). At most PREFIX_MAX, each < PREFIX_LEN bytes. */
export function encodePrefixes(prefixes: readonly string[]): Uint8Array {
  return encodePrefixList(OP.CTL_PREFIXES, LAYOUT.gh_ctl_prefixes, prefixes, PREFIX_MAX, 'Sensitive path prefix', 1, 'watched');
}

/**
 * Container cgroup prefixes (cgroup v2 paths from the root, e.g. "/docker/"): a cgroup created as <prefix><64-hex id>
 * is traced from its creation. An empty list turns admission off.
 */
export function encodeAdmit(prefixes: readonly string[]): Uint8Array {
  return encodePrefixList(OP.CTL_ADMIT, LAYOUT.gh_ctl_admit, prefixes, ADMIT_MAX, 'Container cgroup prefix', 2, 'admitted');
}

export function encodeHost(on: boolean): Uint8Array {
  const L = LAYOUT.gh_ctl_host;
  const { bytes, view } = newFrame(OP.CTL_HOST, L.size);
  view.setUint32(L.fields.on, on ? 1 : 0, true);
  return bytes;
}

export { FRAME_HEADER_BYTES };
