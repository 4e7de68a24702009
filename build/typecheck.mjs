// Type-checks each layer with its own tsconfig: electron/common sees no DOM and no Node types, and so on.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['electron/common', 'electron/node', 'electron/server', 'electron/cli', 'electron/main', 'electron/preload', 'renderer', 'test'];
let failed = 0;
for (const layer of LAYERS) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, layer, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  console.log(`typecheck ${layer}: ${r.status === 0 ? 'ok' : 'FAILED'} (${Date.now() - t} ms)`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
