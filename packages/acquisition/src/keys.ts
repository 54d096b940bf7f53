import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPurpose, KeyStore, SecretVault } from '@openhes/core';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

export const MASTER_KEY_FILE = 'master.key';
const FORMAT_V1 = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

function parseKeyText(text: string, where: string): Uint8Array {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== 32)
    throw new AcquisitionError(
      AcquisitionErrorCode.MasterKey,
      `${where} must hold 32 bytes (64 hex digits or base64)`,
    );
  return new Uint8Array(bytes);
}

/**
 * The key-encryption key for meter secrets at rest: HES_MASTER_KEY when set, else
 * `<dataDir>/master.key`, created with mode 0600 on first use. The key itself never leaves
 * this module except as the returned bytes.
 */
export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const fromEnv = env.HES_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return parseKeyText(fromEnv, 'HES_MASTER_KEY');
  const path = join(dataDir, MASTER_KEY_FILE);
  try {
    return parseKeyText(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return parseKeyText(readFileSync(path, 'utf8'), path);
    throw e;
  }
  chmodSync(path, 0o600);
  return new Uint8Array(key);
}

/**
 * Wraps meter secrets with AES-256-GCM under the master key. Wrapped form: version (1) ‖ IV
 * (12) ‖ tag (16) ‖ ciphertext; the meter id and purpose are authenticated as AAD, so a
 * wrapped key cannot be moved to another meter or purpose.
 */
export class KeyVault {
  readonly kekId: string;
  readonly #key: Uint8Array;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== 32)
      throw new AcquisitionError(AcquisitionErrorCode.MasterKey, 'master key must be 32 bytes');
    this.#key = masterKey;
    this.kekId = `mk-${createHash('sha256').update(masterKey).digest('hex').slice(0, 16)}`;
  }

  wrap(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_LENGTH);
    const c = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_LENGTH });
    c.setAAD(Buffer.from(`${meterId}|${purpose}`));
    const body = Buffer.concat([c.update(secret), c.final()]);
    return new Uint8Array(Buffer.concat([Buffer.from([FORMAT_V1]), iv, c.getAuthTag(), body]));
  }

  unwrap(meterId: number, purpose: KeyPurpose, wrapped: Uint8Array): Uint8Array {
    if (wrapped.length < 1 + IV_LENGTH + TAG_LENGTH || wrapped[0] !== FORMAT_V1)
      throw new AcquisitionError(
        AcquisitionErrorCode.KeyUnwrap,
        `meter ${meterId} ${purpose}: unknown wrapped key format`,
      );
    const iv = wrapped.subarray(1, 1 + IV_LENGTH);
    const tag = wrapped.subarray(1 + IV_LENGTH, 1 + IV_LENGTH + TAG_LENGTH);
    const d = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_LENGTH });
    d.setAAD(Buffer.from(`${meterId}|${purpose}`));
    d.setAuthTag(tag);
    try {
      return new Uint8Array(
        Buffer.concat([d.update(wrapped.subarray(1 + IV_LENGTH + TAG_LENGTH)), d.final()]),
      );
    } catch {
      throw new AcquisitionError(
        AcquisitionErrorCode.KeyUnwrap,
        `meter ${meterId} ${purpose}: wrapped key does not open with master key ${this.kekId}`,
      );
    }
  }

  /** The current secret of a purpose, or undefined when the meter has none. */
  async current(keys: KeyStore, meterId: number, purpose: KeyPurpose): Promise<Uint8Array | undefined> {
    const k = await keys.current(meterId, purpose);
    if (k === null) return undefined;
    return this.unwrap(meterId, purpose, k.wrapped);
  }

  /** Stores a new version unless the current one already holds this secret; returns the version. */
  async put(keys: KeyStore, meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<number> {
    const k = await keys.current(meterId, purpose);
    if (k !== null && k.kekId === this.kekId) {
      const old = this.unwrap(meterId, purpose, k.wrapped);
      if (Buffer.from(old).equals(Buffer.from(secret))) return k.version;
    }
    const stored = await keys.put({
      meterId,
      purpose,
      kekId: this.kekId,
      wrapped: this.wrap(meterId, purpose, secret),
    });
    return stored.version;
  }
}

/** The SecretVault port over a key store and this vault's master key. */
export function keyVaultSecrets(keys: KeyStore, vault: KeyVault): SecretVault {
  return {
    kekId: vault.kekId,
    put: async (meterId, purpose, secret) => `${purpose}@${await vault.put(keys, meterId, purpose, secret)}`,
    get: async (meterId, purpose) => (await vault.current(keys, meterId, purpose)) ?? null,
  };
}
