// `npm run bench [name...]`: runs the benchmarks in test/bench (each prints its own figures and ratios).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = process.argv.slice(2);
const found = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.bench\.(ts|mjs)$/.test(f)) found.push(p);
  }
};
walk(join(root, 'test/bench'));
let failed = 0;
for (const file of found.sort()) {
  const rel = relative(root, file);
  if (wanted.length && !wanted.some((w) => rel.includes(w))) continue;
  console.log(`\n### ${rel}`);
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'build/vitest.bench.config.ts', rel],
    { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
