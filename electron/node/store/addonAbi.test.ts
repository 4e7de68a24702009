// The store's SQLite addon needs no rebuild per runtime: the desktop app (Electron), the CLI, `serve` and the tests load
// the one binary `npm ci` installed. Proven two ways here, since Electron's own binary cannot run on this machine:
// the prebuilt binaries are Node-API addons (their symbols tie them to no NODE_MODULE_VERSION), and recordings are
// written and read by separate Node processes of two different ABIs (the Node running the tests, 24 in CI, and
// GLASSHOUSE_SECOND_NODE, Node 22.14 in CI). A Node without Node-API 10 (GLASSHOUSE_OLD_NODE, the machine's Node 20
// in CI) gets a sentence, not the crash the addon would give it.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { GlasshouseError } from '../../common/ipc/errors';
import { assertSqliteRuntime, sqliteRuntimeProblem } from './runtime';

const root = resolve(__dirname, '../../..');
const addonDir = dirname(createRequire(join(root, 'package.json')).resolve('better-sqlite3/package.json'));
const dir = mkdtempSync(join(tmpdir(), 'gh-addon-abi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The dynamic symbols of an ELF64 little-endian shared object: what it defines and what it needs from its host. */
function dynamicSymbols(file: string): { defined: string[]; undefined: string[] } {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${file} is not a 64-bit little-endian ELF file`);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 24)), size: Number(b.readBigUInt64LE(o + 32)), link: b.readUInt32LE(o + 40) };
  };
  const out = { defined: [] as string[], undefined: [] as string[] };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== 11) continue; // SHT_DYNSYM
    const str = section(s.link);
    for (let o = s.offset + 24; o < s.offset + s.size; o += 24) { // entry 0 is the null symbol
      const at = str.offset + b.readUInt32LE(o);
      const name = b.toString('latin1', at, b.indexOf(0, at));
      if (name) (b.readUInt16LE(o + 6) === 0 ? out.undefined : out.defined).push(name);
    }
  }
  return out;
}

const elfPrebuilds = readdirSync(join(addonDir, 'prebuilds')).filter((f) => /^linux(musl)?-.*\.node$/.test(f));

describe('the SQLite addon is a Node-API one (no NODE_MODULE_VERSION dependence)', () => {
  it('ships prebuilt binaries for Linux, and npm ci compiled none of its own', () => {
    expect(elfPrebuilds).toEqual(expect.arrayContaining(['linux-x64.node', 'linux-arm64.node']));
    // A compiled binary would take precedence over the prebuilt one (package.json's allowScripts denies the
    // package's default node-gyp step; an npm that ignores that runs it, and it finds the prebuild and builds nothing).
    for (const kind of ['Release', 'Debug']) expect(existsSync(join(addonDir, 'build', kind, 'better_sqlite3.node'))).toBe(false);
  });

  for (const f of elfPrebuilds) {
    it(`${f}: registers through Node-API and uses no V8 or Node C++ symbols`, () => {
      const syms = dynamicSymbols(join(addonDir, 'prebuilds', f));
      expect(syms.defined).toContain('napi_register_module_v1');
      // The reader sees what the addon needs from its host: Node-API calls, and nothing of V8's or Node's C++ API
      // (mangled _ZN2v8…, _ZN4node…), whose ABI is what NODE_MODULE_VERSION numbers.
      expect(syms.undefined.filter((s) => s.startsWith('napi_')).length).toBeGreaterThan(20);
      expect(syms.undefined.filter((s) => /^_ZNK?(2v8|4node)/.test(s))).toEqual([]);
      expect(syms.defined.filter((s) => /^node_register_module_v\d+$/.test(s))).toEqual([]);
    });
  }
});

/** A separate Node process that writes a recording (mode write) or reads one (mode read) through RecordingStore. */
function childScript(): string {
  const entry = join(dir, 'child.ts');
  writeFileSync(entry, `
    import { readFileSync } from 'node:fs';
    import { RecordingStore } from ${JSON.stringify(join(root, 'electron/node/store/index'))};
    import { SyntheticSource } from ${JSON.stringify(join(root, 'electron/node/capture/synthetic'))};
    import { WorldState } from ${JSON.stringify(join(root, 'electron/common/state/index'))};
    const [mode, path] = process.argv.slice(2);
    try {
    if (mode === 'write') {
      const world = new WorldState();
      const store = RecordingStore.create(path, { title: 'abi ' + process.versions.modules });
      const all = new SyntheticSource({ events: 3000, seed: 7 }).all();
      world.applyBatch(all);
      store.appendEvents(all);
      store.applyDelta(world.takeDelta());
      store.close();
    }
    const s = RecordingStore.open(path, { readonly: true });
    const info = s.info();
    const addon = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).find((p) => p && p.endsWith('.node'));
    console.log(JSON.stringify({ abi: process.versions.modules, node: process.version, title: info.meta.title, events: info.events,
      processes: s.processCount(), window: s.eventsInWindow({ limit: 100_000 }).length, addon }));
    s.close();
    } catch (e) {
      console.error(e.message + ' ' + (e.hint ?? ''));
      process.exit(3);
    }
  `);
  const out = join(dir, 'child.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['better-sqlite3'], logLevel: 'error' });
  return out;
}

interface ChildResult { abi: string; node: string; title: string; events: number; processes: number; window: number; addon: string }
function runChild(node: string, script: string, mode: 'write' | 'read', file: string): ChildResult {
  const out = execFileSync(node, [script, mode, file], { env: { ...process.env, NODE_PATH: join(root, 'node_modules') }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

describe('recordings open under two Node ABIs with the one installed addon', () => {
  const second = process.env.GLASSHOUSE_SECOND_NODE;

  it('CI names a second Node (GLASSHOUSE_SECOND_NODE) so the cross-ABI test below runs there', () => {
    if (process.env.CI) expect(second, '.ci/run installs Node 22 and exports GLASSHOUSE_SECOND_NODE').toBeTruthy();
    if (second) expect(existsSync(second), `GLASSHOUSE_SECOND_NODE=${second} does not exist`).toBe(true);
  });

  it.skipIf(!second)('each Node writes a recording the other reads, loading the same prebuilt addon file', () => {
    const script = childScript();
    const nodes = [process.execPath, second!];
    const written = nodes.map((n, i) => ({ file: join(dir, `by-${i}.glasshouse`), r: runChild(n, script, 'write', join(dir, `by-${i}.glasshouse`)) }));
    // Two different ABIs, or this proves nothing.
    expect(new Set(written.map((w) => w.r.abi)).size).toBe(2);
    for (const w of written) {
      expect(w.r.events).toBe(3000);
      expect(w.r.addon).toBe(join(addonDir, 'prebuilds', `linux-${process.arch}.node`));
      for (const n of nodes) {
        const r = runChild(n, script, 'read', w.file);
        expect({ events: r.events, processes: r.processes, window: r.window, title: r.title, addon: r.addon })
          .toEqual({ events: w.r.events, processes: w.r.processes, window: w.r.window, title: w.r.title, addon: w.r.addon });
      }
    }
  });
});

describe('a Node without Node-API 10 is refused with a sentence before the addon is loaded', () => {
  it('names the Node, what is missing and what to do', () => {
    expect(sqliteRuntimeProblem({ node: '20.20.2', napi: '9' })).toBe(
      "This Node.js (v20.20.2) cannot open recordings: Glasshouse's SQLite addon needs Node-API 10, and this Node has Node-API 9.");
    expect(sqliteRuntimeProblem({ node: '22.14.0', napi: '10' })).toBeUndefined();
    expect(sqliteRuntimeProblem({ node: '24.22.3', napi: '10' })).toBeUndefined();
    expect(sqliteRuntimeProblem(process.versions)).toBeUndefined(); // the Node running the tests can open recordings
    let err: unknown;
    try { assertSqliteRuntime({ node: '22.12.0', napi: '9' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(GlasshouseError);
    expect(err).toMatchObject({ code: 'NODE_TOO_OLD', hint: expect.stringContaining('Node.js 22.14 or later') });
  });

  const old = process.env.GLASSHOUSE_OLD_NODE;
  it.skipIf(!old)('on a real old Node (GLASSHOUSE_OLD_NODE) the recording store says so and the process lives to exit', () => {
    const r = spawnSync(old!, [childScript(), 'write', join(dir, 'old.glasshouse')], { env: { ...process.env, NODE_PATH: join(root, 'node_modules') }, encoding: 'utf8' });
    // Without the check, better-sqlite3 13 kills this process with SIGSEGV at the first database.
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 3, signal: null });
    expect(r.stderr).toContain("cannot open recordings: Glasshouse's SQLite addon needs Node-API 10");
    expect(r.stderr).toContain('Node.js 22.14 or later');
    expect(existsSync(join(dir, 'old.glasshouse'))).toBe(false);
  });
});
