// Property-based fuzzing of the rules path (issue 16): the condition parser, and the YAML loader with the compiler
// behind it (RuleEngine.fromSources), fed arbitrary text and valid rules files with lines and characters changed.
// Every rejected input must come back as located diagnostics (file:line:column, a sentence) or a
// ConditionSyntaxError with its offset, never a throw and never a hang. GLASSHOUSE_FUZZ_RUNS sets the inputs per
// property (see test/README.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from './condition';
import { RuleEngine } from './engine';
import type { Diagnostic } from './loader';

const RUNS = Number(process.env.GLASSHOUSE_FUZZ_RUNS ?? 1000);
// compiling a rule is the costly part: a fifth of the inputs for the properties that build an engine
const ENGINE_RUNS = Math.max(100, Math.floor(RUNS / 5));
const FILE = 'fuzz/rules.yaml';

const VALID = `- required_engine_version: 0.26.0
- list: shell_binaries
  items: [sh, bash, "dash"]
- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=<)
- macro: container
  condition: (container.id != host)
- rule: Shell in container
  desc: "A shell ran in a container. Fix: do not exec shells."
  condition: >
    spawned_process and container
    and proc.name in (shell_binaries)
    and not proc.pname startswith "runc"
  output: "Shell %proc.name by %user.name in %container.name (cmd=%proc.cmdline)"
  priority: WARNING
  tags: [container, shell, mitre_execution, T1059]
  exceptions:
    - name: known
      fields: [proc.name, container.image.repository]
      comps: [=, startswith]
      values:
        - [bash, ghcr.io/acme/tools]
- rule: Write below etc
  desc: A file below /etc was opened for writing.
  condition: evt.type in (open, openat) and fd.name glob "/etc/*" and evt.arg.flags contains O_WRONLY
  output: "%fd.name written by %proc.name"
  priority: ERROR
- rule: Shell in container
  override:
    condition: append
  condition: and proc.aname[2] != sshd
- list: shell_binaries
  append: true
  items: [zsh]
`;
const LINES = VALID.split('\n');

function checkDiagnostics(diags: Diagnostic[], lines: number): void {
  for (const d of diags) {
    expect(d.file).toBe(FILE);
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1, `line ${d.line} of ${lines}: ${d.message}`).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1, `column ${d.column}: ${d.message}`).toBe(true);
    expect(['error', 'warning']).toContain(d.severity);
    expect(typeof d.message === 'string' && d.message.length > 3).toBe(true);
  }
}

function load(text: string): RuleEngine {
  const engine = RuleEngine.fromSources([{ name: FILE, text }]);
  checkDiagnostics(engine.diagnostics, text.split('\n').length);
  return engine;
}

// pieces conditions are made of, so generated conditions reach deep into the grammar
const TOKENS = ['evt.type', 'proc.name', 'fd.name', 'proc.aname[2]', 'container.id', 'evt.arg.flags', '=', '!=', '<', '>=', 'in', 'contains',
  'startswith', 'glob', 'pmatch', 'intersects', 'exists', 'and', 'or', 'not', '(', ')', ',', '"a b"', "'x'", 'execve', 'open', 'host', '/etc/*',
  'spawned_process', 'container', 'shell_binaries', '\\', '"', '%', '0x10', '-1', '[', ']', 'evt.dir', '<', 'true', 'false'];
const conditionArb = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join('')),
);

/** A line edit of the valid file: delete, duplicate, swap two lines, or change characters in one. */
const editArb = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(LINES.length - 1) }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat(LINES.length - 1) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(LINES.length - 1), to: fc.nat(LINES.length - 1) }),
  fc.record({ op: fc.constant('chars' as const), at: fc.nat(LINES.length - 1), col: fc.nat(80), text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...TOKENS, ':', '- ', '  ', '&a', '*a', '!!', '{', '}', '#', '|', '>', '\t')), cut: fc.nat(3) }),
);

interface Edit { op: 'delete' | 'dup' | 'swap' | 'chars'; at: number; to?: number; col?: number; text?: string; cut?: number }

function edit(lines: string[], e: Edit): string[] {
  const out = [...lines];
  if (out.length === 0) return out;
  const at = e.at % out.length;
  if (e.op === 'delete') out.splice(at, 1);
  else if (e.op === 'dup') out.splice(at, 0, out[at]);
  else if (e.op === 'swap') { const to = e.to! % out.length; [out[at], out[to]] = [out[to], out[at]]; }
  else { const l = out[at], c = Math.min(e.col!, l.length); out[at] = l.slice(0, c) + e.text! + l.slice(c + e.cut!); }
  return out;
}

describe('rules under fuzzing', () => {
  it('the valid sample loads clean (the mutations below start from a file that works)', () => {
    const engine = load(VALID);
    expect(engine.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(engine.rules.map((r) => r.name)).toEqual(['Shell in container', 'Write below etc']);
  });

  it('YAML aliases that would expand exponentially (a billion laughs) are not expanded', () => {
    const bomb = ['- list: a0', '  items: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) bomb.push(`- list: a${i}`, `  items: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const engine = load(bomb.join('\n'));
    const lists = (engine as unknown as { lists: Map<string, { items: string[] }> }).lists;
    expect(lists.size).toBe(9);
    for (const l of lists.values()) expect(Math.max(...l.items.map((x) => x.length))).toBeLessThan(100);
  });

  it('regression: an exception without "fields" is reported, and the engine still builds', () => {
    const engine = load(VALID.replace('      fields: [proc.name, container.image.repository]\n', ''));
    expect(engine.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([`${FILE}:18: exception "known" needs "fields"`]);
    expect(engine.rules.map((r) => r.name)).toEqual(['Shell in container', 'Write below etc']);
  });

  it('parseCondition: a tree or a ConditionSyntaxError with an offset inside the text', () => {
    fc.assert(fc.property(conditionArb, (src) => {
      try {
        parseCondition(src);
      } catch (err) {
        expect(err).toBeInstanceOf(ConditionSyntaxError);
        const pos = (err as ConditionSyntaxError).pos;
        expect(Number.isInteger(pos) && pos >= 0 && pos <= src.length, `offset ${pos} of ${src.length}`).toBe(true);
        expect((err as Error).message.length).toBeGreaterThan(3);
      }
    }), { numRuns: RUNS });
  });

  it('a rule with an arbitrary condition: compiled, or a located diagnostic', () => {
    fc.assert(fc.property(conditionArb, (cond) => {
      const text = `- rule: R\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: o\n  priority: INFO\n`;
      load(text);
    }), { numRuns: ENGINE_RUNS });
  });

  it('arbitrary text as a rules file: located diagnostics, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom(...LINES), { maxLength: 30 }).map((l) => l.join('\n'))), (text) => {
      load(text);
    }), { numRuns: ENGINE_RUNS });
  });

  it('the valid file with lines and characters changed: located diagnostics, never a throw', () => {
    fc.assert(fc.property(fc.array(editArb, { minLength: 1, maxLength: 5 }), (edits) => {
      let lines = LINES;
      for (const e of edits) lines = edit(lines, e);
      load(lines.join('\n'));
    }), { numRuns: ENGINE_RUNS });
  });
});
