// The wire.h ↔ TypeScript drift check: compiles a small C probe that prints sizeof/offsetof/op codes of
// every wire.h struct and constant, and compares them with electron/common/schema/wire.ts.
// Run by build/wire-check.test.ts (so `npm test` fails on drift) or directly: `npx tsx build/wire-check.ts`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BYE_REASON, CGROUP_EVENT, CONSTANTS, FLAG, KIND_CODE, LAYOUT, LOG_LEVEL, OP } from '../electron/common/schema/wire';

const ROOT = resolve(__dirname, '..');
const WIRE_H = join(ROOT, 'native/include/wire.h');

interface ProbeOutput {
  sizes: Record<string, number>;
  offsets: Record<string, number>;
  macros: Record<string, number>;
}

/** The C names TS says exist: GH_<OP>, GH_KIND_<KIND>, GH_<FLAG>, GH_<LEVEL>, constants. */
function expectedMacros(): Record<string, number> {
  const m: Record<string, number> = { ...CONSTANTS };
  for (const [k, v] of Object.entries(OP)) m[`GH_${k}`] = v;
  for (const [k, v] of Object.entries(KIND_CODE)) m[`GH_KIND_${k.toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(FLAG)) m[`GH_${k}`] = v;
  for (const [k, v] of Object.entries(LOG_LEVEL)) m[`GH_${k}`] = v;
  for (const [k, v] of Object.entries(BYE_REASON)) m[`GH_${k}`] = v;
  for (const [k, v] of Object.entries(CGROUP_EVENT)) m[`GH_${k}`] = v;
  return m;
}

function probeSource(): string {
  const lines: string[] = [
    '#include <stdio.h>', '#include <stddef.h>', '#include "wire.h"',
    'int main(void) {', 'int first = 1;',
    'printf("{\\"sizes\\":{");',
  ];
  const structs = Object.keys(LAYOUT);
  structs.forEach((s, i) => lines.push(`printf("%s\\"${s}\\":%zu", ${i ? '","' : '""'}, sizeof(struct ${s}));`));
  lines.push('printf("},\\"offsets\\":{");');
  for (const [s, l] of Object.entries(LAYOUT)) {
    for (const f of Object.keys(l.fields)) {
      lines.push(`printf("%s\\"${s}.${f}\\":%zu", first ? "" : ",", offsetof(struct ${s}, ${f})); first = 0;`);
    }
  }
  lines.push('printf("},\\"macros\\":{"); first = 1;');
  for (const name of Object.keys(expectedMacros())) {
    lines.push(`printf("%s\\"${name}\\":%llu", first ? "" : ",", (unsigned long long)(${name})); first = 0;`);
  }
  lines.push('printf("}}\\n");', 'return 0; }');
  return lines.join('\n');
}

/** Every GH_OP_/GH_CTL_/GH_KIND_/GH_F_/GH_LOG_/GH_BYE_/GH_CGROUP_ name #defined in wire.h: a new C constant without a TS twin is drift too. */
function definedInHeader(): string[] {
  const src = readFileSync(WIRE_H, 'utf8');
  return [...src.matchAll(/^#define\s+(GH_(?:OP|CTL|KIND|F|LOG|BYE|CGROUP)_[A-Z0-9_]+)\s/gm)].map((m) => m[1]);
}

/** main.c's KIND_NAMES (the names its preflight and logs print) against EVENT_KINDS, in order. */
export function kindNamesDrift(mainC = readFileSync(join(ROOT, 'native/src/main.c'), 'utf8')): string[] {
  const table = /KIND_NAMES\[GH_KIND_COUNT\]\s*=\s*\{([^}]*)\}/.exec(mainC);
  if (!table) return ['wire drift: native/src/main.c has no KIND_NAMES[GH_KIND_COUNT] table to check'];
  const names = [...table[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const want = Object.keys(KIND_CODE);
  return names.join() === want.join() ? []
    : [`wire drift: main.c's KIND_NAMES is [${names.join(', ')}] but EVENT_KINDS is [${want.join(', ')}]`];
}

export function runWireCheck(cc = process.env.CC ?? 'cc'): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gh-wire-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, probeSource());
    try {
      execFileSync(cc, ['-I', join(ROOT, 'native/include'), '-o', join(dir, 'probe'), src], { stdio: 'pipe' });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
      return [`wire drift: the probe of native/include/wire.h does not compile against the TypeScript layout ` +
        `(a struct, field or #define named in electron/common/schema/wire.ts is missing in C):\n${err}`];
    }
    const out = JSON.parse(execFileSync(join(dir, 'probe')).toString()) as ProbeOutput;
    const problems: string[] = [];
    for (const [s, l] of Object.entries(LAYOUT)) {
      if (out.sizes[s] !== l.size) problems.push(`wire drift: sizeof(struct ${s}) is ${out.sizes[s]} in C but ${l.size} in wire.ts`);
      for (const [f, off] of Object.entries(l.fields)) {
        const c = out.offsets[`${s}.${f}`];
        if (c !== off) problems.push(`wire drift: offsetof(struct ${s}, ${f}) is ${c} in C but ${off} in wire.ts`);
      }
    }
    const expected = expectedMacros();
    for (const [name, v] of Object.entries(expected)) {
      if (out.macros[name] !== v) problems.push(`wire drift: ${name} is ${out.macros[name]} in wire.h but ${v} in wire.ts`);
    }
    for (const name of definedInHeader()) {
      if (!(name in expected)) problems.push(`wire drift: ${name} is defined in wire.h but has no twin in wire.ts`);
    }
    problems.push(...kindNamesDrift());
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('wire-check.ts')) {
  const problems = runWireCheck();
  for (const p of problems) console.error(p);
  process.exit(problems.length ? 1 : 0);
}
