import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperCapabilities, helperImageTag, tarArchive, unqualifiedTag } from './helper-container';

describe('helper image build context', () => {
  it('writes a tar that tar(1) lists with the right names, sizes and modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-tar-'));
    try {
      const tar = tarArchive([
        { name: 'Dockerfile', data: Buffer.from('FROM scratch\n'), mode: 0o644 },
        { name: 'glasshouse-helper', data: Buffer.alloc(1000, 7), mode: 0o755 },
      ]);
      writeFileSync(join(dir, 'ctx.tar'), tar);
      const list = execFileSync('tar', ['-tvf', join(dir, 'ctx.tar')]).toString();
      expect(list).toMatch(/-rw-r--r-- .* 13 .* Dockerfile/);
      expect(list).toMatch(/-rwxr-xr-x .* 1000 .* glasshouse-helper/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tags the image by version and binary content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-tag-'));
    try {
      writeFileSync(join(dir, 'a'), 'one');
      writeFileSync(join(dir, 'b'), 'two');
      expect(helperImageTag(join(dir, 'a'), '0.1.0')).toMatch(/^glasshouse-helper:0\.1\.0-[0-9a-f]{12}$/);
      expect(helperImageTag(join(dir, 'a'), '0.1.0')).not.toBe(helperImageTag(join(dir, 'b'), '0.1.0'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for SYS_ADMIN only where the engine does not know CAP_BPF', () => {
    expect(helperCapabilities(false)).toEqual(['SYS_ADMIN', 'SYS_PTRACE']);
    expect(helperCapabilities(true)).toEqual(['BPF', 'PERFMON', 'SYS_PTRACE']);
  });
});

describe('unqualifiedTag', () => {
  it('drops the registry and its library/ namespace an engine (Podman) qualified a short name with', () => {
    expect(unqualifiedTag('registry.example/library/glasshouse-helper:0.1.0-abc')).toBe('glasshouse-helper:0.1.0-abc');
    expect(unqualifiedTag('localhost/glasshouse-helper:0.1.0-abc')).toBe('glasshouse-helper:0.1.0-abc');
    expect(unqualifiedTag('registry.example:5000/team/glasshouse-helper:1')).toBe('team/glasshouse-helper:1');
  });
  it('keeps a name with no registry as it is, including a first component that is a namespace', () => {
    expect(unqualifiedTag('glasshouse-helper:0.1.0-abc')).toBe('glasshouse-helper:0.1.0-abc');
    expect(unqualifiedTag('library/glasshouse-helper:1')).toBe('library/glasshouse-helper:1');
    expect(unqualifiedTag('team/glasshouse-helper:1')).toBe('team/glasshouse-helper:1');
  });
});
