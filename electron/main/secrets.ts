// Tracker tokens encrypted at rest with Electron's safeStorage (OS keychain key), kept in the user data dir; never logged.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlasshouseError, PermissionDeniedError } from '../common/ipc/errors';
import { SECRET_NAMES, type SecretName, type SecretStore } from '../node/export/secrets';
import { SecretStoreUnavailableError } from '../node/export/secrets';

/** The part of Electron's `safeStorage` this store uses; injected so the logic is testable without Electron. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: 'basic_text' means no keyring was found and the "encryption" key is a constant. */
  getSelectedStorageBackend?(): string;
}

interface SecretsFile { version: 1; secrets: Partial<Record<SecretName, string>> }

export const SECRETS_FILE = 'secrets.json';

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'safe-storage';
  readonly description = 'encrypted with the OS keychain (Electron safeStorage)';
  readonly file: string;

  constructor(private readonly safe: SafeStorageLike, dir: string) {
    this.file = join(dir, SECRETS_FILE);
  }

  /** Why tokens cannot be encrypted here, or undefined when they can. */
  unavailableReason(): string | undefined {
    if (!this.safe.isEncryptionAvailable()) {
      return 'The operating system offers no encryption for stored tokens (no keychain or keyring is unlocked).';
    }
    if (this.safe.getSelectedStorageBackend?.() === 'basic_text') {
      return 'No keyring (GNOME Keyring or KWallet) was found, so stored tokens would only be obfuscated, not encrypted.';
    }
    return undefined;
  }

  private read(): SecretsFile {
    if (!existsSync(this.file)) return { version: 1, secrets: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as SecretsFile;
      if (parsed?.version !== 1 || typeof parsed.secrets !== 'object' || !parsed.secrets) throw new Error('unknown layout');
      return parsed;
    } catch (e) {
      throw new GlasshouseError(`The token file ${this.file} could not be read (${(e as Error).message}).`,
        'Remove it and save your tokens again.');
    }
  }

  private write(data: SecretsFile): void {
    mkdirSync(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    // Ciphertext only, and still readable by this user alone.
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  async get(name: SecretName): Promise<string | undefined> {
    const b64 = this.read().secrets[name];
    if (!b64) return undefined;
    if (!this.safe.isEncryptionAvailable()) {
      throw new SecretStoreUnavailableError(`The stored ${name} cannot be decrypted now: the OS keychain is not available.`,
        'Unlock your keychain (log in to the desktop session) and try again, or set the token in the environment.');
    }
    try {
      return this.safe.decryptString(Buffer.from(b64, 'base64'));
    } catch {
      // Never echo the ciphertext or the error detail: either could help someone holding the file.
      throw new PermissionDeniedError(`The stored ${name} could not be decrypted (it was saved by another user or machine).`,
        'Save the token again.');
    }
  }

  async set(name: SecretName, value: string): Promise<void> {
    if (!SECRET_NAMES.includes(name)) throw new GlasshouseError(`"${String(name)}" is not a token Glasshouse keeps.`);
    const why = this.unavailableReason();
    if (why) {
      throw new SecretStoreUnavailableError(`The ${name} was not stored: ${why}`,
        'Unlock or install a keyring and try again, or set the token in the environment (e.g. GLASSHOUSE_GITHUB_TOKEN).');
    }
    const data = this.read();
    data.secrets[name] = this.safe.encryptString(value).toString('base64');
    this.write(data);
  }

  async delete(name: SecretName): Promise<void> {
    const data = this.read();
    if (!(name in data.secrets)) return;
    delete data.secrets[name];
    this.write(data);
  }
}
