import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * The cryptographic primitives the DLMS stack needs, supplied by the host. The stack itself
 * does no I/O and holds no platform crypto: a Node entry point installs the node:crypto
 * implementation (`@openhes/dlms/node`), a browser installs its own (e.g. a pure-JS AES).
 *
 * Every method is synchronous and takes and returns plain Uint8Arrays. Inputs are checked by
 * the callers in this package (key, IV and tag lengths), so an implementation need not repeat it.
 */
export interface DlmsCrypto {
  /** Shown in diagnostics ("node:crypto"). */
  readonly name: string;
  /**
   * AES-GCM with a 16-, 24- or 32-byte key and a 12-byte IV. `tagLength` is 12..16, or 0 for
   * the keystream alone (CTR from J0+1, no AAD, no tag: suite 0 "encryption only").
   */
  gcmEncrypt(
    key: Uint8Array,
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    tagLength: number,
  ): { ciphertext: Uint8Array; tag: Uint8Array };
  /**
   * Inverse of gcmEncrypt; `tag` of 12..16 bytes, or empty for the keystream alone.
   * Returns undefined when the tag does not match.
   */
  gcmDecrypt(
    key: Uint8Array,
    iv: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
  ): Uint8Array | undefined;
  /** AES-ECB without padding (16-, 24- or 32-byte key) over whole 16-byte blocks. */
  aesEcbEncrypt(key: Uint8Array, blocks: Uint8Array): Uint8Array;
  aesEcbDecrypt(key: Uint8Array, blocks: Uint8Array): Uint8Array;
  /** Cryptographically strong random bytes. */
  randomBytes(length: number): Uint8Array;
}

let installed: DlmsCrypto | undefined;

/**
 * Installs the crypto provider every security function of this package uses when the caller
 * passes none; returns the one it replaces. `undefined` removes it (tests of the pure entry).
 */
export function setDlmsCrypto(provider: DlmsCrypto | undefined): DlmsCrypto | undefined {
  const previous = installed;
  installed = provider;
  return previous;
}

/** Whether a crypto provider is installed. */
export function hasDlmsCrypto(): boolean {
  return installed !== undefined;
}

/**
 * The installed crypto provider. Without one (the pure entry point, nothing installed) this
 * throws DlmsError Security with `detail.missing === 'crypto-provider'`.
 */
export function dlmsCrypto(): DlmsCrypto {
  if (installed !== undefined) return installed;
  throw new DlmsError(
    DlmsErrorCode.Security,
    'no crypto provider installed: import @openhes/dlms under Node, or call setDlmsCrypto() first',
    { detail: { missing: 'crypto-provider' } },
  );
}
