// Layering rules from ARCHITECTURE.md, enforced by build/lint-layers.mjs ("bad layering: A may not import B").
const LAYER = {
  common: '^electron/common/',
  node: '^electron/node/',
  server: '^electron/server/',
  cli: '^electron/cli/',
  main: '^electron/main/',
  preload: '^electron/preload/',
  renderer: '^renderer/',
  test: '^test/',
};
/** Unit tests beside the code may use vitest and Node to read fixtures. */
const TEST_FILE = '\\.test\\.tsx?$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'common-is-isomorphic', comment: 'electron/common imports only itself and pure libraries (no node:*, no electron, no other layer)',
      severity: 'error', from: { path: LAYER.common, pathNot: TEST_FILE },
      to: { pathNot: [LAYER.common, '^node_modules/(zod|yaml)/'] } },
    { name: 'common-no-node-builtins', comment: 'electron/common runs in the renderer too: no Node built-ins',
      severity: 'error', from: { path: LAYER.common, pathNot: TEST_FILE }, to: { dependencyTypes: ['core'] } },
    { name: 'node-not-electron', comment: 'electron/node is Node-only: never electron, main, preload, server, cli or renderer',
      severity: 'error', from: { path: LAYER.node },
      to: { path: ['^node_modules/electron/', LAYER.main, LAYER.preload, LAYER.server, LAYER.cli, LAYER.renderer] } },
    { name: 'hosts-not-electron', comment: 'electron/server and electron/cli use common and node, never electron, main, preload or renderer',
      severity: 'error', from: { path: [LAYER.server, LAYER.cli] },
      to: { path: ['^node_modules/electron/', LAYER.main, LAYER.preload, LAYER.renderer] } },
    { name: 'main-scope', comment: 'electron/main imports common, node and electron only',
      severity: 'error', from: { path: LAYER.main }, to: { path: [LAYER.preload, LAYER.renderer, LAYER.cli] } },
    { name: 'preload-scope', comment: 'the preload sees only common/ipc and electron',
      severity: 'error', from: { path: LAYER.preload },
      to: { pathNot: [LAYER.preload, '^electron/common/ipc/channels', '^node_modules/electron/'], dependencyTypesNot: ['type-only'] } },
    { name: 'renderer-scope', comment: 'the renderer imports electron/common only (types, models, contract)',
      severity: 'error', from: { path: LAYER.renderer },
      to: { path: ['^electron/(node|main|preload|server|cli)/', '^node_modules/electron/'] } },
    { name: 'renderer-no-node', comment: 'the renderer runs in a sandbox: no Node built-ins',
      severity: 'error', from: { path: LAYER.renderer, pathNot: TEST_FILE }, to: { dependencyTypes: ['core'] } },
    { name: 'nothing-imports-test', comment: 'nothing imports test/',
      severity: 'error', from: { pathNot: LAYER.test }, to: { path: LAYER.test } },
    { name: 'dockerode-owner', comment: 'dockerode is imported only by electron/node/docker',
      severity: 'error', from: { pathNot: ['^electron/node/docker/', LAYER.test] }, to: { path: '^node_modules/(dockerode|docker-modem)/', dependencyTypesNot: ['type-only'] } },
    { name: 'sqlite-owner', comment: 'SQLite is imported only by electron/node/store',
      severity: 'error', from: { pathNot: ['^electron/node/store/', LAYER.test] }, to: { path: '^node_modules/better-sqlite3/', dependencyTypesNot: ['type-only'] } },
    { name: 'd3-owner', comment: 'd3 is imported only by renderer/src/viz',
      severity: 'error', from: { pathNot: '^renderer/src/viz/' }, to: { path: '^node_modules/d3' } },
    { name: 'electron-shell-owner', comment: 'only electron/main may touch electron (shell.openExternal and friends); preload uses its renderer modules',
      severity: 'error', from: { pathNot: ['^electron/main/', '^electron/preload/'] }, to: { path: '^node_modules/electron/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^native/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
  },
};
