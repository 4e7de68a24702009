// Falco condition syntax → AST: and/or/not, parentheses, comparisons, macro references; offsets kept for errors.

export const BINARY_OPS = [
  '=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'pmatch', 'startswith', 'endswith', 'contains',
  'icontains', 'bcontains', 'bstartswith', 'glob', 'iglob', 'regex',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
export type Op = BinaryOp | 'exists';

/** Operators that take a parenthesised list on the right. */
export const LIST_OPS: ReadonlySet<string> = new Set(['in', 'intersects', 'pmatch']);
const WORD_OPS = ['intersects', 'bstartswith', 'startswith', 'endswith', 'icontains', 'bcontains', 'contains', 'pmatch', 'iglob', 'glob', 'regex', 'exists', 'in'];

export interface ValueToken {
  text: string;
  /** Written in quotes: never a list name. */
  quoted: boolean;
  pos: number;
}

export type ConditionNode =
  | { t: 'and' | 'or'; items: ConditionNode[]; pos: number }
  | { t: 'not'; item: ConditionNode; pos: number }
  | { t: 'cmp'; field: string; op: Op; values: ValueToken[]; pos: number }
  | { t: 'macro'; name: string; pos: number }
  | { t: 'const'; value: boolean; pos: number };

export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
    this.name = 'ConditionSyntaxError';
  }
}

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
const isFieldChar = (c: string) => /[A-Za-z0-9_.\-]/.test(c);

export function parseCondition(src: string): ConditionNode {
  let i = 0;
  const n = src.length;

  const ws = () => { while (i < n && /\s/.test(src[i])) i++; };
  const fail = (msg: string, at = i): never => { throw new ConditionSyntaxError(msg, at); };
  const describe = () => (i >= n ? 'the end of the condition' : `"${src.slice(i, i + 12).split(/\s/)[0] || src[i]}"`);

  /** A keyword at i, followed by a non-identifier character. */
  const keyword = (kw: string): boolean => {
    if (src.startsWith(kw, i) && (i + kw.length >= n || !isFieldChar(src[i + kw.length]) || src[i + kw.length] === '.')) {
      if (i + kw.length < n && src[i + kw.length] === '.') return false;
      return true;
    }
    return false;
  };

  function parseOr(): ConditionNode {
    const pos = i;
    const items = [parseAnd()];
    for (;;) {
      ws();
      if (!keyword('or')) break;
      i += 2;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0] : { t: 'or', items, pos };
  }

  function parseAnd(): ConditionNode {
    const pos = i;
    const items = [parseNot()];
    for (;;) {
      ws();
      if (!keyword('and')) break;
      i += 3;
      items.push(parseNot());
    }
    return items.length === 1 ? items[0] : { t: 'and', items, pos };
  }

  function parseNot(): ConditionNode {
    ws();
    const pos = i;
    if (keyword('not')) {
      i += 3;
      return { t: 'not', item: parseNot(), pos };
    }
    return parsePrimary();
  }

  function parsePrimary(): ConditionNode {
    ws();
    const pos = i;
    if (src[i] === '(') {
      i++;
      const inner = parseOr();
      ws();
      if (src[i] !== ')') fail(`expected ")" to close the "(" at offset ${pos}, found ${describe()}`);
      i++;
      return inner;
    }
    if (i >= n) fail('expected a field, a macro or "(" but the condition ended');
    if (!isIdentStart(src[i])) fail(`expected a field, a macro or "(" but found ${describe()}`);
    let name = readFieldName();
    if (name === 'and' || name === 'or') fail(`"${name}" needs an expression before it`, pos);
    ws();
    const op = readOperator();
    if (!op) {
      if (name.includes('.') || name.includes('[')) {
        fail(`expected an operator after field "${name}", found ${describe()}`);
      }
      if (name === 'true' || name === 'false') return { t: 'const', value: name === 'true', pos };
      return { t: 'macro', name, pos };
    }
    if (op === 'exists') return { t: 'cmp', field: name, op, values: [], pos };
    ws();
    if (LIST_OPS.has(op)) {
      return { t: 'cmp', field: name, op, values: readList(op), pos };
    }
    if (src[i] === '(') {
      // A single value in parentheses is accepted by Falco for scalar operators too, e.g. `fd.name = (x)`.
      const vals = readList(op);
      if (vals.length !== 1) fail(`operator "${op}" takes one value, not a list`, pos);
      return { t: 'cmp', field: name, op, values: vals, pos };
    }
    const v = readValue();
    if (!v) fail(`expected a value after "${op}", found ${describe()}`);
    name = name.trim();
    return { t: 'cmp', field: name, op, values: [v!], pos };
  }

  function readFieldName(): string {
    const start = i;
    while (i < n && isFieldChar(src[i])) i++;
    if (src[i] === '[') {
      const close = src.indexOf(']', i);
      if (close < 0) fail('unclosed "[" in field name', i);
      i = close + 1;
    }
    return src.slice(start, i);
  }

  function readOperator(): Op | undefined {
    for (const sym of ['==', '!=', '<=', '>=', '=', '<', '>']) {
      if (src.startsWith(sym, i)) { i += sym.length; return sym as Op; }
    }
    for (const w of WORD_OPS) {
      if (src.startsWith(w, i) && (i + w.length >= n || !isFieldChar(src[i + w.length]))) {
        i += w.length;
        return w as Op;
      }
    }
    return undefined;
  }

  function readQuoted(): ValueToken {
    const pos = i;
    const q = src[i++];
    let out = '';
    while (i < n && src[i] !== q) {
      if (src[i] === '\\' && i + 1 < n) { out += src[i + 1]; i += 2; continue; }
      out += src[i++];
    }
    if (i >= n) fail(`unterminated string starting with ${q}`, pos);
    i++;
    return { text: out, quoted: true, pos };
  }

  /** A bare word runs to whitespace, a comma or a closing parenthesis: `/etc/`, `<`, `S_ISUID`. */
  function readBare(inList: boolean): ValueToken | undefined {
    const pos = i;
    let depth = 0;
    while (i < n && !/\s/.test(src[i]) && !(inList && src[i] === ',')) {
      if (src[i] === '(') depth++;
      if (src[i] === ')') { if (depth === 0) break; depth--; }
      i++;
    }
    if (i === pos) return undefined;
    return { text: src.slice(pos, i), quoted: false, pos };
  }

  function readValue(inList = false): ValueToken | undefined {
    ws();
    if (src[i] === '"' || src[i] === "'") return readQuoted();
    return readBare(inList);
  }

  function readList(op: string): ValueToken[] {
    ws();
    if (src[i] !== '(') {
      // Lenient: `proc.name in shell_binaries` names a list without parentheses.
      const v = readBare(false);
      if (!v) fail(`expected "(" and a list after "${op}", found ${describe()}`);
      return [v!];
    }
    const open = i++;
    const values: ValueToken[] = [];
    ws();
    if (src[i] === ')') { i++; return values; }
    for (;;) {
      const v = readValue(true);
      if (!v) fail(`expected a list item, found ${describe()}`);
      values.push(v!);
      ws();
      if (src[i] === ',') { i++; continue; }
      if (src[i] === ')') { i++; break; }
      fail(i >= n ? `list opened at offset ${open} is not closed with ")"` : `expected "," or ")" in the list, found ${describe()}`);
    }
    return values;
  }

  ws();
  if (i >= n) fail('the condition is empty', 0);
  const ast = parseOr();
  ws();
  if (i < n) fail(src[i] === ')' ? 'unbalanced ")"' : `unexpected ${describe()}: expected "and", "or" or the end of the condition`);
  return ast;
}

/** Macro names a condition refers to (for dependency checks and `rules list`). */
export function macroRefs(node: ConditionNode, out: Set<string> = new Set()): Set<string> {
  switch (node.t) {
    case 'and': case 'or': node.items.forEach((x) => macroRefs(x, out)); break;
    case 'not': macroRefs(node.item, out); break;
    case 'macro': out.add(node.name); break;
    default: break;
  }
  return out;
}
