// CI gate: C structs in native/include/wire.h and the TypeScript mirror must agree byte for byte.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kindNamesDrift, runWireCheck } from './wire-check';

describe('wire.h ↔ wire.ts drift check', () => {
  it('finds no drift in sizes, offsets, op codes, kinds and flags', () => {
    expect(runWireCheck()).toEqual([]);
  });

  it("catches main.c's kind-name table out of step with EVENT_KINDS", () => {
    const mainC = readFileSync(resolve(__dirname, '..', 'native/src/main.c'), 'utf8');
    expect(kindNamesDrift(mainC)).toEqual([]);
    const swapped = mainC.replace('"exec", "fork",', '"fork", "exec",');
    expect(swapped).not.toBe(mainC);
    expect(kindNamesDrift(swapped)[0]).toMatch(/main\.c's KIND_NAMES is \[fork, exec, .*\] but EVENT_KINDS is \[exec, fork, /);
  });

  it('fails with a clear message when a C struct changes (probe against a mutated copy)', () => {
    // Prove the check can fail: widen a field in a copy of wire.h and point the compiler at it.
    const dir = mkdtempSync(join(tmpdir(), 'gh-wire-mut-'));
    try {
      const root = resolve(__dirname, '..');
      const src = readFileSync(join(root, 'native/include/wire.h'), 'utf8');
      const mutated = src.replace('__u16 filename_len;', '__u32 filename_len;');
      expect(mutated).not.toBe(src);
      cpSync(join(root, 'native/include'), join(dir, 'include'), { recursive: true });
      writeFileSync(join(dir, 'include/wire.h'), mutated);
      // a cc wrapper that puts the mutated include dir first
      const wrapper = join(dir, 'cc.sh');
      writeFileSync(wrapper, `#!/bin/sh\nexec cc -I ${join(dir, 'include')} "$@"\n`, { mode: 0o755 });
      execFileSync('chmod', ['+x', wrapper]);
      const problems = runWireCheck(wrapper);
      expect(problems.some((p) => p.includes('offsetof(struct gh_exec, argv_len)') && p.includes('wire.ts'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
