import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type DlmsCrypto, setDlmsCrypto } from '../security/crypto.ts';

/** 16/24/32-byte keys pick AES-128/192/256; the callers in dlms have checked the length. */
function gcm(key: Uint8Array): CipherGCMTypes {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 32 ? 'aes-256-gcm' : 'aes-192-gcm';
}

function ecb(key: Uint8Array): string {
  return key.length === 16 ? 'aes-128-ecb' : key.length === 32 ? 'aes-256-ecb' : 'aes-192-ecb';
}

/** A plain Uint8Array view of node's output, so callers never hold a Buffer. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** GCM and unpadded ECB `final()` yield no bytes, so the update output is normally the whole result. */
function joined(head: Buffer, tail: Buffer): Uint8Array {
  return view(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

function keystream(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv(gcm(key), key, iv);
  return joined(c.update(data), c.final());
}

/** The DLMS crypto port on node:crypto (OpenSSL). */
export const nodeCrypto: DlmsCrypto = {
  name: 'node:crypto',

  gcmEncrypt(key, iv, aad, plaintext, tagLength) {
    if (tagLength === 0) return { ciphertext: keystream(key, iv, plaintext), tag: new Uint8Array(0) };
    const c = createCipheriv(gcm(key), key, iv, { authTagLength: tagLength });
    c.setAAD(aad);
    const ciphertext = joined(c.update(plaintext), c.final());
    return { ciphertext, tag: view(c.getAuthTag()) };
  },

  gcmDecrypt(key, iv, aad, ciphertext, tag) {
    if (tag.length === 0) return keystream(key, iv, ciphertext);
    const d = createDecipheriv(gcm(key), key, iv, { authTagLength: tag.length });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const head = d.update(ciphertext);
    try {
      return joined(head, d.final());
    } catch {
      return undefined;
    }
  },

  aesEcbEncrypt(key, blocks) {
    const c = createCipheriv(ecb(key), key, null).setAutoPadding(false);
    return joined(c.update(blocks), c.final());
  },

  aesEcbDecrypt(key, blocks) {
    const d = createDecipheriv(ecb(key), key, null).setAutoPadding(false);
    return joined(d.update(blocks), d.final());
  },

  randomBytes(length) {
    return new Uint8Array(randomBytes(length));
  },
};

/** Makes node:crypto the provider of the DLMS stack; returns the one it replaces. */
export function installNodeCrypto(): ReturnType<typeof setDlmsCrypto> {
  return setDlmsCrypto(nodeCrypto);
}
