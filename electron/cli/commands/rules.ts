// `glasshouse rules check|list|fields`: validate Falco rule files with located errors; show the loaded rules.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError } from '../../common/ipc/errors';
import { RuleEngine, formatDiagnostic, supportedFields, type RuleSource } from '../../common/rules';
import { builtinRuleSources } from '../../node/rules/files';

function readUserFiles(files: string[], io: CliIo): RuleSource[] {
  return files.map((f) => {
    const path = resolve(io.cwd, f);
    try {
      return { name: f, text: readFileSync(path, 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserInputError(code === 'ENOENT' ? `Rules file ${f} does not exist.` : `Rules file ${f} cannot be read (${code ?? (err as Error).message}).`,
        'Check the path; rule files are Falco YAML.');
    }
  });
}

const USAGE = `Usage: glasshouse rules <check|list|fields> [options] [FILE...]

  check FILE...   Validate Falco rule files. They load after the built-in pack, so they may append to or
                  override its lists, macros and rules. Errors and warnings print as file:line:col.
                  Exit status 1 when there are errors (or warnings, with --strict).
      --no-builtin  check the files alone, without the built-in pack
      --strict      treat warnings as errors
  list [FILE...]  Show the rules that would run (built-in pack plus FILEs): severity, MITRE ids, event types.
      --json        machine-readable output
  fields          Show the fields conditions and outputs may use.`;

export const rulesCommand: CliCommand = {
  name: 'rules',
  summary: 'Check Falco-format rule files (located errors) and list the loaded rules',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'fields') {
      for (const f of supportedFields()) io.stdout.write(`${(f.name + (f.arg === 'name' ? '.<arg>' : f.arg ? '[N]' : '')).padEnd(28)} ${f.type.padEnd(7)} ${f.desc}\n`);
      return 0;
    }
    if (sub !== 'check' && sub !== 'list') {
      throw new UserInputError(sub ? `"${sub}" is not a rules subcommand.` : 'glasshouse rules needs a subcommand.', 'Use `glasshouse rules check FILE...`, `rules list` or `rules fields`.');
    }
    const { values, positionals } = parseCommandArgs('rules', rest, {
      'no-builtin': { type: 'boolean' }, strict: { type: 'boolean' }, json: { type: 'boolean' },
    }, true);
    if (sub === 'check' && positionals.length === 0) throw new UserInputError('glasshouse rules check needs at least one rules file.', 'Example: glasshouse rules check ./my_rules.yaml');
    const builtin = values['no-builtin'] ? [] : builtinRuleSources(io.env);
    if (!values['no-builtin'] && builtin.length === 0) io.stderr.write('Warning: the built-in rule pack was not found; checking the files alone. Set GLASSHOUSE_RULES_DIR to its folder.\n');
    const engine = RuleEngine.fromSources([...builtin, ...readUserFiles(positionals, io)]);

    if (sub === 'list') {
      const rules = engine.rules;
      if (values.json) {
        io.stdout.write(`${JSON.stringify(rules.map((r) => ({ name: r.name, severity: r.severity, priority: r.priority, mitre: r.mitre, tags: r.tags, enabled: r.enabled, disabledReason: r.disabledReason, eventTypes: r.kinds, why: r.why, fix: r.fix, file: r.loc.file, line: r.loc.line })), null, 2)}\n`);
      } else {
        for (const r of rules) {
          io.stdout.write(`${r.enabled ? ' ' : '-'} ${r.severity.padEnd(8)} ${r.name}  [${r.mitre.join(', ')}]  on ${r.kinds.join(',') || '-'}${r.enabled ? '' : `  (disabled: ${r.disabledReason})`}\n`);
        }
        io.stdout.write(`${rules.filter((r) => r.enabled).length} of ${rules.length} rules enabled.\n`);
      }
      for (const d of engine.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
      return engine.errors.length ? 1 : 0;
    }

    const errors = engine.diagnostics.filter((d) => d.severity === 'error');
    const warnings = engine.diagnostics.filter((d) => d.severity === 'warning');
    for (const d of engine.diagnostics) io.stdout.write(`${formatDiagnostic(d)}\n`);
    const enabled = engine.rules.filter((r) => r.enabled).length;
    io.stdout.write(`${positionals.join(', ')}: ${errors.length} error(s), ${warnings.length} warning(s); ${enabled} of ${engine.rules.length} rules would run${builtin.length ? ' (including the built-in pack)' : ''}.\n`);
    return errors.length || (values.strict && warnings.length) ? 1 : 0;
  },
};
