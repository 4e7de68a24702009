// Starts the real browser host (`glasshouse serve --port 0`) as a child process and reads its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from './cli';

export interface Served { url: string; origin: string; token: string; child: ChildProcess; output: () => string; stop(): Promise<void> }

export function serve(env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve printed no URL:\n${out}`)); }, 20_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({
          url: m[0], origin: m[1], token: m[2], child, output: () => out,
          stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGTERM'); }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}
