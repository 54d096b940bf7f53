import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

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

/** A plain Uint8Array view of node's output, so callers never hold a Buffer. */
function toUint8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** GCM `final()` yields no bytes (no padding), so the update output is the whole result. */
function joined(head: Buffer, tail: Buffer): Uint8Array {
  return toUint8(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

function keystream(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, iv);
  return joined(c.update(data), c.final());
}

export const nodeAesGcm: AesGcm = {
  encrypt(key, iv, aad, plaintext, tagLength) {
    checkInputs(key, iv, tagLength);
    if (tagLength === 0) return { ciphertext: keystream(key, iv, plaintext), tag: new Uint8Array(0) };
    const c = createCipheriv('aes-128-gcm', key, iv, { authTagLength: tagLength });
    c.setAAD(aad);
    const ciphertext = joined(c.update(plaintext), c.final());
    return { ciphertext, tag: toUint8(c.getAuthTag()) };
  },

  decrypt(key, iv, aad, ciphertext, tag) {
    checkInputs(key, iv, tag.length);
    if (tag.length === 0) return keystream(key, iv, ciphertext);
    const d = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: tag.length });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const head = d.update(ciphertext);
    try {
      return joined(head, d.final());
    } catch (cause) {
      throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'GCM authentication tag mismatch', { cause });
    }
  },
};
