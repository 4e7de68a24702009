// Runs the built `glasshouse` CLI (dist/electron/cli.cjs) as a real process.
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli as runCliInProcess } from '../../electron/cli/main';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'electron', 'cli.cjs');

/** The environment a CLI child gets: a clean one, but the engine under test (DOCKER_HOST) kept. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (process.env.DOCKER_HOST) base.DOCKER_HOST = process.env.DOCKER_HOST;
  return { ...base, ...extra } as NodeJS.ProcessEnv;
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; uid?: number; gid?: number; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the integration tests`);
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd ?? ROOT,
    env: cliEnv(opts.env),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => (stdout += c));
    child.stderr?.on('data', (c) => (stderr += c));
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`glasshouse ${args.join(' ')} did not finish in time:\n${stdout}\n${stderr}`)); }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** Runs a CLI command inside this process (same code as the bundle), capturing its output. */
export async function cliInProcess(argv: string[], opts: { cwd: string; interrupted?: Promise<void> }): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b) => (out += b));
  stderr.on('data', (b) => (err += b));
  const code = await runCliInProcess(argv, { stdout, stderr, env: process.env, cwd: opts.cwd, interrupted: opts.interrupted ?? new Promise<void>(() => {}) });
  return { code, out, err };
}
