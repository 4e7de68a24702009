// Policy file discovery stops at the repository root; a broken file lists every problem with its line.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPolicyFile, loadPolicyFile } from './load';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('policy files', () => {
  it('finds glasshouse.yaml in a parent within the repo, not above it', () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-pol-'));
    dirs.push(root);
    mkdirSync(join(root, 'repo/.git'), { recursive: true });
    mkdirSync(join(root, 'repo/services/web'), { recursive: true });
    writeFileSync(join(root, 'glasshouse.yaml'), 'version: 1\nservices: {}\n');
    expect(findPolicyFile(join(root, 'repo/services/web'))).toBeUndefined();
    writeFileSync(join(root, 'repo/glasshouse.yml'), 'version: 1\nservices:\n  web:\n    processes: [nginx]\n');
    const found = findPolicyFile(join(root, 'repo/services/web'))!;
    expect(found).toBe(join(root, 'repo/glasshouse.yml'));
    expect(loadPolicyFile(found).services.get('web')!.processes).toEqual([{ text: 'nginx', line: 4 }]);
    writeFileSync(found, 'version: 1\nservices:\n  web:\n    writes: [tmp]\n    severity: x\n');
    expect(() => loadPolicyFile(found)).toThrow(/has 2 problems:\n.*glasshouse.yml:4: .*\n.*glasshouse.yml:5: /);
    expect(() => loadPolicyFile(join(root, 'nope.yaml'))).toThrow(/could not be read \(ENOENT\)/);
  });
});
