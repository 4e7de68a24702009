// `npm test`: type-check every layer, lint the layering, build everything (helper included), run all test projects,
// and close with one plain "N passed, N failed, N skipped" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const projects = args.filter((a) => !a.startsWith('-'));
const out = join(root, 'test-output');
mkdirSync(out, { recursive: true });

const failedSteps = [];
function run(name, cmd, cmdArgs, env = {}) {
  const t = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failedSteps.push(name);
  return r.status === 0;
}

const node = process.execPath;
const steps = [];
if (!args.includes('--no-static')) {
  steps.push(run('typecheck', node, ['build/typecheck.mjs']));
  steps.push(run('layering lint', node, ['build/lint-layers.mjs']));
}
if (!args.includes('--no-build')) steps.push(run('build', node, ['build/build.mjs']));

// The helper's libFuzzer harnesses (native/fuzz): a bounded run of each, replaying the seed corpus and every past
// crasher (native/fuzz/regressions) first. The TS fuzz tests (*.fuzz.test.ts) run in the unit project. Longer runs
// on demand: npm run fuzz (test/README.md).
if (!args.includes('--no-fuzz') && (!projects.length || projects.includes('unit'))) {
  steps.push(run('native fuzz (bounded)', 'make', ['-C', 'native', 'fuzz-run', `FUZZ_SECONDS=${process.env.GLASSHOUSE_FUZZ_SECONDS ?? 8}`]));
}

// Projects run one after another: integration and e2e suites share one dockerd and one helper, and
// 2 cores are not enough to run them side by side without turning load into flakiness.
const PROJECTS = projects.length ? projects : ['unit', 'integration', 'e2e'];
let passed = 0, failed = 0, skipped = 0;
/** Runs one vitest project (optionally some of its files, on another engine) and adds its JSON report to the totals. */
function vitestStep(name, project, reportName, files = [], env = {}) {
  const report = join(out, `${reportName}.json`);
  rmSync(report, { force: true });
  steps.push(run(name, node, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'build/vitest.config.ts',
    '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, '--project', project, ...files], env));
  if (!existsSync(report)) return;
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A suite that fails to load counts no tests: count it as a failure so it can never look green.
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
}
for (const project of PROJECTS) vitestStep(`tests (${project})`, project, `vitest-${project}`);

// The engine matrix: the suites that talk to the engine again on every other engine installed here
// (`.ci/engines.sh install docker26|podman`), one after another, each on its own socket through DOCKER_HOST.
const MATRIX_SUITES = ['test/integration/sensor', 'test/integration/foundation/catalog.test.ts', 'test/integration/export/scan.test.ts',
  'test/integration/actions', 'test/integration/docker', 'test/integration/compose'];
const ENGINES = { docker26: '/opt/glasshouse-engines/docker26/usr/sbin/dockerd', podman: '/usr/bin/podman' };
// Both by default (what differs on Podman is handled and named in README "Engines tested"); GLASSHOUSE_TEST_ENGINES
// picks some (`docker26`, `podman`) or none (empty). Podman's own test (test/integration/docker/podman.test.ts) also
// runs in the main suite.
const wantEngines = (process.env.GLASSHOUSE_TEST_ENGINES ?? 'docker26,podman').split(',').filter((e) => e && ENGINES[e]);
if (!projects.length && !args.includes('--no-matrix')) {
  for (const engine of wantEngines.filter((e) => existsSync(ENGINES[e]))) {
    const sh = (action) => spawnSync('bash', [join(root, '.ci/engines.sh'), action, engine], { cwd: root, encoding: 'utf8' });
    const started = sh('start');
    process.stdout.write(started.stdout + started.stderr);
    if (started.status !== 0) {
      failedSteps.push(`engine ${engine} (did not start)`);
      continue;
    }
    const env = Object.fromEntries(sh('env').stdout.trim().split('\n').map((l) => l.split('=', 2)));
    vitestStep(`tests (integration on ${engine})`, 'integration', `vitest-integration-${engine}`, MATRIX_SUITES, { ...env, GLASSHOUSE_TEST_ENGINE: engine });
    sh('stop');
  }
}

// Failed steps (typecheck, lint, build, unhandled errors in the run) count as failures too, and are named.
if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
failed += failedSteps.filter((s) => !s.startsWith('tests')).length + (failed === 0 && failedSteps.some((s) => s.startsWith('tests')) ? 1 : 0);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(steps.every(Boolean) && failed === 0 && passed > 0 ? 0 : 1);
