// Layering lint: runs dependency-cruiser with build/dependency-cruiser.cjs and reports each violation as
// "bad layering: A may not import B" with the rule that forbids it.
import { cruise } from 'dependency-cruiser';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const config = createRequire(import.meta.url)('./dependency-cruiser.cjs');
const result = await cruise(['electron', 'renderer/src', 'test'], { ruleSet: { forbidden: config.forbidden }, validate: true, ...config.options }, undefined, { tsConfig: { fileName: 'tsconfig.json' } });
const out = result.output;
const bad = out.summary.violations;
const comments = Object.fromEntries(config.forbidden.map((r) => [r.name, r.comment]));
for (const v of bad) {
  console.error(`bad layering: ${v.from} may not import ${v.to} (${v.rule.name}: ${comments[v.rule.name] ?? ''})`);
}
console.log(`layering: ${out.summary.totalCruised} modules, ${bad.length} violation(s)`);
process.exit(bad.length ? 1 : 0);
