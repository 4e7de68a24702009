// Falco rules YAML → lists, macros and rules, applying append/override in load order; every problem located.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type Scalar, type YAMLMap } from 'yaml';

export interface RuleSource {
  /** File name or path as shown in messages. */
  name: string;
  text: string;
}

export interface SourceLoc {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic extends SourceLoc {
  severity: 'error' | 'warning';
  message: string;
  /** `rule "Name"`, `macro "name"`, … when the problem belongs to one item. */
  item?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.item ? `${d.item}: ` : ''}${d.message}`;
}

/** Text from one or more YAML scalars (appends), able to say where any offset came from. */
export interface LocatedText {
  text: string;
  locate(offset: number): SourceLoc;
}

export interface ExceptionDef {
  name: string;
  /** One field (values are then plain values) or several (values are tuples). */
  fields: string | string[];
  comps: string | string[];
  values: unknown[];
  loc: SourceLoc;
}

export interface ListDef { name: string; items: string[]; loc: SourceLoc }
export interface MacroDef { name: string; condition: LocatedText; loc: SourceLoc }
export interface RuleDef {
  name: string;
  condition: LocatedText;
  output: string;
  desc: string;
  priority: string;
  tags: string[];
  enabled: boolean;
  exceptions: ExceptionDef[];
  /** Falco event source; only `syscall` is evaluated. */
  source: string;
  loc: SourceLoc;
  outputLoc: SourceLoc;
}

export interface LoadedRules {
  lists: Map<string, ListDef>;
  macros: Map<string, MacroDef>;
  rules: Map<string, RuleDef>;
  diagnostics: Diagnostic[];
}

/** The Falco rules engine version this loader implements (compared with `required_engine_version`). */
export const ENGINE_VERSION = '0.50.0';

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

const PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug'];
const RULE_KEYS = new Set(['rule', 'condition', 'output', 'desc', 'priority', 'tags', 'enabled', 'exceptions', 'source', 'append', 'override', 'warn_evttypes', 'skip-if-unknown-filter', 'skip_if_unknown_filter', 'required_engine_version', 'capture', 'capture_duration']);
const OVERRIDABLE: Record<string, Record<string, Array<'append' | 'replace'>>> = {
  rule: {
    condition: ['append', 'replace'], output: ['append', 'replace'], desc: ['append', 'replace'],
    priority: ['replace'], tags: ['append', 'replace'], exceptions: ['append', 'replace'], enabled: ['replace'],
    source: ['replace'], warn_evttypes: ['replace'], 'skip-if-unknown-filter': ['replace'], capture: ['replace'], capture_duration: ['replace'],
  },
  macro: { condition: ['append', 'replace'] },
  list: { items: ['append', 'replace'] },
};

/** Loads files in order: later files append to or override items of earlier ones, as Falco's -r order does. */
export function loadRuleSources(sources: RuleSource[]): LoadedRules {
  const out: LoadedRules = { lists: new Map(), macros: new Map(), rules: new Map(), diagnostics: [] };
  for (const src of sources) loadOne(src, out);
  return out;
}

function loadOne(src: RuleSource, out: LoadedRules): void {
  const lc = new LineCounter();
  const doc = parseDocument(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourceLoc => {
    const p = lc.linePos(offset ?? 0);
    return { file: src.name, line: p.line, column: p.col };
  };
  const nodeLoc = (n: YamlNode | null | undefined, fallback: SourceLoc): SourceLoc => (n?.range ? at(n.range[0]) : fallback);
  const diag = (severity: Diagnostic['severity'], loc: SourceLoc, message: string, item?: string) =>
    out.diagnostics.push({ severity, ...loc, message, item });

  if (doc.errors.length) {
    for (const e of doc.errors) diag('error', at(e.pos[0]), `YAML syntax: ${e.message.split('\n')[0]}`);
    diag('error', at(doc.errors[0].pos[0]), 'the file was not loaded because its YAML is malformed; fix the syntax error above');
    return;
  }
  for (const w of doc.warnings) diag('warning', at(w.pos[0]), `YAML: ${w.message.split('\n')[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return; // an empty file is valid
  if (!isSeq(root)) {
    diag('error', nodeLoc(root as YamlNode, at(0)), 'a rules file must be a YAML list of items (- list:, - macro:, - rule:)');
    return;
  }

  /** Locator for a scalar's value: maps an offset in the parsed string back into the source. */
  const locatorFor = (node: YamlNode | null | undefined, fallback: SourceLoc): ((off: number) => SourceLoc) => {
    if (!node || !isScalar(node) || !node.range) return () => fallback;
    const sc = node as Scalar;
    const value = String(sc.value ?? '');
    let start = sc.range![0];
    if (sc.type === 'QUOTE_DOUBLE' || sc.type === 'QUOTE_SINGLE') start += 1;
    if (sc.type === 'BLOCK_FOLDED' || sc.type === 'BLOCK_LITERAL') {
      const nl = src.text.indexOf('\n', start);
      start = nl < 0 ? start : nl + 1;
    }
    const end = sc.range![1];
    // Folding changes whitespace only, so the Nth non-blank character of the value is the Nth in the source.
    return (off: number) => {
      let want = 0;
      for (let k = 0; k < Math.min(off, value.length); k++) if (!/\s/.test(value[k])) want++;
      let seen = 0;
      for (let p = start; p < end; p++) {
        if (/\s/.test(src.text[p])) continue;
        if (seen === want) return at(p);
        seen++;
      }
      return at(Math.max(start, end - 1));
    };
  };

  for (const itemNode of root.items) {
    const loc = nodeLoc(itemNode as YamlNode, at(0));
    if (!isMap(itemNode)) {
      diag('error', loc, 'each item must be a mapping with a "list", "macro", "rule" or "required_engine_version" key');
      continue;
    }
    const map = itemNode as YAMLMap;
    const get = (k: string) => map.get(k, true) as YamlNode | undefined;
    const js = (k: string): unknown => {
      const n = get(k);
      return n === undefined ? undefined : (n as { toJSON(): unknown }).toJSON();
    };
    const has = (k: string) => map.has(k);

    if (has('required_engine_version')) {
      const v = js('required_engine_version');
      const want = typeof v === 'number' ? (Number.isInteger(v) ? `0.${v}.0` : String(v)) : String(v);
      if (!/^\d+(\.\d+){0,2}$/.test(want)) diag('error', loc, `required_engine_version "${String(v)}" is not a version number`);
      else if (cmpVersion(want, ENGINE_VERSION) > 0) {
        diag('error', loc, `this file requires rules engine version ${want}, but Glasshouse implements ${ENGINE_VERSION}; some of its rules may use features Glasshouse lacks`);
      }
      continue;
    }
    if (has('required_plugin_versions')) {
      diag('warning', loc, 'plugins are not supported; required_plugin_versions is ignored');
      continue;
    }

    const kind = has('rule') ? 'rule' : has('macro') ? 'macro' : has('list') ? 'list' : undefined;
    if (!kind) {
      const keys = map.items.map((p) => String((p.key as Scalar)?.value ?? p.key)).join(', ');
      diag('warning', loc, `unknown item with keys [${keys}] was skipped; expected "list", "macro" or "rule"`);
      continue;
    }
    const nameRaw = js(kind);
    const label = `${kind} "${String(nameRaw)}"`;
    if (typeof nameRaw !== 'string' || !nameRaw.trim()) {
      diag('error', loc, `${kind} needs a non-empty name`);
      continue;
    }
    const name = nameRaw;

    const appendFlag = js('append');
    if (appendFlag !== undefined && typeof appendFlag !== 'boolean') {
      diag('error', nodeLoc(get('append'), loc), 'append must be true or false', label);
      continue;
    }
    // Override spec: { key: append|replace }. Legacy `append: true` means append for every appendable key given.
    let override: Record<string, 'append' | 'replace'> | undefined;
    if (has('override')) {
      if (appendFlag) { diag('error', loc, '"append" and "override" cannot be used together', label); continue; }
      const ov = js('override');
      if (!ov || typeof ov !== 'object' || Array.isArray(ov)) {
        diag('error', nodeLoc(get('override'), loc), 'override must be a mapping such as {condition: append}', label);
        continue;
      }
      override = {};
      let bad = false;
      for (const [k, v] of Object.entries(ov as Record<string, unknown>)) {
        const allowed = OVERRIDABLE[kind][k];
        if (!allowed) { diag('error', nodeLoc(get('override'), loc), `key "${k}" of a ${kind} cannot be overridden`, label); bad = true; continue; }
        if (v !== 'append' && v !== 'replace') { diag('error', nodeLoc(get('override'), loc), `override of "${k}" must be "append" or "replace", not "${String(v)}"`, label); bad = true; continue; }
        if (!allowed.includes(v)) { diag('error', nodeLoc(get('override'), loc), `"${k}" of a ${kind} can only be replaced, not appended`, label); bad = true; continue; }
        if (!has(k)) { diag('error', nodeLoc(get('override'), loc), `override names "${k}" but the item does not define it`, label); bad = true; continue; }
        override[k] = v;
      }
      if (bad) continue;
    } else if (appendFlag) {
      override = {};
      for (const k of Object.keys(OVERRIDABLE[kind])) if (has(k) && OVERRIDABLE[kind][k].includes('append')) override[k] = 'append';
      if (kind === 'rule' && has('enabled')) override.enabled = 'replace';
    }

    if (kind === 'list') {
      const items = js('items');
      if (!Array.isArray(items)) { diag('error', nodeLoc(get('items') ?? null, loc), 'a list needs "items:" with a YAML sequence', label); continue; }
      const strs = items.map((x) => String(x));
      const prev = out.lists.get(name);
      if (override) {
        if (!prev) { diag('error', loc, `cannot append to or override list "${name}": no earlier list has that name`, label); continue; }
        prev.items = override.items === 'replace' ? strs : [...prev.items, ...strs];
      } else {
        out.lists.set(name, { name, items: strs, loc });
      }
      continue;
    }

    if (kind === 'macro') {
      const condNode = get('condition');
      const cond = js('condition');
      if (typeof cond !== 'string') { diag('error', nodeLoc(condNode ?? null, loc), 'a macro needs "condition:" with a string', label); continue; }
      const located: LocatedText = { text: cond, locate: locatorFor(condNode, nodeLoc(condNode, loc)) };
      const prev = out.macros.get(name);
      if (override) {
        if (!prev) { diag('error', loc, `cannot append to or override macro "${name}": no earlier macro has that name`, label); continue; }
        prev.condition = override.condition === 'replace' ? located : joinText(prev.condition, located);
      } else {
        out.macros.set(name, { name, condition: located, loc });
      }
      continue;
    }

    // rule
    for (const p of map.items) {
      const k = String((p.key as Scalar)?.value ?? '');
      if (!RULE_KEYS.has(k)) diag('warning', nodeLoc(p.key as YamlNode, loc), `unknown key "${k}" is ignored`, label);
    }
    const prev = out.rules.get(name);
    const condNode = get('condition');
    const cond = js('condition');
    const problems: string[] = [];
    const str = (k: string): string | undefined => {
      const v = js(k);
      if (v === undefined) return undefined;
      if (typeof v !== 'string') { problems.push(`"${k}" must be a string`); return undefined; }
      return v;
    };
    const output = str('output');
    const desc = str('desc');
    const priorityRaw = str('priority');
    const source = str('source');
    if (cond !== undefined && typeof cond !== 'string') problems.push('"condition" must be a string');
    const priority = priorityRaw?.toLowerCase();
    if (priority !== undefined && !PRIORITIES.includes(priority)) {
      problems.push(`priority "${priorityRaw}" is not one of ${PRIORITIES.join(', ')}`);
    }
    const tagsRaw = js('tags');
    if (tagsRaw !== undefined && !(Array.isArray(tagsRaw) && tagsRaw.every((t) => typeof t === 'string' || typeof t === 'number'))) {
      problems.push('"tags" must be a list of strings');
    }
    const tags = Array.isArray(tagsRaw) ? tagsRaw.map(String) : undefined;
    const enabledRaw = js('enabled');
    if (enabledRaw !== undefined && typeof enabledRaw !== 'boolean') problems.push('"enabled" must be true or false');
    const exceptions = has('exceptions') ? readExceptions(get('exceptions'), loc, at, problems) : undefined;
    if (problems.length) {
      for (const p of problems) diag('error', loc, p, label);
      continue;
    }
    const located: LocatedText | undefined = typeof cond === 'string'
      ? { text: cond, locate: locatorFor(condNode, nodeLoc(condNode, loc)) } : undefined;

    // Legacy: `- rule: X\n  enabled: false` with no other keys toggles an existing rule.
    const onlyEnabled = map.items.every((p) => ['rule', 'enabled'].includes(String((p.key as Scalar)?.value)));
    if (!override && prev && onlyEnabled && enabledRaw !== undefined) {
      prev.enabled = enabledRaw as boolean;
      continue;
    }

    if (override) {
      if (!prev) { diag('error', loc, `cannot append to or override rule "${name}": no earlier rule has that name`, label); continue; }
      for (const [k, how] of Object.entries(override)) {
        switch (k) {
          case 'condition': prev.condition = how === 'replace' ? located! : joinText(prev.condition, located!); break;
          case 'output': prev.output = how === 'replace' ? output! : `${prev.output} ${output}`; break;
          case 'desc': prev.desc = how === 'replace' ? desc! : `${prev.desc} ${desc}`; break;
          case 'priority': prev.priority = priority!; break;
          case 'tags': prev.tags = how === 'replace' ? tags! : [...prev.tags, ...tags!]; break;
          case 'enabled': prev.enabled = enabledRaw as boolean; break;
          case 'source': prev.source = source!; break;
          case 'exceptions': prev.exceptions = how === 'replace' ? exceptions! : mergeExceptions(prev.exceptions, exceptions!, out, label); break;
          default: break;
        }
      }
      continue;
    }

    const missing = ['condition', 'output', 'desc', 'priority'].filter((k) => !has(k));
    if (missing.length) {
      diag('error', loc, `a rule needs ${missing.map((m) => `"${m}"`).join(', ')}${prev ? ' (to change an existing rule, add "override:" or "append: true")' : ''}`, label);
      continue;
    }
    if (prev) diag('warning', loc, `rule "${name}" is defined again and replaces the earlier definition at ${prev.loc.file}:${prev.loc.line}`, label);
    for (const ex of exceptions ?? []) {
      if (ex.fields === undefined || (Array.isArray(ex.fields) && ex.fields.length === 0)) {
        diag('error', ex.loc, `exception "${ex.name}" needs "fields"`, label);
      }
    }
    out.rules.set(name, {
      name, condition: located!, output: output!, desc: desc!, priority: priority!, tags: tags ?? [],
      enabled: enabledRaw === undefined ? true : (enabledRaw as boolean), exceptions: exceptions ?? [],
      source: source ?? 'syscall', loc, outputLoc: nodeLoc(get('output'), loc),
    });
  }
}

function joinText(a: LocatedText, b: LocatedText): LocatedText {
  const offset = a.text.length + 1;
  return {
    text: `${a.text} ${b.text}`,
    locate: (off) => (off < offset ? a.locate(off) : b.locate(off - offset)),
  };
}

function readExceptions(node: YamlNode | undefined, loc: SourceLoc, at: (o: number) => SourceLoc, problems: string[]): ExceptionDef[] {
  if (!node || !isSeq(node)) { problems.push('"exceptions" must be a list'); return []; }
  const out: ExceptionDef[] = [];
  for (const exNode of node.items) {
    const exLoc = (exNode as YamlNode).range ? at((exNode as YamlNode).range![0]) : loc;
    const ex = (exNode as { toJSON?(): unknown }).toJSON?.() as Record<string, unknown> | undefined;
    if (!ex || typeof ex !== 'object' || typeof ex.name !== 'string') { problems.push(`exception at line ${exLoc.line} needs a "name"`); continue; }
    const fields = ex.fields as string | string[] | undefined;
    if (fields !== undefined && !(typeof fields === 'string' || (Array.isArray(fields) && fields.every((f) => typeof f === 'string')))) {
      problems.push(`exception "${ex.name}": "fields" must be a field or a list of fields`);
      continue;
    }
    const values = (ex.values ?? []) as unknown[];
    if (!Array.isArray(values)) { problems.push(`exception "${ex.name}": "values" must be a list`); continue; }
    let comps = ex.comps as string | string[] | undefined;
    if (comps === undefined) comps = Array.isArray(fields) ? fields.map(() => '=') : 'in';
    if (Array.isArray(fields)) {
      if (!Array.isArray(comps) || comps.length !== fields.length) {
        problems.push(`exception "${ex.name}": "comps" must list one operator per field (${fields.length})`);
        continue;
      }
      const bad = values.findIndex((v) => !Array.isArray(v) || v.length !== fields.length);
      if (bad >= 0) {
        problems.push(`exception "${ex.name}": value ${bad + 1} must be a list of ${fields.length} items, one per field`);
        continue;
      }
    }
    out.push({ name: ex.name, fields: fields as string | string[], comps, values, loc: exLoc });
  }
  return out;
}

function mergeExceptions(prev: ExceptionDef[], add: ExceptionDef[], out: LoadedRules, label: string): ExceptionDef[] {
  const merged = prev.map((e) => ({ ...e, values: [...e.values] }));
  for (const ex of add) {
    const same = merged.find((e) => e.name === ex.name);
    if (same) same.values.push(...ex.values);
    else if (ex.fields === undefined) {
      out.diagnostics.push({ severity: 'error', ...ex.loc, message: `exception "${ex.name}" is new here, so it needs "fields"`, item: label });
    } else merged.push(ex);
  }
  return merged;
}
