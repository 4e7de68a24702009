// `npm start`: opens the Electron app; where Electron's binary is missing and cannot be fetched, says how to use the browser host.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const electronDir = join(root, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const isInstalled = () => existsSync(pathFile) && existsSync(join(electronDir, "dist", readFileSync(pathFile, "utf8")));
let why = '';
if (!isInstalled() && !process.env.ELECTRON_OVERRIDE_DIST_PATH && existsSync(join(electronDir, 'install.js'))) {
  // Fetch the binary ourselves with output captured, so a failed download ends in a sentence, not a stack trace.
  console.log('Fetching the Electron binary (first start only)…');
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'pipe', timeout: 300_000, encoding: 'utf8' });
  why = `${r.stderr ?? ''}`.split('\n').find((l) => /error|failed/i.test(l))?.trim() ?? '';
}

let electronPath;
try {
  if (!isInstalled() && !process.env.ELECTRON_OVERRIDE_DIST_PATH) throw new Error(why || 'the Electron binary could not be downloaded');
  electronPath = require('electron');
} catch (err) {
  console.error(`
Glasshouse cannot open its desktop window: Electron is not installed here.
(${String(err?.message ?? err).split('\n')[0]})

Use the browser host instead — the same app and engine, in your browser:

    npm run serve

and open the URL it prints. To get the desktop app, run \`npx install-electron\` on a machine that can
download Electron, or set ELECTRON_OVERRIDE_DIST_PATH to an Electron build you already have.
`);
  process.exit(1);
}
const child = spawn(electronPath, [join(root, 'dist/electron/main.cjs')], { stdio: 'inherit', cwd: root });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
