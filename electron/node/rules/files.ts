// Rule files on disk: the built-in pack shipped in assets/rules and the user's own rule files.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleEngine, markExpected, type ExpectationScope, type RuleSource } from '../../common/rules';
import type { Finding } from '../../common/model/finding';

/** assets/rules beside the app: two levels up from both electron/node/rules (sources) and dist/electron (bundle). */
export function builtinRulesDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.GLASSHOUSE_RULES_DIR, join(__dirname, '..', '..', 'assets', 'rules'), join(__dirname, '..', '..', '..', 'assets', 'rules')];
  return candidates.find((d): d is string => !!d && existsSync(d));
}

/** YAML files of a folder in name order (Falco loads files in the order given; we give name order). */
export function ruleSourcesIn(dir: string | undefined): RuleSource[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
    .map((f) => ({ name: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

export function builtinRuleSources(env: NodeJS.ProcessEnv = process.env): RuleSource[] {
  return ruleSourcesIn(builtinRulesDir(env));
}

/** The folder where "mark as expected" writes exceptions and users drop their own rules. */
export function userRulesDir(dataDir: string): string {
  const dir = join(dataDir, 'rules');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Built-in pack, then the user's files (so their appends and overrides apply), then any extra files given for one run. */
export function loadRuleEngine(dataDir: string | undefined, env: NodeJS.ProcessEnv = process.env, extraRules: RuleSource[] = []): RuleEngine {
  return RuleEngine.fromSources([...builtinRuleSources(env), ...(dataDir ? ruleSourcesIn(join(dataDir, 'rules')) : []), ...extraRules]);
}

/**
 * The rule set, compiled once and again only when the user's rule files change (e.g. "mark as expected" wrote one):
 * compiling the pack costs far more than checking a folder's file times.
 */
export function cachedRuleEngine(dataDir: string, env: NodeJS.ProcessEnv = process.env, extraRules: RuleSource[] = []): () => RuleEngine {
  let cached: { stamp: string; engine: RuleEngine } | undefined;
  return () => {
    const dir = join(dataDir, 'rules');
    let stamp = '';
    try {
      stamp = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}`).join('|');
    } catch {
      stamp = 'none';
    }
    if (!cached || cached.stamp !== stamp) cached = { stamp, engine: loadRuleEngine(dataDir, env, extraRules) };
    return cached.engine;
  };
}

/** The user-owned file that "mark as expected" appends Falco exceptions to (loaded after the built-in pack). */
export const EXPECTATIONS_FILE = 'glasshouse_expected.yaml';

/** Adds the exception for this finding to the user's expectations file; a failed write leaves the file as it was. */
export function writeExpectation(dataDir: string, finding: Finding, scope: ExpectationScope): string {
  const path = join(userRulesDir(dataDir), EXPECTATIONS_FILE);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Findings marked as expected in Glasshouse. Falco rule format: edit freely.\n';
  const after = markExpected(before, finding, scope);
  if (after !== before) {
    writeFileSync(`${path}.tmp`, after);
    renameSync(`${path}.tmp`, path);
  }
  return path;
}
