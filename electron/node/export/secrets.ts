// Where tracker tokens live: environment variables or the OS keychain in the CLI; main implements safeStorage.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GlasshouseError, PermissionDeniedError } from '../../common/ipc/errors';

import { SECRET_NAMES, type SecretName } from '../../common/ipc/contract';

// One list of secret names for the engine API and every store.
export { SECRET_NAMES };
export type { SecretName };

/**
 * A place that keeps tokens out of plain config and logs. The Electron app implements this in
 * electron/main with safeStorage (encrypted at rest); the CLI uses EnvSecretStore and KeychainSecretStore.
 */
export interface SecretStore {
  /** 'env' | 'keychain' | 'safe-storage' | 'chain' — for messages, never for logic. */
  readonly kind: string;
  /** One sentence a user can read: where secrets go. */
  readonly description: string;
  get(name: SecretName): Promise<string | undefined>;
  /** Throws a GlasshouseError when this store cannot write (e.g. environment variables). */
  set(name: SecretName, value: string): Promise<void>;
  delete(name: SecretName): Promise<void>;
}

/** No keychain on this machine (or not usable from here). */
export class SecretStoreUnavailableError extends GlasshouseError { override name = 'SecretStoreUnavailableError'; }

/** First variable wins; the GLASSHOUSE_ names come first so a CI's generic GITHUB_TOKEN can be overridden. */
export const SECRET_ENV: Readonly<Record<SecretName, string[]>> = {
  'github-token': ['GLASSHOUSE_GITHUB_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN'],
  'gitlab-token': ['GLASSHOUSE_GITLAB_TOKEN', 'GITLAB_TOKEN'],
  'jira-token': ['GLASSHOUSE_JIRA_TOKEN', 'JIRA_API_TOKEN'],
  'jira-email': ['GLASSHOUSE_JIRA_EMAIL', 'JIRA_EMAIL'],
};

/**
 * Where each token may be sent besides its tracker's default host: the server the user confirmed for it. For a token
 * in the environment that is this variable beside it; a token saved in a store carries the server it was saved for.
 */
export const TOKEN_URL_ENV: Readonly<Partial<Record<SecretName, string>>> = {
  'github-token': 'GLASSHOUSE_GITHUB_URL',
  'gitlab-token': 'GLASSHOUSE_GITLAB_URL',
  'jira-token': 'GLASSHOUSE_JIRA_URL',
};

/** A token and the one server origin it was saved for (none: only the tracker's default host). */
export interface BoundToken { token: string; origin?: string }

const BOUND_KIND = 'glasshouse-bound-token/v1';

/** What a store keeps for a token saved with a server: the origin travels with the value, so no page can move it. */
export function encodeBoundToken(token: string, origin?: string): string {
  return origin ? JSON.stringify({ kind: BOUND_KIND, origin, token }) : token;
}

/** Reads what encodeBoundToken wrote; a plain value (saved before binding existed) is a token for the default host. */
export function decodeBoundToken(stored: string): BoundToken {
  if (stored.startsWith('{')) {
    try {
      const j = JSON.parse(stored) as { kind?: unknown; origin?: unknown; token?: unknown };
      if (j.kind === BOUND_KIND && typeof j.token === 'string' && typeof j.origin === 'string') return { token: j.token, origin: j.origin };
    } catch { /* not ours: a token that happens to start with "{" */ }
  }
  return { token: stored };
}

export class EnvSecretStore implements SecretStore {
  readonly kind = 'env';
  readonly description = 'environment variables (GLASSHOUSE_GITHUB_TOKEN, GLASSHOUSE_GITLAB_TOKEN, GLASSHOUSE_JIRA_TOKEN, GLASSHOUSE_JIRA_EMAIL)';
  constructor(private readonly env: NodeJS.ProcessEnv) {}
  async get(name: SecretName): Promise<string | undefined> {
    for (const v of SECRET_ENV[name]) {
      const val = this.env[v]?.trim();
      if (val) return val;
    }
    return undefined;
  }
  async set(name: SecretName, _value?: string): Promise<void> {
    throw new GlasshouseError(`Environment variables cannot be written from Glasshouse.`, `Set ${SECRET_ENV[name][0]} in your shell or CI secrets instead.`);
  }
  async delete(name: SecretName): Promise<void> { await this.set(name); }
}

function findOnPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try { accessSync(p, constants.X_OK); return p; } catch { /* keep looking */ }
  }
  return undefined;
}

interface RunResult { code: number; stdout: string; stderr: string }

/** execFile with an argv (never a shell string); the secret only ever travels on stdin. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: 15_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // A tool that exits before reading its input closes the pipe: its exit code tells what happened, not EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

const SERVICE = 'glasshouse';

/**
 * The OS keychain through its own command-line tool: libsecret's `secret-tool` on Linux (GNOME Keyring,
 * KWallet via the Secret Service). Needs a running keyring and D-Bus session; errors say so.
 */
export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain';
  readonly description: string;
  private readonly tool: string;

  private constructor(tool: string, private readonly env: NodeJS.ProcessEnv) {
    this.tool = tool;
    this.description = `the OS keychain via ${tool}`;
  }

  /** Returns the store, or throws SecretStoreUnavailableError saying exactly why there is none. */
  static open(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): KeychainSecretStore {
    if (platform !== 'linux') {
      throw new SecretStoreUnavailableError(`No OS keychain support for ${platform} in the Glasshouse CLI.`,
        'Use environment variables (e.g. GLASSHOUSE_GITHUB_TOKEN) or the desktop app, which encrypts tokens with the OS keychain.');
    }
    const tool = findOnPath('secret-tool', env);
    if (!tool) {
      throw new SecretStoreUnavailableError('No OS keychain is available: the secret-tool command (libsecret) is not installed.',
        'Install it (Debian/Ubuntu: apt-get install libsecret-tools) with a running keyring, or use environment variables such as GLASSHOUSE_GITHUB_TOKEN.');
    }
    return new KeychainSecretStore(tool, env);
  }

  private attrs(name: SecretName): string[] { return ['service', SERVICE, 'account', name]; }

  private fail(action: string, r: RunResult): never {
    const why = r.stderr.trim() || `exit code ${r.code}`;
    throw new PermissionDeniedError(`The OS keychain could not ${action} (${why}).`,
      'Make sure a keyring (e.g. gnome-keyring) is running and unlocked in this D-Bus session, or use environment variables.');
  }

  async get(name: SecretName): Promise<string | undefined> {
    const r = await run(this.tool, ['lookup', ...this.attrs(name)], this.env);
    // secret-tool lookup exits 1 with no output when nothing is stored.
    if (r.code !== 0) { if (!r.stderr.trim()) return undefined; this.fail(`read ${name}`, r); }
    const v = r.stdout.replace(/\n$/, '');
    return v || undefined;
  }

  async set(name: SecretName, value: string): Promise<void> {
    const r = await run(this.tool, ['store', `--label=Glasshouse ${name}`, ...this.attrs(name)], this.env, value);
    if (r.code !== 0) this.fail(`store ${name}`, r);
  }

  async delete(name: SecretName): Promise<void> {
    const r = await run(this.tool, ['clear', ...this.attrs(name)], this.env);
    if (r.code !== 0 && r.stderr.trim()) this.fail(`delete ${name}`, r);
  }
}

/** Reads from the first store that has the secret; writes go to the first store that can write. */
export class ChainedSecretStore implements SecretStore {
  readonly kind = 'chain';
  readonly description: string;
  constructor(private readonly stores: SecretStore[]) {
    this.description = stores.map((s) => s.description).join(', then ');
  }
  async get(name: SecretName): Promise<string | undefined> {
    for (const s of this.stores) {
      const v = await s.get(name).catch(() => undefined);
      if (v) return v;
    }
    return undefined;
  }
  async set(name: SecretName, value: string): Promise<void> {
    const writable = this.stores.find((s) => s.kind !== 'env');
    if (!writable) throw new SecretStoreUnavailableError('There is nowhere to store the token on this machine.', 'Use an environment variable instead.');
    await writable.set(name, value);
  }
  async delete(name: SecretName): Promise<void> {
    for (const s of this.stores) if (s.kind !== 'env') await s.delete(name);
  }
}

/** The CLI's store: environment first (CI), then the OS keychain when there is one. `note` says which. */
export function cliSecretStore(env: NodeJS.ProcessEnv = process.env): { store: SecretStore; note?: string } {
  const envStore = new EnvSecretStore(env);
  try {
    return { store: new ChainedSecretStore([envStore, KeychainSecretStore.open(env)]) };
  } catch (e) {
    return { store: envStore, note: e instanceof Error ? e.message : String(e) };
  }
}
