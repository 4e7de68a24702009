// Secret stores: env lookup order, and the keychain reached through secret-tool with argv and stdin only.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainedSecretStore, EnvSecretStore, KeychainSecretStore, SecretStoreUnavailableError, cliSecretStore } from './secrets';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('EnvSecretStore', () => {
  it('prefers GLASSHOUSE_ variables and refuses to write', async () => {
    const s = new EnvSecretStore({ GITHUB_TOKEN: 'generic', GLASSHOUSE_GITHUB_TOKEN: 'specific', GITLAB_TOKEN: ' gl ' });
    expect(await s.get('github-token')).toBe('specific');
    expect(await s.get('gitlab-token')).toBe('gl');
    expect(await s.get('jira-token')).toBeUndefined();
    await expect(s.set('jira-token', 'x')).rejects.toThrow('Environment variables cannot be written from Glasshouse.');
  });
});

describe('KeychainSecretStore', () => {
  it('says clearly when there is no keychain', () => {
    expect(() => KeychainSecretStore.open({ PATH: '/nonexistent' }, 'linux')).toThrow(SecretStoreUnavailableError);
    expect(() => KeychainSecretStore.open({ PATH: '/nonexistent' }, 'linux')).toThrow(/secret-tool command \(libsecret\) is not installed/);
    const { store, note } = cliSecretStore({ PATH: '/nonexistent', GLASSHOUSE_JIRA_TOKEN: 't' });
    expect(store.kind).toBe('env');
    expect(note).toMatch(/No OS keychain is available/);
  });

  // A stand-in records argv/stdin to prove the secret never travels on a command line or through a shell; the real
  // secret-tool + gnome-keyring is exercised in test/integration/export/keychain.test.ts.
  it('passes the secret on stdin and attributes as argv, never through a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-keychain-'));
    dirs.push(dir);
    const log = join(dir, 'calls.log');
    const db = join(dir, 'db');
    writeFileSync(join(dir, 'secret-tool'), `#!/bin/sh
printf '%s\\n' "$*" >> ${log}
case "$1" in
  store) cat > ${db};;
  lookup) [ -f ${db} ] && cat ${db} || exit 1;;
  clear) rm -f ${db};;
esac
`);
    chmodSync(join(dir, 'secret-tool'), 0o755);
    const store = KeychainSecretStore.open({ PATH: `${dir}:/usr/bin:/bin` }, 'linux');
    expect(await store.get('github-token')).toBeUndefined();
    await store.set('github-token', 'ghp_$(touch /tmp/pwned); secret');
    expect(await store.get('github-token')).toBe('ghp_$(touch /tmp/pwned); secret');
    await store.delete('github-token');
    expect(await store.get('github-token')).toBeUndefined();
    const calls = readFileSync(log, 'utf8');
    expect(calls).not.toContain('ghp_');
    expect(calls).toContain('store --label=Glasshouse github-token service glasshouse account github-token');
    const chain = new ChainedSecretStore([new EnvSecretStore({ GLASSHOUSE_GITHUB_TOKEN: 'from-env' }), store]);
    expect(await chain.get('github-token')).toBe('from-env');
  });
});
