// Condition AST → closures per event kind (macros and lists expanded, evt.type folded away, no eval).
import type { EventKind, RuntimeEvent } from '../model/event';
import type { RuleContext } from './context';
import { LIST_OPS, parseCondition, ConditionSyntaxError, type ConditionNode, type ValueToken } from './condition';
import { kindsForSyscall } from './evttype';
import { extractorFor, fieldCost, flagBits, flagValue, PATH_KINDS, resolveField, type Extractor, type FieldValue, type ResolvedField } from './fields';
import type { ListDef, MacroDef, SourceLoc, LocatedText, ExceptionDef } from './loader';
import { GUARD_FIELDS, atomGuard, directoryAsName, guardScore, unionGuards, type Guard } from './prefilter';

export type Predicate = (ev: RuntimeEvent, ctx: RuleContext) => boolean;
/** A compiled condition for one kind: a predicate, or a constant when the kind decides it alone. */
export type Compiled = Predicate | boolean;

/** Estimated cost of each compiled predicate (see fieldCost), for cheap-first ordering of branches. */
const COST = new WeakMap<Predicate, number>();
const costOf = (p: Predicate) => COST.get(p) ?? 3;
function withCost(p: Predicate, cost: number): Predicate {
  COST.set(p, cost);
  return p;
}

export class CompileError extends Error {
  constructor(message: string, readonly loc: SourceLoc, readonly unsupportedField?: string) {
    super(message);
    this.name = 'CompileError';
  }
}

/** Condition tree with a locator per subtree, so errors inside macros or exceptions point at their own text. */
type Node =
  | ConditionNode
  | { t: 'scope'; locate: (off: number) => SourceLoc; item: Node; pos: number }
  | { t: 'and' | 'or'; items: Node[]; pos: number }
  | { t: 'not'; item: Node; pos: number }
  | { t: 'cmpx'; field: string; op: string; values: string[]; listItems: boolean; pos: number };

export interface CompileEnv {
  lists: Map<string, ListDef>;
  macros: Map<string, MacroDef>;
}

/** Parses macros once per environment; a macro with a syntax error is reported once, where it is written. */
export class MacroTable {
  private parsed = new Map<string, Node | CompileError>();
  constructor(private env: CompileEnv) {}

  get(name: string): Node | CompileError | undefined {
    const hit = this.parsed.get(name);
    if (hit) return hit;
    const def = this.env.macros.get(name);
    if (!def) return undefined;
    const r = parseLocated(def.condition, `macro "${name}"`);
    this.parsed.set(name, r);
    return r;
  }
}

export function parseLocated(text: LocatedText, what: string): Node | CompileError {
  try {
    return { t: 'scope', locate: text.locate, item: parseCondition(text.text), pos: 0 };
  } catch (e) {
    if (e instanceof ConditionSyntaxError) return new CompileError(`syntax error in ${what}: ${e.message}`, text.locate(e.pos));
    throw e;
  }
}

/** Exceptions become `and not ((f1 c1 v1 and f2 c2 v2) or …)` as Falco defines them. */
export function exceptionNodes(exceptions: ExceptionDef[]): Node | undefined {
  const alts: Node[] = [];
  for (const ex of exceptions) {
    // without fields there is nothing to compare: the loader reported it (exception "…" needs "fields")
    if (ex.fields === undefined) continue;
    const locate = () => ex.loc;
    for (const v of ex.values) {
      if (typeof ex.fields === 'string') {
        const op = typeof ex.comps === 'string' ? ex.comps : 'in';
        alts.push({ t: 'scope', locate, pos: 0, item: cmpFromException(ex.fields, op, v) });
      } else {
        const tuple = v as unknown[];
        const parts = ex.fields.map((f, i) => cmpFromException(f, (ex.comps as string[])[i], tuple[i]));
        alts.push({ t: 'scope', locate, pos: 0, item: parts.length === 1 ? parts[0] : { t: 'and', items: parts, pos: 0 } });
      }
    }
  }
  if (!alts.length) return undefined;
  return { t: 'not', pos: 0, item: alts.length === 1 ? alts[0] : { t: 'or', items: alts, pos: 0 } };
}

function cmpFromException(field: string, op: string, v: unknown): Node {
  if (LIST_OPS.has(op)) {
    // A list value, or one string that may name a list.
    const items = Array.isArray(v) ? v.map(String) : [String(v)];
    return { t: 'cmpx', field, op, values: items, listItems: true, pos: 0 };
  }
  return { t: 'cmpx', field, op, values: [String(v)], listItems: false, pos: 0 };
}

const NUMERIC_OPS = new Set(['<', '<=', '>', '>=']);
const CIDR_FIELDS = new Set(['fd.net', 'fd.snet', 'fd.cnet', 'fd.rnet', 'fd.lnet']);

/** Dotted quad → u32 without regex or allocation (hot path for fd.snet). */
function ipv4ToInt(ip: string): number | undefined {
  let out = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (!digits || part > 255) return undefined;
      out = out * 256 + part; part = 0; digits = 0; dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48); digits++;
    } else return undefined;
  }
  if (dots !== 3 || !digits || part > 255) return undefined;
  return out * 256 + part;
}

function parseIp(ip: string): number | number[] | undefined {
  return ipv4ToInt(ip) ?? ipv6Groups(ip);
}

/** Expands "::" so IPv6 prefixes compare on full 16-bit groups. */
function ipv6Groups(ip: string): number[] | undefined {
  if (!ip.includes(':')) return undefined;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = ip.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array(Math.max(0, fill)).fill('0'), ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => g >= 0 && g <= 0xffff) ? all : undefined;
}

/** A CIDR (or bare address) → membership test over a parsed address (u32 for IPv4, groups for IPv6). */
function parseCidr(text: string): ((ip: number | number[]) => boolean) | undefined {
  const [addr, bitsText] = text.split('/');
  const v4 = ipv4ToInt(addr);
  if (v4 !== undefined) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (!(bits >= 0 && bits <= 32)) return undefined;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return (ip) => typeof ip === 'number' && ((ip & mask) >>> 0) === net;
  }
  const v6 = ipv6Groups(addr);
  if (!v6) return undefined;
  const bits = bitsText === undefined ? 128 : Number(bitsText);
  if (!(bits >= 0 && bits <= 128)) return undefined;
  return (ip) => {
    if (typeof ip === 'number') return false;
    const g = ip;
    for (let b = 0; b < bits; b += 16) {
      const take = Math.min(16, bits - b);
      const mask = (0xffff << (16 - take)) & 0xffff;
      if ((g[b / 16] & mask) !== (v6[b / 16] & mask)) return false;
    }
    return true;
  };
}

function globToRegExp(glob: string, flags: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) { re += '\\['; continue; }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, flags);
}

/**
 * Compiles one rule's condition for one event kind. The same Compiler is reused across kinds so fields,
 * lists and regular expressions are resolved once.
 */
export class Compiler {
  private fieldCache = new Map<string, ResolvedField | string>();
  private macroStack: string[] = [];
  /** Unsupported fields met while compiling (the rule is disabled with a warning naming them). */
  constructor(private env: CompileEnv, private macros: MacroTable) {}

  compile(node: Node, kind: EventKind, locate: (off: number) => SourceLoc): Compiled {
    switch (node.t) {
      case 'scope': return this.compile(node.item, kind, node.locate);
      case 'const': return node.value;
      case 'and': case 'or': {
        // Compile every branch (never short-circuit) so errors surface regardless of kind.
        const parts = node.items.map((x) => this.compile(x, kind, locate));
        return node.t === 'and' ? foldAnd(parts) : foldOr(parts);
      }
      case 'not': {
        const p = this.compile(node.item, kind, locate);
        if (typeof p === 'boolean') return !p;
        // Negations rarely reject an event, so they go after the positive tests of the same cost.
        return withCost((ev, ctx) => !p(ev, ctx), costOf(p) + 1.5);
      }
      case 'macro': {
        const m = this.macros.get(node.name);
        if (!m) throw new CompileError(`undefined macro "${node.name}"`, locate(node.pos));
        if (m instanceof CompileError) throw new CompileError(`uses macro "${node.name}", which has an error (${m.message}, at line ${m.loc.line})`, locate(node.pos));
        if (this.macroStack.includes(node.name)) {
          throw new CompileError(`macro "${node.name}" refers to itself through ${this.macroStack.join(' → ')}`, locate(node.pos));
        }
        this.macroStack.push(node.name);
        try {
          return this.compile(m, kind, locate);
        } finally {
          this.macroStack.pop();
        }
      }
      case 'cmp': {
        const values = this.expandValues(node.values, node.op);
        return this.compileCmp(node.field, node.op, values, kind, locate(node.pos));
      }
      case 'cmpx': {
        const values = node.listItems ? this.expandValues(node.values.map((text) => ({ text, quoted: false, pos: 0 })), node.op) : node.values;
        return this.compileCmp(node.field, node.op, values, kind, locate(node.pos));
      }
      default: return false;
    }
  }

  /**
   * A necessary condition of `node` for events of `kind`, for the shared prefilter: undefined when nothing
   * cheap is implied. Must only be called on a tree that compiled without errors. Sound by construction: an
   * `and` may use any one conjunct's guard, an `or` needs a guard on every branch, `not` implies nothing.
   */
  guard(node: Node, kind: EventKind, depth = 0): Guard | undefined {
    if (depth > 64) return undefined;
    switch (node.t) {
      case 'scope': return this.guard(node.item, kind, depth + 1);
      case 'const': return node.value ? undefined : 'never';
      case 'not': return undefined;
      case 'macro': {
        const m = this.macros.get(node.name);
        return m && !(m instanceof CompileError) ? this.guard(m, kind, depth + 1) : undefined;
      }
      case 'and': {
        let best: Guard | undefined;
        for (const item of node.items) {
          const g = this.guard(item, kind, depth + 1);
          if (g === 'never') return 'never';
          if (g && (!best || guardScore(g, kind) < guardScore(best, kind))) best = g;
        }
        return best;
      }
      case 'or': {
        let acc: Guard = 'never';
        for (const item of node.items) {
          const g = this.guard(item, kind, depth + 1);
          if (g === undefined) return undefined;
          acc = unionGuards(acc, g);
        }
        return acc;
      }
      case 'cmp': return this.cmpGuard(node.field, node.op, this.expandValues(node.values, node.op), kind);
      case 'cmpx': {
        const values = node.listItems ? this.expandValues(node.values.map((text) => ({ text, quoted: false, pos: 0 })), node.op) : node.values;
        return this.cmpGuard(node.field, node.op, values, kind);
      }
      default: return undefined;
    }
  }

  private cmpGuard(fieldText: string, op: string, values: string[], kind: EventKind): Guard | undefined {
    const g = this.cmpGuardOn(fieldText, op, values, kind);
    const name = this.field('fd.name');
    if (!g || g === 'never' || typeof name === 'string' || !PATH_KINDS.has(kind)) return g;
    const atom = g.atoms.get(fieldText);
    if (!atom || atom.field.spec.name !== 'fd.directory') return g;
    const moved = directoryAsName(atom, name);
    return moved === atom ? g : { atoms: new Map([[name.text, moved]]) };
  }

  private cmpGuardOn(fieldText: string, op: string, values: string[], kind: EventKind): Guard | undefined {
    const f = this.field(fieldText);
    if (typeof f === 'string') return undefined;
    const name = f.spec.name;
    if (name === 'evt.type' && (op === '=' || op === '==' || op === '!=' || op === 'in')) {
      const hit = values.some((v) => kindsForSyscall(v).includes(kind));
      return (op === '!=' ? !hit : hit) ? undefined : 'never';
    }
    if (!GUARD_FIELDS.has(name) || f.arg !== undefined) return undefined;
    // On files fd.typechar is folded to a constant by compileCmp; only sockets read it.
    if (name === 'fd.typechar' && PATH_KINDS.has(kind)) return undefined;
    if (!f.spec.prop?.(kind, f.arg) && !f.spec.forKind(kind, f.arg)) return undefined;
    if (f.spec.type === 'number') {
      if (op !== '=' && op !== '==' && op !== 'in' && op !== 'intersects') return undefined;
      const nums = values.map(Number);
      return nums.some((n) => Number.isNaN(n)) ? undefined : atomGuard(f, nums);
    }
    if (f.spec.type !== 'string') return undefined;
    switch (op) {
      case '=': case '==': return atomGuard(f, [values[0]]);
      case 'in': case 'intersects': return atomGuard(f, values);
      case 'startswith': return atomGuard(f, [], [values[0]]);
      case 'endswith': return atomGuard(f, [], [], [values[0]]);
      case 'contains': return atomGuard(f, [], [], [], [values[0]]);
      case 'pmatch': {
        const exact: string[] = [];
        const prefixes: string[] = [];
        for (const v of values) {
          const p = v.length > 1 && v.endsWith('/') ? v.slice(0, -1) : v;
          exact.push(p);
          prefixes.push(p === '/' ? '/' : `${p}/`);
        }
        return atomGuard(f, exact, prefixes);
      }
      case 'glob': {
        // The literal text before the first wildcard is a prefix every match has.
        const g = values[0];
        const w = g.search(/[*?[]/);
        if (w < 0) return atomGuard(f, [g]);
        return w > 0 ? atomGuard(f, [], [g.slice(0, w)]) : undefined;
      }
      default: return undefined;
    }
  }

  /** Inline items and named lists (recursively) → plain strings. */
  private expandValues(tokens: ValueToken[], op: string): string[] {
    if (!LIST_OPS.has(op)) return tokens.map((t) => t.text);
    const out: string[] = [];
    const seen = new Set<string>();
    const add = (text: string, quoted: boolean) => {
      const list = quoted ? undefined : this.env.lists.get(text);
      if (list && !seen.has(text)) {
        seen.add(text);
        // Falco splices list items into the condition as written: an item in quotes ('"10.0.0.0/8"') is a quoted value
        for (const item of list.items) {
          const q = /^"(.*)"$|^'(.*)'$/s.exec(item);
          if (q) add(q[1] ?? q[2], true);
          else add(item, false);
        }
      } else out.push(text);
    };
    for (const t of tokens) add(t.text, t.quoted);
    return out;
  }

  private field(text: string): ResolvedField | string {
    let f = this.fieldCache.get(text);
    if (!f) { f = resolveField(text); this.fieldCache.set(text, f); }
    return f;
  }

  private compileCmp(fieldText: string, op: string, values: string[], kind: EventKind, loc: SourceLoc): Compiled {
    const f = this.field(fieldText);
    if (typeof f === 'string') throw new CompileError(f, loc, fieldText);
    const name = f.spec.name;

    // evt.type decides by kind alone: fold it so the index knows which kinds a rule can match.
    if (name === 'evt.type' && (op === '=' || op === '==' || op === '!=' || op === 'in')) {
      const kinds = new Set(values.flatMap(kindsForSyscall));
      const hit = kinds.has(kind);
      return op === '!=' ? !hit : hit;
    }
    // `container` (container.id != host) is a presence test on the event: no string is built.
    if (name === 'container.id' && (op === '=' || op === '==' || op === '!=') && values[0] === 'host') {
      return withCost(op === '!=' ? (ev) => ev.containerId !== undefined : (ev) => ev.containerId === undefined, 0.5);
    }
    if ((name === 'fd.typechar' || name === 'fd.type') && PATH_KINDS.has(kind) && (op === '=' || op === '==' || op === '!=' || op === 'in')) {
      const v = name === 'fd.typechar' ? 'f' : 'file';
      const hit = values.includes(v);
      return op === '!=' ? !hit : hit;
    }
    if (name === 'evt.dir' && (op === '=' || op === '==' || op === '!=')) {
      const v = values[0];
      if (v !== '<' && v !== '>') throw new CompileError(`evt.dir compares with "<" or ">", not "${v}"`, loc);
      return op === '!=' ? v !== '<' : v === '<';
    }

    if (CIDR_FIELDS.has(name) && op !== 'exists') {
      if (op !== '=' && op !== '==' && op !== '!=' && op !== 'in') throw new CompileError(`${fieldText} compares with =, != or in and CIDR networks`, loc);
      const nets = values.map((v) => parseCidr(v));
      const bad = nets.findIndex((x) => !x);
      if (bad >= 0) throw new CompileError(`"${values[bad]}" is not a network such as 10.0.0.0/8 or fd00::/8`, loc);
      const x = extractorFor(f, kind);
      if (!x) return false;
      const tests = nets as Array<(ip: number | number[]) => boolean>;
      const inAny = (ip: string) => {
        const parsed = parseIp(ip);
        if (parsed === undefined) return false;
        for (let i = 0; i < tests.length; i++) if (tests[i](parsed)) return true;
        return false;
      };
      // fd.net holds both ends (as Falco's "either" fields do): = when either end is in a network, != when neither is
      const some = (v: unknown) => (typeof v === 'string' ? inAny(v) : Array.isArray(v) && v.some((ip) => typeof ip === 'string' && inAny(ip)));
      const present = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.length > 0);
      return withCost(op === '!=' ? (ev, ctx) => { const v = x(ev, ctx); return present(v) && !some(v); }
        : (ev, ctx) => some(x(ev, ctx)), 2 + nets.length / 4);
    }

    const type = f.spec.type;
    if (op !== 'exists' && values.length === 0 && !LIST_OPS.has(op)) throw new CompileError(`operator "${op}" needs a value`, loc);
    if (NUMERIC_OPS.has(op) && type === 'string' && name !== 'evt.arg' && name !== 'evt.rawarg') {
      throw new CompileError(`operator "${op}" compares numbers, but ${fieldText} is a string`, loc);
    }
    let nums: number[] | undefined;
    if (type === 'number' || (NUMERIC_OPS.has(op))) {
      nums = values.map(Number);
      const bad = values.findIndex((v, i) => v.trim() === '' || Number.isNaN(nums![i]));
      if (bad >= 0 && type === 'number') throw new CompileError(`${fieldText} is a number, but "${values[bad]}" is not`, loc);
      if (bad >= 0) throw new CompileError(`operator "${op}" needs a number, not "${values[bad]}"`, loc);
    }
    if (type === 'bool' && op !== 'exists') {
      if (op !== '=' && op !== '==' && op !== '!=') throw new CompileError(`${fieldText} is true/false; use = or !=`, loc);
      if (values[0] !== 'true' && values[0] !== 'false') throw new CompileError(`${fieldText} is true/false, not "${values[0]}"`, loc);
    }
    if (type === 'number' && !['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists'].includes(op)) {
      throw new CompileError(`operator "${op}" does not apply to the number field ${fieldText}`, loc);
    }
    const test = makeTest(op, type, values, nums, loc);

    // `evt.arg.flags contains O_TRUNC` on a flag argument tests the bit instead of rendering a string.
    if (name === 'evt.arg' && op === 'contains') {
      const bits = flagBits(kind, f.arg);
      const fv = bits && flagValue(values[0]);
      if (bits && fv) { const { mask, value } = fv; return withCost((ev) => (bits(ev) & mask) === value, 1); }
    }
    const testCost = op === 'regex' || op === 'glob' || op === 'iglob' ? 4 : op === 'icontains' ? 2 : op === 'pmatch' ? values.length / 4 : 0;
    const prop = f.spec.prop?.(kind, f.arg);
    if (prop) {
      const fast = inlinePredicate(prop, op, type, values, nums, test);
      if (fast) return withCost(fast, 0.5 + testCost);
    }
    const x = extractorFor(f, kind);
    if (!x) return false; // the field has no value for this kind: Falco treats the comparison as false
    const isList = f.spec.listWithoutArg === true && f.arg === undefined;
    const mixed = name === 'evt.arg' || name === 'evt.rawarg';
    return withCost(bind(x, test, isList, mixed && type === 'string'), fieldCost(name, kind, f.arg) + testCost);
  }
}

type ValueTest = (v: string | number | boolean) => boolean;
type Ev = Record<string, unknown>;

/**
 * A comparison on one event property, with the common operators written out so the hot path makes no
 * extractor or test call. Falls back (undefined) for anything else.
 */
function inlinePredicate(prop: string, op: string, type: string, values: string[], nums: number[] | undefined, test: ValueTest): Predicate | undefined {
  const s = values[0];
  if (type === 'number') {
    const n = nums![0];
    switch (op) {
      case '=': case '==': return (ev) => (ev as unknown as Ev)[prop] === n;
      case '!=': { return (ev) => { const v = (ev as unknown as Ev)[prop]; return v !== undefined && v !== n; }; }
      case '<': return (ev) => ((ev as unknown as Ev)[prop] as number) < n;
      case '>=': return (ev) => ((ev as unknown as Ev)[prop] as number) >= n;
      case 'in': { const set = new Set(nums); return (ev) => set.has((ev as unknown as Ev)[prop] as number); }
      default: return (ev) => { const v = (ev as unknown as Ev)[prop]; return v !== undefined && test(v as number); };
    }
  }
  if (type !== 'string') return undefined;
  switch (op) {
    case '=': case '==': return (ev) => (ev as unknown as Ev)[prop] === s;
    case '!=': return (ev) => { const v = (ev as unknown as Ev)[prop]; return v !== undefined && v !== s; };
    case 'startswith': return (ev) => { const v = (ev as unknown as Ev)[prop] as string | undefined; return v !== undefined && v.startsWith(s); };
    case 'endswith': return (ev) => { const v = (ev as unknown as Ev)[prop] as string | undefined; return v !== undefined && v.endsWith(s); };
    case 'contains': return (ev) => { const v = (ev as unknown as Ev)[prop] as string | undefined; return v !== undefined && v.includes(s); };
    case 'in': case 'intersects': {
      if (values.length === 1) return (ev) => (ev as unknown as Ev)[prop] === s;
      const set = new Set(values);
      return (ev) => set.has((ev as unknown as Ev)[prop] as string);
    }
    default: return (ev) => { const v = (ev as unknown as Ev)[prop]; return v !== undefined && test(v as string); };
  }
}

function makeTest(op: string, type: string, values: string[], nums: number[] | undefined, loc: SourceLoc): ValueTest {
  const s = values[0];
  const n = nums?.[0] ?? NaN;
  if (type === 'bool') {
    const b = s === 'true';
    return op === '!=' ? (v) => v !== b : (v) => v === b;
  }
  if (type === 'number') {
    switch (op) {
      case '=': case '==': return (v) => v === n;
      case '!=': return (v) => v !== n;
      case '<': return (v) => (v as number) < n;
      case '<=': return (v) => (v as number) <= n;
      case '>': return (v) => (v as number) > n;
      case '>=': return (v) => (v as number) >= n;
      case 'in': case 'intersects': { const set = new Set(nums); return (v) => set.has(v as number); }
      default: return () => false;
    }
  }
  switch (op) {
    case '=': case '==': return (v) => v === s;
    case '!=': return (v) => v !== s;
    case '<': return (v) => Number(v) < n;
    case '<=': return (v) => Number(v) <= n;
    case '>': return (v) => Number(v) > n;
    case '>=': return (v) => Number(v) >= n;
    case 'in': case 'intersects': {
      if (values.length === 1) return (v) => v === s;
      const set = new Set(values);
      return (v) => set.has(v as string);
    }
    case 'pmatch': {
      // Path prefix match: equal to, or below, one of the paths.
      const prefixes = values.map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p));
      return (v) => {
        const str = v as string;
        for (const p of prefixes) {
          if (str === p) return true;
          if (str.startsWith(p) && (p === '/' || str.charCodeAt(p.length) === 47)) return true;
        }
        return false;
      };
    }
    case 'startswith': case 'bstartswith': return (v) => (v as string).startsWith(s);
    case 'endswith': return (v) => (v as string).endsWith(s);
    case 'contains': case 'bcontains': return (v) => (v as string).includes(s);
    case 'icontains': { const low = s.toLowerCase(); return (v) => (v as string).toLowerCase().includes(low); }
    case 'glob': case 'iglob': { const re = globToRegExp(s, op === 'iglob' ? 'i' : ''); return (v) => re.test(v as string); }
    case 'regex': {
      let re: RegExp;
      try { re = new RegExp(`^(?:${s})$`); } catch (e) { throw new CompileError(`invalid regular expression "${s}": ${(e as Error).message}`, loc); }
      return (v) => re.test(v as string);
    }
    case 'exists': return () => true;
    default: throw new CompileError(`unknown operator "${op}"`, loc);
  }
}

function bind(x: Extractor, test: ValueTest, isList: boolean, stringify: boolean): Predicate {
  if (isList) {
    return (ev, ctx) => {
      const v = x(ev, ctx) as ReadonlyArray<string | number> | undefined;
      if (!v) return false;
      for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
      return false;
    };
  }
  if (stringify) {
    return (ev, ctx) => {
      const v: FieldValue = x(ev, ctx);
      if (v === undefined) return false;
      return test(typeof v === 'number' ? String(v) : (v as string));
    };
  }
  return (ev, ctx) => {
    const v = x(ev, ctx) as string | number | boolean | undefined;
    return v !== undefined && test(v);
  };
}

function sortedPreds(parts: Compiled[]): Predicate[] {
  return parts.filter((p): p is Predicate => typeof p === 'function').map((p, i) => [p, i] as const)
    .sort((a, b) => costOf(a[0]) - costOf(b[0]) || a[1] - b[1]).map(([p]) => p);
}

function foldAnd(parts: Compiled[]): Compiled {
  if (parts.some((p) => p === false)) return false;
  const preds = sortedPreds(parts);
  const r = foldAndPreds(preds);
  if (typeof r === 'function') COST.set(r, preds.reduce((s, p) => s + costOf(p), 0));
  return r;
}

function foldAndPreds(preds: Predicate[]): Compiled {
  if (preds.length === 0) return true;
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) { const [a, b] = preds; return (e, c) => a(e, c) && b(e, c); }
  if (preds.length === 3) { const [a, b, d] = preds; return (e, c) => a(e, c) && b(e, c) && d(e, c); }
  return (e, c) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i](e, c)) return false;
    return true;
  };
}

function foldOr(parts: Compiled[]): Compiled {
  if (parts.some((p) => p === true)) return true;
  const preds = sortedPreds(parts);
  const r = foldOrPreds(preds);
  if (typeof r === 'function') COST.set(r, preds.reduce((s, p) => s + costOf(p), 0));
  return r;
}

function foldOrPreds(preds: Predicate[]): Compiled {
  if (preds.length === 0) return false;
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) { const [a, b] = preds; return (e, c) => a(e, c) || b(e, c); }
  return (e, c) => {
    for (let i = 0; i < preds.length; i++) if (preds[i](e, c)) return true;
    return false;
  };
}

export type { Node as CompileNode };
