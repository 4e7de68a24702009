#!/usr/bin/env node
// npm bin shim: runs the bundled CLI (built by `npm run build` into dist/electron/cli.cjs).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'electron', 'cli.cjs');
if (!existsSync(cli)) {
  process.stderr.write('glasshouse: not built yet. Run `npm run build` in ' + join(__dirname, '..') + ' first.\n');
  process.exit(1);
}
require(cli);
