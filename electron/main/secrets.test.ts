// The safeStorage token store, driven by a safeStorage-shaped stand-in (Electron itself cannot run in this test).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeStorageSecretStore, SECRETS_FILE, type SafeStorageLike } from './secrets';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'gh-safe-')); dirs.push(d); return d; };

/** A reversible cipher keyed per "machine": what matters is that plain text never reaches the file. */
function fakeSafe(opts: { available?: boolean; backend?: string; key?: number } = {}): SafeStorageLike & { calls: string[] } {
  const key = opts.key ?? 7;
  const calls: string[] = [];
  return {
    calls,
    isEncryptionAvailable: () => opts.available ?? true,
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
    encryptString: (s) => { calls.push('encrypt'); return Buffer.concat([Buffer.from(`v${key}:`), Buffer.from(s, 'utf8').map((b) => b ^ key)]); },
    decryptString: (b) => {
      calls.push('decrypt');
      if (!b.subarray(0, 3).equals(Buffer.from(`v${key}:`))) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(b.subarray(3).map((x) => x ^ key)).toString('utf8');
    },
  };
}

const TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';

describe('SafeStorageSecretStore', () => {
  it('stores only ciphertext (mode 0600), reads it back, deletes it', async () => {
    const dir = tmp();
    const safe = fakeSafe();
    const s = new SafeStorageSecretStore(safe, dir);
    expect(s.unavailableReason()).toBeUndefined();
    await s.set('github-token', TOKEN);
    const raw = readFileSync(join(dir, SECRETS_FILE), 'utf8');
    expect(raw).not.toContain(TOKEN);
    expect(raw).not.toContain('ghp_');
    expect(statSync(join(dir, SECRETS_FILE)).mode & 0o777).toBe(0o600);
    expect(safe.calls).toEqual(['encrypt']);
    // A fresh store on the same directory (the next app start) decrypts it.
    expect(await new SafeStorageSecretStore(safe, dir).get('github-token')).toBe(TOKEN);
    expect(await s.get('gitlab-token')).toBeUndefined();
    await s.delete('github-token');
    expect(await s.get('github-token')).toBeUndefined();
    expect(readFileSync(join(dir, SECRETS_FILE), 'utf8')).not.toContain('github-token');
  });

  it('refuses to store when encryption is unavailable, or only obfuscation (basic_text) is', async () => {
    const dir = tmp();
    const off = new SafeStorageSecretStore(fakeSafe({ available: false }), dir);
    expect(off.unavailableReason()).toMatch(/offers no encryption/);
    await expect(off.set('github-token', TOKEN)).rejects.toThrow(/was not stored: The operating system offers no encryption/);
    const basic = new SafeStorageSecretStore(fakeSafe({ backend: 'basic_text' }), dir);
    await expect(basic.set('gitlab-token', TOKEN)).rejects.toThrow(/only be obfuscated/);
    expect(() => readFileSync(join(dir, SECRETS_FILE))).toThrow();
  });

  it('says so (without the ciphertext) when another machine\'s token cannot be decrypted, and when the file is broken', async () => {
    const dir = tmp();
    await new SafeStorageSecretStore(fakeSafe({ key: 1 }), dir).set('jira-token', 'secret-jira');
    const other = new SafeStorageSecretStore(fakeSafe({ key: 2 }), dir);
    const err = await other.get('jira-token').catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/could not be decrypted/);
    expect(String((err as Error).message)).not.toMatch(/secret-jira|v1:/);
    writeFileSync(join(dir, SECRETS_FILE), '{not json');
    await expect(other.get('jira-token')).rejects.toThrow(/could not be read/);
  });

  it('never logs a token', async () => {
    const seen: string[] = [];
    const orig = { log: console.log, error: console.error, warn: console.warn, info: console.info };
    for (const k of Object.keys(orig) as Array<keyof typeof orig>) console[k] = (...a: unknown[]) => { seen.push(a.join(' ')); };
    try {
      const s = new SafeStorageSecretStore(fakeSafe(), tmp());
      await s.set('github-token', TOKEN);
      await s.get('github-token');
      await s.delete('github-token');
    } finally {
      Object.assign(console, orig);
    }
    expect(seen.join('\n')).not.toContain(TOKEN);
  });
});
