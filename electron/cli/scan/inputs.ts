// Finds what a scan reads from disk: the rule pack, the compose file (for SARIF locations) and glasshouse.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FileFormatError } from '../../common/ipc/errors';
import { RuleEngine, formatDiagnostic, type RuleSource } from '../../common/rules';

const PACK = join('assets', 'rules', 'glasshouse_rules.yaml');

/** The built-in pack: beside the bundle (dist/electron/… → ../../assets) or the source tree, or GLASSHOUSE_ASSETS. */
export function defaultRulesFile(env: NodeJS.ProcessEnv): string | undefined {
  const starts = [env.GLASSHOUSE_ASSETS ? resolve(env.GLASSHOUSE_ASSETS, '..') : undefined,
    typeof __dirname === 'string' ? __dirname : undefined, process.cwd()].filter((x): x is string => !!x);
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, PACK))) return join(dir, PACK);
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

/** Loads the default pack plus user files; load errors in one rule disable that rule only, and are returned. */
export function loadRules(files: string[]): { engine: RuleEngine; warnings: string[] } {
  const sources: RuleSource[] = files.map((f) => {
    try { return { name: f, text: readFileSync(f, 'utf8') }; } catch (e) {
      throw new FileFormatError(`The rules file ${f} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'Check the path passed to --rules.');
    }
  });
  const engine = RuleEngine.fromSources(sources);
  const warnings = engine.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  return { engine, warnings };
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export function findComposeFile(cwd: string): string | undefined {
  return COMPOSE_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
}
