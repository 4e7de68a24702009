// Type-checks each layer with its own tsconfig: electron/common sees no DOM and no Node types, and so on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['electron/common', 'electron/node', 'electron/server', 'electron/cli', 'electron/main', 'electron/preload', 'renderer', 'test'];
// Two at a time: each tsc is single-threaded, and CI machines have two cores.
let failed = 0;
const queue = [...LAYERS];
async function worker() {
  for (let layer = queue.shift(); layer; layer = queue.shift()) {
    const t = Date.now();
    const code = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, layer, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
      child.on('close', resolve);
    });
    console.log(`typecheck ${layer}: ${code === 0 ? 'ok' : 'FAILED'} (${Date.now() - t} ms)`);
    if (code !== 0) failed++;
  }
}
await Promise.all([worker(), worker()]);
process.exit(failed ? 1 : 0);
