// Shared prefilter: per event kind, rules are grouped by a value they require (proc.name, fd.name prefix, ...) so
// one hash lookup per field rejects most of the pack before any rule's own predicate runs.
import type { EventKind, RuntimeEvent } from '../model/event';
import type { RuleContext } from './context';
import { extractorFor, isMultiCallPath, PATH_KINDS, programName, type FieldValue, type ResolvedField } from './fields';

/**
 * What one field must look like for a rule to have any chance of matching: equal to one of `exact`, or
 * starting with one of `prefixes`, or ending with one of `suffixes`, or containing one of `contains`.
 */
export interface GuardAtom {
  field: ResolvedField;
  exact: Set<string | number>;
  prefixes: Set<string>;
  suffixes: Set<string>;
  contains: Set<string>;
}

/**
 * A necessary condition of a rule for one kind: the rule can only match when at least one atom holds
 * (atoms on different fields come from `or` branches). `never`: the rule cannot match this kind at all.
 */
export type Guard = { atoms: Map<string, GuardAtom> } | 'never';

/** Fields whose value a guard may test: read once per event, strings (or a port) compared exactly. */
export const GUARD_FIELDS: ReadonlySet<string> = new Set(['fd.name', 'fd.filename', 'fd.directory', 'fd.typechar', 'proc.name', 'proc.exepath', 'dns.name', 'fd.sip', 'fd.sport']);

/**
 * Cost of reading a field for a kind, plus a penalty for fields that let most events through (fd.typechar):
 * an `and` keeps the guard with the lowest score.
 */
function fieldCost(name: string, kind: EventKind): number {
  switch (name) {
    case 'fd.name': return PATH_KINDS.has(kind) ? 1 : 5; // sockets: a tuple string is built
    case 'proc.name': return kind === 'exec' ? 1.5 : 3; // other kinds: a process-table lookup
    case 'proc.exepath': return kind === 'exec' ? 1.2 : 3;
    case 'fd.filename': return 2;
    case 'fd.directory': return 2.5; // a string is built; most directory atoms move to fd.name anyway
    case 'fd.typechar': return 4;
    default: return 1;
  }
}

/** Lower is better: how much a guard costs to test and how much it lets through (prefix/suffix lists). */
export function guardScore(g: Guard, kind: EventKind): number {
  if (g === 'never') return -1;
  let s = 0;
  for (const a of g.atoms.values()) s += fieldCost(a.field.spec.name, kind) + a.prefixes.size * 0.3 + (a.suffixes.size + a.contains.size) * 0.5;
  return s;
}

export function atomGuard(field: ResolvedField, exact: Iterable<string | number>, prefixes: Iterable<string> = [], suffixes: Iterable<string> = [], contains: Iterable<string> = []): Guard {
  return { atoms: new Map([[field.text, { field, exact: new Set(exact), prefixes: new Set(prefixes), suffixes: new Set(suffixes), contains: new Set(contains) }]]) };
}

/**
 * The same constraint on fd.directory said on fd.name, so file events need not build the directory string:
 * dirname(p) = D (D ≠ "/") ⇒ p starts with "D/"; starts with X ⇒ p starts with X; ends with S ⇒ p contains "S/".
 * Only "/" (the directory of "/x" and of names without a slash) has no such form: then the atom stays as it is.
 */
export function directoryAsName(atom: GuardAtom, name: ResolvedField): GuardAtom {
  const trivial = (x: string) => x === '' || x === '/';
  if ([...atom.exact].some((d) => d === '/') || [...atom.prefixes].some(trivial) || [...atom.suffixes].some(trivial)) return atom;
  return {
    field: name,
    exact: new Set(),
    prefixes: new Set([...[...atom.exact].filter((d) => d !== '').map((d) => `${d}/`), ...atom.prefixes]),
    suffixes: new Set(),
    contains: new Set([...atom.contains, ...[...atom.suffixes].map((s) => `${s}/`)]),
  };
}

/** Either guard holds (an `or`): the union of their atoms, field by field. */
export function unionGuards(a: Guard, b: Guard): Guard {
  if (a === 'never') return b;
  if (b === 'never') return a;
  const atoms = new Map<string, GuardAtom>();
  for (const g of [a, b]) {
    for (const [k, at] of g.atoms) {
      const have = atoms.get(k);
      if (!have) atoms.set(k, { field: at.field, exact: new Set(at.exact), prefixes: new Set(at.prefixes), suffixes: new Set(at.suffixes), contains: new Set(at.contains) });
      else {
        for (const x of at.exact) have.exact.add(x);
        for (const x of at.prefixes) have.prefixes.add(x);
        for (const x of at.suffixes) have.suffixes.add(x);
        for (const x of at.contains) have.contains.add(x);
      }
    }
  }
  return { atoms };
}

type Reader = (ev: RuntimeEvent, ctx: RuleContext) => FieldValue;

/** First four characters as a number: the bucket key for prefixes of length ≥ 4 (no string is built). */
function head4(s: string): number {
  return ((s.charCodeAt(0) * 65599 + s.charCodeAt(1)) * 65599 + s.charCodeAt(2)) * 65599 + s.charCodeAt(3);
}

/** Every guarded rule position that one field's value admits. */
class FieldTable {
  readonly exact = new Map<string | number, number[]>();
  readonly buckets = new Map<number, Array<[string, number[]]>>();
  readonly short: Array<[string, number[]]> = [];
  readonly suffixes: Array<[string, number[]]> = [];
  readonly contains: Array<[string, number[]]> = [];
  constructor(readonly read: Reader) {}

  add(atom: GuardAtom, pos: number): void {
    for (const v of atom.exact) push(this.exact, v, pos);
    for (const p of atom.prefixes) {
      if (p.length < 4) pushPair(this.short, p, pos);
      else {
        const k = head4(p);
        let list = this.buckets.get(k);
        if (!list) { list = []; this.buckets.set(k, list); }
        pushPair(list, p, pos);
      }
    }
    for (const s of atom.suffixes) pushPair(this.suffixes, s, pos);
    for (const s of atom.contains) pushPair(this.contains, s, pos);
  }

  mark(ev: RuntimeEvent, ctx: RuleContext, stamp: Int32Array, tick: number): void {
    const v = this.read(ev, ctx);
    if (v === undefined) return;
    const hit = this.exact.get(v as string | number);
    if (hit) for (let i = 0; i < hit.length; i++) stamp[hit[i]] = tick;
    if (typeof v !== 'string') return;
    for (let i = 0; i < this.short.length; i++) {
      const [p, ids] = this.short[i];
      if (v.startsWith(p)) for (let j = 0; j < ids.length; j++) stamp[ids[j]] = tick;
    }
    if (v.length >= 4 && this.buckets.size) {
      const list = this.buckets.get(head4(v));
      if (list) {
        for (let i = 0; i < list.length; i++) {
          const [p, ids] = list[i];
          if (v.startsWith(p)) for (let j = 0; j < ids.length; j++) stamp[ids[j]] = tick;
        }
      }
    }
    for (let i = 0; i < this.suffixes.length; i++) {
      const [s, ids] = this.suffixes[i];
      if (v.endsWith(s)) for (let j = 0; j < ids.length; j++) stamp[ids[j]] = tick;
    }
    for (let i = 0; i < this.contains.length; i++) {
      const [s, ids] = this.contains[i];
      if (v.includes(s)) for (let j = 0; j < ids.length; j++) stamp[ids[j]] = tick;
    }
  }
}

function push<K>(m: Map<K, number[]>, k: K, pos: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [pos]);
  else if (l[l.length - 1] !== pos) l.push(pos);
}
function pushPair(list: Array<[string, number[]]>, key: string, pos: number): void {
  const hit = list.find(([k]) => k === key);
  if (!hit) list.push([key, [pos]]);
  else if (hit[1][hit[1].length - 1] !== pos) hit[1].push(pos);
}

/**
 * The prefilter of one kind. `admit` stamps every guarded rule whose guard holds for the event; a rule
 * position runs when it is unguarded or stamped with the current tick.
 */
/**
 * Kinds whose guard fields are all functions of one event property (the path of a file event, the program of an
 * exec, the name of a DNS query): the rules to run depend on that value alone and can be cached by it.
 */
function keyProperty(kind: EventKind, fields: ReadonlySet<string>): string | undefined {
  let prop: string;
  let pure: string[];
  if (PATH_KINDS.has(kind)) {
    prop = kind === 'rename' || kind === 'link' || kind === 'symlink' ? 'newPath' : 'path';
    pure = ['fd.name', 'fd.filename', 'fd.directory'];
  } else if (kind === 'exec') {
    // proc.name of a multi-call binary's exec also depends on argv (its applet): positions() adds it to the key.
    prop = 'filename';
    pure = ['proc.name', 'proc.exepath'];
  } else if (kind === 'dns') {
    prop = 'qname';
    pure = ['dns.name'];
  } else return undefined;
  return [...fields].every((f) => pure.includes(f)) ? prop : undefined;
}

/** Distinct key values remembered per kind before the cache starts over (bounds memory on unique temp names). */
const CACHE_LIMIT = 4096;

export class KindPrefilter {
  /** 1 where the rule at that position has a guard. */
  readonly guarded: Uint8Array;
  readonly stamp: Int32Array;
  private tables: FieldTable[] = [];
  /** See keyProperty: the event property that alone decides which rules run, when there is one. */
  private readonly keyProp: string | undefined;
  private readonly cache = new Map<string, number[]>();

  constructor(kind: EventKind, guards: ReadonlyArray<Guard | undefined>) {
    this.guarded = new Uint8Array(guards.length);
    this.stamp = new Int32Array(guards.length);
    const byField = new Map<string, FieldTable>();
    guards.forEach((g, pos) => {
      if (!g || g === 'never') return;
      this.guarded[pos] = 1;
      for (const [key, atom] of g.atoms) {
        let t = byField.get(key);
        if (!t) {
          const prop = atom.field.spec.prop?.(kind, atom.field.arg);
          const x = extractorFor(atom.field, kind);
          const read: Reader = prop ? (ev) => (ev as unknown as Record<string, FieldValue>)[prop] : x ?? (() => undefined);
          t = new FieldTable(read);
          byField.set(key, t);
        }
        t.add(atom, pos);
      }
    });
    this.tables = [...byField.values()];
    const fields = new Set<string>();
    for (const g of guards) if (g && g !== 'never') for (const a of g.atoms.values()) fields.add(a.field.spec.name);
    this.keyProp = keyProperty(kind, fields);
  }

  /**
   * Positions of the rules to run for this event, in load order (unguarded ones and those the guards admit), from
   * the cache when the kind has a key property; undefined when it has none (use admit and the stamps instead).
   */
  positions(ev: RuntimeEvent, ctx: RuleContext, tick: number): readonly number[] | undefined {
    if (this.keyProp === undefined) return undefined;
    let key = (ev as unknown as Record<string, unknown>)[this.keyProp] as string | undefined;
    if (typeof key !== 'string') return undefined;
    if (ev.kind === 'exec' && isMultiCallPath(key)) key = `${key}\0${programName(key, ev.argv)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.admit(ev, ctx, tick);
    const out: number[] = [];
    for (let i = 0; i < this.guarded.length; i++) if (this.guarded[i] === 0 || this.stamp[i] === tick) out.push(i);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, out);
    return out;
  }

  get fieldCount(): number { return this.tables.length; }
  /** Whether admission is cached by one event property (keyProperty). */
  get cached(): boolean { return this.keyProp !== undefined; }

  admit(ev: RuntimeEvent, ctx: RuleContext, tick: number): void {
    const t = this.tables;
    for (let i = 0; i < t.length; i++) t[i].mark(ev, ctx, this.stamp, tick);
  }
}
