// The packaging config (build/electron-builder.yml) as the pinned electron-builder reads it: valid against its own
// schema, no rebuild of the SQLite addon, and the Electron fuses the packaged app must have — as the fuse wire
// values electron-builder hands to @electron/fuses, not only as YAML keys.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import Ajv from 'ajv';

const root = resolve(__dirname, '..');
const require = createRequire(join(root, 'package.json'));
// app-builder-lib as electron-builder itself resolves it (its schema and its packager).
const builderRequire = createRequire(require.resolve('electron-builder/package.json'));
const config = parse(readFileSync(join(root, 'build/electron-builder.yml'), 'utf8')) as Record<string, unknown>;

function schemaErrors(cfg: unknown): string[] {
  const schema = JSON.parse(readFileSync(builderRequire.resolve('app-builder-lib/scheme.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validate(cfg) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

describe('electron-builder.yml', () => {
  it('is valid against the pinned electron-builder schema, and a misspelt fuse is not', () => {
    expect(schemaErrors(config)).toEqual([]);
    // The check can fail: the schema forbids unknown keys, so a typo in a fuse name is caught here, not at packaging.
    const typo = { ...config, electronFuses: { ...(config.electronFuses as object), runAsNod: false } };
    expect(schemaErrors(typo).join('\n')).toContain('runAsNod');
  });

  it('flips the fuses: RunAsNode, NODE_OPTIONS and --inspect off; asar integrity and only-load-from-asar on', async () => {
    const { PlatformPackager } = builderRequire('app-builder-lib') as {
      PlatformPackager: { prototype: { generateFuseConfig(f: unknown): Promise<Record<string, unknown>> } };
    };
    const { FuseV1Options, FuseVersion } = builderRequire(builderRequire.resolve('@electron/fuses', { paths: [dirname(builderRequire.resolve('app-builder-lib/package.json'))] })) as {
      FuseV1Options: Record<string, number>;
      FuseVersion: Record<string, string>;
    };
    expect(config.electronFuses, 'electron-builder.yml sets no electronFuses').toBeTruthy();
    // electron-builder's own translation of the YAML into the fuse wire it writes into the Electron binary.
    const wire = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
    expect(wire.version).toBe(FuseVersion.V1);
    const fuse = (name: string) => wire[FuseV1Options[name]];
    expect(fuse('RunAsNode')).toBe(false);
    expect(fuse('EnableNodeOptionsEnvironmentVariable')).toBe(false);
    expect(fuse('EnableNodeCliInspectArguments')).toBe(false);
    expect(fuse('EnableEmbeddedAsarIntegrityValidation')).toBe(true);
    expect(fuse('OnlyLoadAppFromAsar')).toBe(true);
  });

  it('does not rebuild native addons, and unpacks the prebuilt SQLite addon from the asar', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.asar ?? true).toBe(true); // the fuses above only mean something with an app.asar
    // The binary better-sqlite3 loads on each platform is under prebuilds/, which must be outside the asar.
    const pkg = dirname(require.resolve('better-sqlite3/package.json'));
    const addon = relative(root, join(pkg, 'prebuilds', `${process.platform}-${process.arch}.node`));
    const unpack = config.asarUnpack as string[];
    expect(unpack.some((g) => matchesGlob(addon, g)), `${addon} is not matched by asarUnpack ${JSON.stringify(unpack)}`).toBe(true);
  });
});
