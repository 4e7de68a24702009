// `npm run fuzz`: the long fuzz run of issue 16, on demand (CI runs a bounded one inside `npm test`).
//   node test/fuzz.mjs [--runs N] [--only native|ts]
// Native: native/fuzz/run.sh per libFuzzer harness for N inputs (default 1 000 000; a crash input is written to
// native/build/fuzz/<name>-crash-*). TS: every *.fuzz.test.ts with GLASSHOUSE_FUZZ_RUNS=N and no test timeout (the
// properties that open real files or build a rule engine run a fixed fraction of N, as each file says).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('--runs', '1000000'));
const only = opt('--only', '');
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive whole number, not "${opt('--runs')}"`);
  process.exit(2);
}

const results = [];
function step(name, cmd, cmdArgs, opts = {}) {
  const t = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
  const ok = r.status === 0;
  results.push(`${ok ? 'ok    ' : 'FAILED'} ${name} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  return ok;
}

if (only !== 'ts') {
  if (step('build the fuzz harnesses', 'make', ['-C', 'native', 'fuzz'])) {
    for (const name of ['fuzz_ctl', 'fuzz_seed']) step(`${name}: ${runs} inputs`, 'sh', ['fuzz/run.sh', name, `-runs=${runs}`], { cwd: join(root, 'native') });
  }
}
if (only !== 'native') {
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (f === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.fuzz.test.ts')) files.push(relative(root, p));
    }
  };
  walk(join(root, 'electron'));
  for (const f of files.sort()) {
    step(`${f}: ${runs} inputs per property`, process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'build/vitest.config.ts',
      '--project', 'unit', '--testTimeout=0', f], { env: { ...process.env, GLASSHOUSE_FUZZ_RUNS: String(runs) } });
  }
}
console.log(`\n${results.join('\n')}`);
process.exit(results.every((r) => r.startsWith('ok')) ? 0 : 1);
