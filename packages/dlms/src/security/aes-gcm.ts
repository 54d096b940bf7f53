import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { dlmsCrypto } from './crypto.ts';

export interface AesGcmResult {
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/**
 * AES-GCM as security suite 0 uses it: 16-byte keys, 12-byte IV (system title ‖ invocation counter).
 *
 * A tag length of 0 is "encryption only" (SC 0x20): the GCM keystream (CTR from J0+1) with no tag.
 * `decrypt` with an empty tag therefore authenticates nothing; callers decide whether that is allowed.
 */
export interface AesGcm {
  encrypt(
    key: Uint8Array,
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    tagLength: number,
  ): AesGcmResult;
  /** Throws DlmsError AuthenticationFailed when the tag does not match. */
  decrypt(
    key: Uint8Array,
    iv: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
  ): Uint8Array;
}

export const SUITE0_KEY_LENGTH = 16;
export const GCM_IV_LENGTH = 12;

function checkInputs(key: Uint8Array, iv: Uint8Array, tagLength: number): void {
  if (key.length !== SUITE0_KEY_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `security suite 0 needs a ${SUITE0_KEY_LENGTH}-byte key, got ${key.length} bytes`,
    );
  }
  if (iv.length !== GCM_IV_LENGTH) {
    throw new DlmsError(DlmsErrorCode.Security, `GCM IV must be ${GCM_IV_LENGTH} bytes, got ${iv.length}`);
  }
  if (tagLength !== 0 && (tagLength < 12 || tagLength > 16)) {
    throw new DlmsError(DlmsErrorCode.Security, `GCM tag length must be 0 or 12..16 bytes, got ${tagLength}`);
  }
}

/** Suite 0 AES-GCM on the installed crypto provider ({@link setDlmsCrypto}). */
export const aesGcm: AesGcm = {
  encrypt(key, iv, aad, plaintext, tagLength) {
    checkInputs(key, iv, tagLength);
    return dlmsCrypto().gcmEncrypt(key, iv, aad, plaintext, tagLength);
  },

  decrypt(key, iv, aad, ciphertext, tag) {
    checkInputs(key, iv, tag.length);
    const plaintext = dlmsCrypto().gcmDecrypt(key, iv, aad, ciphertext, tag);
    if (plaintext === undefined) {
      throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'GCM authentication tag mismatch');
    }
    return plaintext;
  },
};

/**
 * @deprecated The name of the days when the stack imported node:crypto; now the same
 * provider-backed {@link aesGcm}. Kept so existing callers compile.
 */
export const nodeAesGcm: AesGcm = aesGcm;
