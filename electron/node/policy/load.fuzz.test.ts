// Property-based fuzzing of the policy loader (issue 16): arbitrary text and a valid glasshouse.yaml with lines and
// characters changed either give a policy or problems that each name the file and a line inside it; parsePolicy
// never throws, and loadPolicyFile turns problems into one FileFormatError. GLASSHOUSE_FUZZ_RUNS sets the inputs per
// property (see test/README.md).
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../common/ipc/errors';
import { parsePolicy } from '../../common/policy';
import { loadPolicyFile } from './load';

const RUNS = Number(process.env.GLASSHOUSE_FUZZ_RUNS ?? 1000);
const FILE = 'fuzz/glasshouse.yaml';
const VALID = `version: 1
defaults:
  severity: medium
  processes: [sh]
services:
  web:
    processes: [nginx, /usr/sbin/nginx, /docker-entrypoint.sh]
    egress:
      - db:5432
      - "*.example.com:443"
      - "[::1]:8080"
      - 10.0.0.0/8
    writes: [/var/cache/nginx/**, /tmp/*.pid]
    severity: high
  db:
    egress: []
  cache:
`;
const LINES = VALID.split('\n');
const PIECES = [':', '- ', '  ', '[', ']', '{', '}', '"', "'", '&a', '*a', '!!str', '#', '|', '>', '\t', ',', '*', '/', ':0', ':99999', 'severity: x', 'egress:', 'version: 2', '? '];

function check(text: string): void {
  const { policy, problems } = parsePolicy(text, FILE);
  const lines = text.split('\n').length;
  if (!policy) expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.file).toBe(FILE);
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}: ${p.message}`).toBe(true);
    expect(typeof p.message === 'string' && p.message.length > 3).toBe(true);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gh-policy-fuzz-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('policy loader under fuzzing', () => {
  it('the valid sample parses (the mutations below start from a file that works)', () => {
    const { policy, problems } = parsePolicy(VALID, FILE);
    expect(problems).toEqual([]);
    expect([...policy!.services.keys()]).toEqual(['web', 'db', 'cache']);
  });

  it('arbitrary text: a policy or problems with a line, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom(...LINES, ...PIECES), { maxLength: 30 }).map((l) => l.join('\n'))), check),
      { numRuns: RUNS });
  });

  it('the valid file with lines and characters changed: a policy or problems with a line, never a throw', () => {
    const editArb = fc.tuple(fc.nat(LINES.length - 1), fc.nat(40), fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...PIECES)), fc.nat(3), fc.nat(3));
    fc.assert(fc.property(fc.array(editArb, { minLength: 1, maxLength: 5 }), (edits) => {
      const lines = [...LINES];
      for (const [at, col, text, cut, how] of edits) {
        const i = at % lines.length;
        if (how === 0) lines.splice(i, 1);
        else if (how === 1) lines.splice(i, 0, lines[i]);
        else lines[i] = lines[i].slice(0, Math.min(col, lines[i].length)) + text + lines[i].slice(Math.min(col, lines[i].length) + cut);
      }
      check(lines.join('\n'));
    }), { numRuns: RUNS });
  });

  it('loadPolicyFile: a policy or one FileFormatError that lists file:line problems', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...LINES, ...PIECES), { maxLength: 20 }).map((l) => l.join('\n')), (text) => {
      const p = join(dir, 'glasshouse.yaml');
      writeFileSync(p, text);
      try {
        loadPolicyFile(p);
      } catch (err) {
        expect(err).toBeInstanceOf(FileFormatError);
        expect((err as Error).message).toContain(p);
      }
    }), { numRuns: Math.max(50, Math.floor(RUNS / 10)) });
  });
});
