// Builds everything into dist/: the CLI + engine, Electron main and preload (esbuild), the renderer (vite), the helper (make).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = new Set(process.argv.slice(2)); // e.g. `node build/build.mjs ts renderer native`
const want = (part) => only.size === 0 || only.has(part);

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const common = {
  bundle: true, platform: 'node', target: 'node22.14', format: 'cjs', sourcemap: 'linked', logLevel: 'warning',
  absWorkingDir: root,
  define: { __GLASSHOUSE_VERSION__: JSON.stringify(version) }, // electron/node/version.ts: the version is package.json's
};

function step(name, fn) {
  const t = Date.now();
  return Promise.resolve(fn()).then(() => console.log(`built ${name} in ${Date.now() - t} ms`));
}

if (want('ts')) {
  await Promise.all([
    // Packages stay external: native addons (better-sqlite3) and dockerode's optional deps must load from node_modules.
    step('cli', () => build({ ...common, entryPoints: ['electron/cli/index.ts'], outfile: 'dist/electron/cli.cjs', packages: 'external' })),
    step('electron main', () => build({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'dist/electron/main.cjs', packages: 'external', external: ['electron'] })),
    // The sandboxed preload may only require('electron'): bundle everything else into it.
    step('electron preload', () => build({ ...common, entryPoints: ['electron/preload/preload.ts'], outfile: 'dist/electron/preload.cjs', external: ['electron'], platform: 'browser', format: 'cjs' })),
  ]);
}

if (want('renderer')) {
  await step('renderer', () => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'build/vite.config.mts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('renderer build failed');
  });
}

if (want('native')) {
  // The helper is Linux-only and needs clang + bpftool; elsewhere the app runs the prebuilt image or says why not.
  const haveToolchain = process.platform === 'linux' && spawnSync('clang', ['--version']).status === 0 && spawnSync('bpftool', ['version']).status === 0;
  if (!existsSync(join(root, 'native/Makefile'))) {
    console.log('native: no Makefile yet, skipped');
  } else if (!haveToolchain) {
    console.log('native: skipped (needs Linux with clang and bpftool: apt-get install clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev)');
  } else {
    await step('native helper', () => {
      const r = spawnSync('make', ['-C', 'native', '-j2', `VERSION=${version}`], { cwd: root, stdio: 'inherit' });
      if (r.status !== 0) throw new Error('native build failed');
    });
  }
}
