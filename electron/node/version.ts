// Facts about the installation, each found one way: Glasshouse's version (package.json's) and where the helper
// binary is. build/build.mjs puts the version into the bundles (esbuild `define`) and into the helper
// (make VERSION=…); code run from source (the tests) reads package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

declare const __GLASSHOUSE_VERSION__: string | undefined;

/**
 * The folder holding Glasshouse's package.json, found upwards from this code: the same answer from source
 * (electron/node), from the bundles (dist/electron) and from a packaged app's resources.
 */
export function projectRoot(from: string = __dirname): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'native'))) return d;
    if (dirname(d) === d) return join(from, '..', '..');
  }
}

export const GLASSHOUSE_VERSION: string = typeof __GLASSHOUSE_VERSION__ === 'string'
  ? __GLASSHOUSE_VERSION__
  : (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** $GLASSHOUSE_HELPER, else native/build/glasshouse-helper of this installation. */
export function defaultHelperBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLASSHOUSE_HELPER ?? join(projectRoot(), 'native', 'build', 'glasshouse-helper');
}
