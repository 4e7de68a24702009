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
// GH_BENCH_ENGINES=docker26,podman: run the chosen benches on the system engine, then on each engine of the matrix
// (.ci/engines.sh starts and stops it; the bench follows DOCKER_HOST), one after another in one run.
const engines = [undefined, ...(process.env.GH_BENCH_ENGINES ?? '').split(',').filter(Boolean)];
for (const engine of engines) {
  let env = process.env;
  if (engine) {
    const sh = (action) => spawnSync('bash', [join(root, '.ci/engines.sh'), action, engine], { cwd: root, encoding: 'utf8' });
    const started = sh('start');
    if (started.status !== 0) { console.log(`engine ${engine} did not start:\n${started.stdout}${started.stderr}`); failed++; continue; }
    env = { ...process.env, ...Object.fromEntries(sh('env').stdout.trim().split('\n').map((l) => l.split('=', 2))) };
  }
  for (const file of found.sort()) {
    const rel = relative(root, file);
    if (wanted.length && !wanted.some((w) => rel.includes(w))) continue;
    console.log(`\n### ${rel}${engine ? ` on ${engine}` : engines.length > 1 ? ' on the system engine' : ''}`);
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'build/vitest.bench.config.ts', rel],
      { cwd: root, stdio: 'inherit', env });
    if (r.status !== 0) failed++;
  }
  if (engine) spawnSync('bash', [join(root, '.ci/engines.sh'), 'stop', engine], { cwd: root, stdio: 'inherit' });
}
process.exit(failed ? 1 : 0);
