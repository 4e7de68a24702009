// The rule engine: loads Falco rule files, compiles every rule once per event kind, evaluates events by kind.
import { EVENT_KINDS, type EventKind, type RuntimeEvent } from '../model/event';
import type { Severity } from '../model/finding';
import type { RuleContext } from './context';
import { CompileError, Compiler, MacroTable, exceptionNodes, parseLocated, type Predicate, type CompileNode } from './compile';
import { loadRuleSources, type Diagnostic, type RuleSource, type SourceLoc, type LoadedRules } from './loader';
import { parseOutput, type OutputFormat } from './output';
import { nextEpoch } from './fields';
import { KindPrefilter, type Guard } from './prefilter';

/** Falco priority → Glasshouse severity (shared/reference/integrations.md §8). */
export function severityOfPriority(priority: string): Severity {
  switch (priority.toLowerCase()) {
    case 'emergency': case 'alert': case 'critical': return 'critical';
    case 'error': return 'high';
    case 'warning': return 'medium';
    case 'notice': return 'low';
    default: return 'info';
  }
}

const MITRE_RE = /^T\d{4}(\.\d{3})?$/;

/**
 * Where the pack keeps why and fix: in `desc`, as "<why> Fix: <fix>". Falco shows desc verbatim and rejects
 * no part of it, so a rules file stays loadable by Falco itself.
 */
export function splitDesc(desc: string): { why: string; fix: string } {
  const m = /^([\s\S]*?)\s*\bFix:\s*([\s\S]*)$/.exec(desc.trim());
  if (!m) return { why: desc.trim(), fix: '' };
  return { why: m[1].trim(), fix: m[2].trim() };
}

export interface CompiledRule {
  name: string;
  desc: string;
  why: string;
  fix: string;
  priority: string;
  severity: Severity;
  tags: string[];
  mitre: string[];
  /** Loaded, compiled and switched on. */
  enabled: boolean;
  /** Why the rule does not run, when it does not. */
  disabledReason?: string;
  loc: SourceLoc;
  /** Event kinds the rule can match (its index entries). */
  kinds: EventKind[];
  output: OutputFormat;
}

export interface RuleMatch {
  rule: CompiledRule;
  event: RuntimeEvent;
}

export interface RuleEngineOptions {
  /** Rule names to switch off (Falco's -D). */
  disabled?: Iterable<string>;
  /** Only rules carrying one of these tags run (Falco's -T inverse, -t). */
  onlyTags?: Iterable<string>;
  /**
   * Reject rules through the shared prefilter before running their predicates (default true). Off only to
   * check that it changes nothing (the equivalence tests compare both).
   */
  prefilter?: boolean;
}

interface IndexEntry { rule: CompiledRule; pred: Predicate | true; guard?: Guard }

export class RuleEngine {
  readonly rules: CompiledRule[] = [];
  readonly diagnostics: Diagnostic[];
  private index: Record<string, IndexEntry[]> = {};
  private prefilters: Record<string, KindPrefilter | undefined> = {};
  private tick = 0;
  private lists: Map<string, { items: string[] }>;

  private constructor(loaded: LoadedRules, opts: RuleEngineOptions) {
    this.diagnostics = [...loaded.diagnostics];
    this.lists = loaded.lists;
    const off = new Set(opts.disabled ?? []);
    const onlyTags = opts.onlyTags ? new Set(opts.onlyTags) : undefined;
    for (const k of EVENT_KINDS) this.index[k] = [];
    const macros = new MacroTable({ lists: loaded.lists, macros: loaded.macros });

    // Report every macro syntax error where the macro is written, even when no rule uses it.
    for (const m of loaded.macros.values()) {
      const r = macros.get(m.name);
      if (r instanceof CompileError) this.diag('error', r.loc, r.message, `macro "${m.name}"`);
    }

    for (const def of loaded.rules.values()) {
      const { why, fix } = splitDesc(def.desc);
      const output = parseOutput(def.output);
      const rule: CompiledRule = {
        name: def.name, desc: def.desc, why, fix, priority: def.priority, severity: severityOfPriority(def.priority),
        tags: def.tags, mitre: def.tags.filter((t) => MITRE_RE.test(t)), enabled: false, loc: def.loc, kinds: [], output,
      };
      this.rules.push(rule);
      const label = `rule "${def.name}"`;
      for (const f of output.unsupported) {
        this.diag('warning', def.outputLoc, `output uses unsupported field "${f}"; it will show <NA>`, label);
      }
      if (def.source !== 'syscall') {
        rule.disabledReason = `event source "${def.source}" is not supported`;
        this.diag('warning', def.loc, `${rule.disabledReason}; the rule is disabled`, label);
        continue;
      }
      const parsed = parseLocated(def.condition, label);
      if (parsed instanceof CompileError) {
        rule.disabledReason = parsed.message;
        this.diag('error', parsed.loc, parsed.message, label);
        continue;
      }
      const exc = exceptionNodes(def.exceptions);
      const root: CompileNode = exc ? { t: 'and', items: [parsed, exc], pos: 0 } : parsed;
      const compiler = new Compiler({ lists: loaded.lists, macros: loaded.macros }, macros);
      const perKind: Array<[EventKind, Predicate | true, Guard | undefined]> = [];
      try {
        for (const kind of EVENT_KINDS) {
          const c = compiler.compile(root, kind, def.condition.locate);
          if (c !== false) perKind.push([kind, c, opts.prefilter === false || c === true ? undefined : compiler.guard(root, kind)]);
        }
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        rule.disabledReason = e.message;
        if (e.unsupportedField) this.diag('warning', e.loc, `${e.message}; the rule is disabled`, label);
        else this.diag('error', e.loc, e.message, label);
        continue;
      }
      rule.kinds = perKind.map(([k]) => k);
      if (perKind.length === 0) {
        rule.disabledReason = 'the condition can never match any event kind Glasshouse traces';
        this.diag('warning', def.loc, `${rule.disabledReason}; check its evt.type values`, label);
        continue;
      }
      if (perKind.length === EVENT_KINDS.length) {
        this.diag('warning', def.loc, 'the condition does not restrict evt.type, so it runs on every event; add an evt.type test', label);
      }
      if (!def.enabled) { rule.disabledReason = 'enabled: false'; continue; }
      if (off.has(def.name)) { rule.disabledReason = 'disabled by configuration'; continue; }
      if (onlyTags && !def.tags.some((t) => onlyTags.has(t))) { rule.disabledReason = 'no selected tag'; continue; }
      rule.enabled = true;
      for (const [k, pred, guard] of perKind) this.index[k].push({ rule, pred, guard });
    }
    for (const k of EVENT_KINDS) {
      const entries = this.index[k];
      if (entries.some((e) => e.guard && e.guard !== 'never')) this.prefilters[k] = new KindPrefilter(k, entries.map((e) => e.guard));
    }
  }

  static fromSources(sources: RuleSource[], opts: RuleEngineOptions = {}): RuleEngine {
    return new RuleEngine(loadRuleSources(sources), opts);
  }

  /** Items of a named list after all appends (e.g. glasshouse_posture_expected, sensitive_read_prefixes). */
  list(name: string): string[] | undefined {
    return this.lists.get(name)?.items;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }

  /** Rules that can fire for this kind, in load order. */
  rulesFor(kind: EventKind): CompiledRule[] {
    return (this.index[kind] ?? []).map((e) => e.rule);
  }

  /** Calls `onMatch` for each rule the event satisfies. Allocation-free when nothing matches. */
  evaluate(ev: RuntimeEvent, ctx: RuleContext, onMatch: (m: RuleMatch) => void): number {
    const entries = this.index[ev.kind];
    if (!entries) return 0;
    nextEpoch();
    let n = 0;
    const pf = this.prefilters[ev.kind];
    if (pf) {
      const tick = (this.tick = (this.tick + 1) | 0);
      const run = pf.positions(ev, ctx, tick);
      if (run) {
        for (let j = 0; j < run.length; j++) {
          const e = entries[run[j]];
          if (e.pred === true || e.pred(ev, ctx)) {
            n++;
            onMatch({ rule: e.rule, event: ev });
          }
        }
        return n;
      }
      pf.admit(ev, ctx, tick);
      const { guarded, stamp } = pf;
      for (let i = 0; i < entries.length; i++) {
        if (guarded[i] === 1 && stamp[i] !== tick) continue;
        const e = entries[i];
        if (e.pred === true || e.pred(ev, ctx)) {
          n++;
          onMatch({ rule: e.rule, event: ev });
        }
      }
      return n;
    }
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.pred === true || e.pred(ev, ctx)) {
        n++;
        onMatch({ rule: e.rule, event: ev });
      }
    }
    return n;
  }

  /** How many of a kind's rules the prefilter can reject without running them (for benchmarks and tests). */
  prefilterCoverage(kind: EventKind): { rules: number; guarded: number; fields: number; cached: boolean } {
    const entries = this.index[kind] ?? [];
    const pf = this.prefilters[kind];
    return { rules: entries.length, guarded: pf ? pf.guarded.reduce((a, b) => a + b, 0) : 0, fields: pf?.fieldCount ?? 0, cached: pf?.cached ?? false };
  }

  /** Convenience for tests and the CLI: the matches as an array. */
  matches(ev: RuntimeEvent, ctx: RuleContext): RuleMatch[] {
    const out: RuleMatch[] = [];
    this.evaluate(ev, ctx, (m) => out.push(m));
    return out;
  }

  private diag(severity: Diagnostic['severity'], loc: SourceLoc, message: string, item?: string): void {
    this.diagnostics.push({ severity, ...loc, message, item });
  }
}
