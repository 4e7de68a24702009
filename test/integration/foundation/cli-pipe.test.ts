// The CLI's output written to a pipe arrives whole, however slowly the reader reads, and a reader that leaves early is no error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'gh-cli-pipe-'));
const file = join(dir, 'big.glasshouse');
beforeAll(async () => {
  const r = await runCli(['record', '--synthetic', '200000', '--out', file], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
}, 130_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the built CLI with stdout on a real pipe(2) (a shell pipeline: Node's own 'pipe' stdio is a socket pair with a far
 * larger buffer) whose reader waits `holdMs` before reading it all, or reads only `takeBytes` and leaves like `| head -c`.
 */
function throughPipe(args: string[], holdMs: number, takeBytes?: number): Promise<{ code: number | null; out: Buffer; err: string }> {
  const reader = takeBytes === undefined ? `sleep ${holdMs / 1000}; cat` : `sleep ${holdMs / 1000}; head -c ${takeBytes} >/dev/null`;
  // The command and its arguments go in as positional parameters, never into the script text.
  const script = `set -o pipefail; "$0" "$@" | { ${reader}; }`;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', script, process.execPath, CLI, ...args],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`glasshouse ${args.join(' ')} did not finish:\n${err}`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out: Buffer.concat(chunks), err }); });
  });
}

describe('glasshouse output on a pipe', () => {
  it('writes the whole JSON report to a slow pipe, byte for byte what --out writes', async () => {
    const out = join(dir, 'report.json');
    const toFile = await runCli(['report', file, '--format', 'json', '--out', out], { cwd: dir });
    expect(toFile.code, toFile.stderr).toBe(0);
    const expected = readFileSync(out);
    expect(expected.length).toBeGreaterThan(200_000); // several pipe buffers' worth
    const piped = await throughPipe(['report', file, '--format', 'json'], 1000);
    expect(piped.code, piped.err).toBe(0);
    expect(piped.out.length).toBe(expected.length);
    expect(piped.out.equals(expected)).toBe(true);
    expect(JSON.parse(piped.out.toString('utf8')).schema).toBe('glasshouse.summary/v1');
  }, 90_000);

  it('writes a whole HTML report to a slow pipe too', async () => {
    const out = join(dir, 'report.html');
    expect((await runCli(['report', file, '--format', 'html', '--out', out], { cwd: dir })).code).toBe(0);
    const piped = await throughPipe(['report', file, '--format', 'html'], 1000);
    expect(piped.code, piped.err).toBe(0);
    expect(piped.out.length).toBe(readFileSync(out).length);
  }, 90_000);

  it('leaves quietly when the reader stops early (| head)', async () => {
    const piped = await throughPipe(['report', file, '--format', 'json'], 200, 1000);
    expect(piped.err).toBe('');
    expect(piped.code).toBe(0);
  }, 90_000);
});
