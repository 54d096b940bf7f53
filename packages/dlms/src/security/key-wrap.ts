import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** RFC 3394 default initial value A6A6A6A6A6A6A6A6. */
const DEFAULT_IV = Uint8Array.of(0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6);

function algorithmFor(kek: Uint8Array): string {
  switch (kek.length) {
    case 16:
      return 'id-aes128-wrap';
    case 24:
      return 'id-aes192-wrap';
    case 32:
      return 'id-aes256-wrap';
    default:
      throw new DlmsError(
        DlmsErrorCode.Security,
        `key-encryption key must be 16, 24 or 32 bytes, got ${kek.length}`,
      );
  }
}

/** RFC 3394 AES key wrap (suite 0: 16-byte KEK); key data is 16 or more bytes in 8-byte blocks. */
export function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const algorithm = algorithmFor(kek);
  if (key.length < 16 || key.length % 8 !== 0) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `key data to wrap must be 16+ bytes in 8-byte blocks, got ${key.length}`,
    );
  }
  const c = createCipheriv(algorithm, kek, DEFAULT_IV);
  return new Uint8Array(Buffer.concat([c.update(key), c.final()]));
}

/** RFC 3394 AES key unwrap; a failed integrity check is DlmsError AuthenticationFailed. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const algorithm = algorithmFor(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new DlmsError(
      DlmsErrorCode.Malformed,
      `wrapped key must be 24+ bytes in 8-byte blocks, got ${wrapped.length}`,
    );
  }
  try {
    const d = createDecipheriv(algorithm, kek, DEFAULT_IV);
    return new Uint8Array(Buffer.concat([d.update(wrapped), d.final()]));
  } catch (cause) {
    throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'AES key unwrap integrity check failed', {
      cause,
    });
  }
}
