import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPurpose, KeyStore, SecretVault } from '@openhes/core';
import { StorageError, StorageErrorCode } from './errors.ts';

export const MASTER_KEY_FILE = 'master.key';

/**
 * Wrapped form (unchanged from the acquisition key vault, so keys stored before still open):
 * format (1 byte, 1) ‖ IV (12) ‖ GCM tag (16) ‖ ciphertext; AES-256-GCM under the master key
 * with AAD `<meterId>|<purpose>`, so a wrapped key cannot be moved to another meter or purpose.
 */
const FORMAT_V1 = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const MASTER_KEY_LENGTH = 32;

function masterKeyError(message: string): StorageError {
  return new StorageError(StorageErrorCode.MasterKey, message, { retryable: false });
}

function parseKeyText(text: string, where: string): Uint8Array {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== MASTER_KEY_LENGTH) {
    throw masterKeyError(`${where} must hold 32 bytes (64 hex digits or base64)`);
  }
  return new Uint8Array(bytes);
}

/**
 * The key-encryption key for meter secrets at rest: HES_MASTER_KEY when set, else
 * `<dataDir>/master.key`, created with mode 0600 on first use. The key never leaves this
 * function except as the returned bytes.
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
  const key = randomBytes(MASTER_KEY_LENGTH);
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return parseKeyText(readFileSync(path, 'utf8'), path);
    throw e;
  }
  chmodSync(path, 0o600);
  return new Uint8Array(key);
}

/** Identifies a master key without revealing it: `mk-` and 16 hex digits of its SHA-256. */
export function kekIdOf(masterKey: Uint8Array): string {
  return `mk-${createHash('sha256').update(masterKey).digest('hex').slice(0, 16)}`;
}

const aad = (meterId: number, purpose: KeyPurpose) => Buffer.from(`${meterId}|${purpose}`);

function unreadable(meterId: number, purpose: KeyPurpose, kekId: string, reason: string): StorageError {
  return new StorageError(
    StorageErrorCode.SecretUnreadable,
    `meter ${meterId} ${purpose}: wrapped key does not open with master key ${kekId}`,
    { retryable: false, detail: { reason, meterId, purpose, kekId } },
  );
}

/**
 * The SecretVault over the store's key table: secrets are wrapped (AES-256-GCM) under the
 * master key before they reach the store and unwrapped on the way out. The master key lives
 * only in this closure (no property, nothing to serialise or inspect); errors name the meter,
 * purpose and key id, never key material.
 */
export function createSecretVault(keys: KeyStore, masterKey: Uint8Array): SecretVault {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_LENGTH) {
    throw masterKeyError('master key must be 32 bytes');
  }
  const key = Buffer.from(masterKey);
  const kekId = kekIdOf(key);

  function wrap(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_LENGTH);
    const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
    c.setAAD(aad(meterId, purpose));
    const body = Buffer.concat([c.update(secret), c.final()]);
    return new Uint8Array(Buffer.concat([Buffer.from([FORMAT_V1]), iv, c.getAuthTag(), body]));
  }

  function unwrap(meterId: number, purpose: KeyPurpose, wrapped: Uint8Array): Uint8Array {
    if (wrapped.length < 1 + IV_LENGTH + TAG_LENGTH || wrapped[0] !== FORMAT_V1) {
      throw unreadable(meterId, purpose, kekId, 'STORAGE_UNKNOWN_WRAP_FORMAT');
    }
    const iv = wrapped.subarray(1, 1 + IV_LENGTH);
    const tag = wrapped.subarray(1 + IV_LENGTH, 1 + IV_LENGTH + TAG_LENGTH);
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
    d.setAAD(aad(meterId, purpose));
    d.setAuthTag(tag);
    try {
      return new Uint8Array(
        Buffer.concat([d.update(wrapped.subarray(1 + IV_LENGTH + TAG_LENGTH)), d.final()]),
      );
    } catch {
      throw unreadable(meterId, purpose, kekId, 'STORAGE_WRONG_MASTER_KEY');
    }
  }

  return {
    kekId,

    async put(meterId, purpose, secret) {
      checkSecret(meterId, purpose, secret);
      // The same secret again under the same master key keeps the stored version.
      const current = await keys.current(meterId, purpose);
      if (current !== null && current.kekId === kekId) {
        const old = unwrap(meterId, purpose, current.wrapped);
        if (old.length === secret.length && timingSafeEqual(old, secret))
          return `${purpose}@${current.version}`;
      }
      const stored = await keys.put({ meterId, purpose, kekId, wrapped: wrap(meterId, purpose, secret) });
      return `${purpose}@${stored.version}`;
    },

    async get(meterId, purpose) {
      const current = await keys.current(meterId, purpose);
      if (current === null) return null;
      return unwrap(meterId, purpose, current.wrapped);
    },

    async putPending(meterId, purpose, secret) {
      checkSecret(meterId, purpose, secret);
      await keys.putPending({ meterId, purpose, kekId, wrapped: wrap(meterId, purpose, secret) });
    },

    async getPending(meterId, purpose) {
      const pending = await keys.pending(meterId, purpose);
      if (pending === null) return null;
      return unwrap(meterId, purpose, pending.wrapped);
    },

    async promotePending(meterId, purpose) {
      const promoted = await keys.promote(meterId, purpose);
      return promoted === null ? null : `${purpose}@${promoted.version}`;
    },

    async discardPending(meterId, purpose) {
      await keys.discardPending(meterId, purpose);
    },
  };
}

function checkSecret(meterId: number, purpose: KeyPurpose, secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'secret must be non-empty bytes', {
      detail: { reason: 'STORAGE_BAD_KEY', meterId, purpose },
    });
  }
}
