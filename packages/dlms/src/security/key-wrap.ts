import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { dlmsCrypto } from './crypto.ts';

/** RFC 3394 default initial value A6A6A6A6A6A6A6A6. */
const DEFAULT_IV = Uint8Array.of(0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6);

function checkKek(kek: Uint8Array): void {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `key-encryption key must be 16, 24 or 32 bytes, got ${kek.length}`,
    );
  }
}

/** A ^= t, t as a 64-bit big-endian integer (t stays far below 2^32 for any key size here). */
function xorStep(block: Uint8Array, t: number): void {
  block[4]! ^= t >>> 24;
  block[5]! ^= (t >>> 16) & 0xff;
  block[6]! ^= (t >>> 8) & 0xff;
  block[7]! ^= t & 0xff;
}

/** RFC 3394 AES key wrap (suite 0: 16-byte KEK); key data is 16 or more bytes in 8-byte blocks. */
export function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Uint8Array {
  checkKek(kek);
  if (key.length < 16 || key.length % 8 !== 0) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `key data to wrap must be 16+ bytes in 8-byte blocks, got ${key.length}`,
    );
  }
  const crypto = dlmsCrypto();
  const n = key.length / 8;
  // out = A ‖ R[1] ‖ … ‖ R[n]; each step enciphers A ‖ R[i] and splits the block back.
  const out = new Uint8Array(8 + key.length);
  out.set(DEFAULT_IV, 0);
  out.set(key, 8);
  const b = new Uint8Array(16);
  for (let j = 0; j < 6; j++) {
    for (let i = 1; i <= n; i++) {
      b.set(out.subarray(0, 8), 0);
      b.set(out.subarray(8 * i, 8 * i + 8), 8);
      const e = crypto.aesEcbEncrypt(kek, b);
      out.set(e.subarray(0, 8), 0);
      xorStep(out, n * j + i);
      out.set(e.subarray(8, 16), 8 * i);
    }
  }
  return out;
}

/** RFC 3394 AES key unwrap; a failed integrity check is DlmsError AuthenticationFailed. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  checkKek(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new DlmsError(
      DlmsErrorCode.Malformed,
      `wrapped key must be 24+ bytes in 8-byte blocks, got ${wrapped.length}`,
    );
  }
  const crypto = dlmsCrypto();
  const n = wrapped.length / 8 - 1;
  const a = wrapped.slice(0, 8);
  const r = wrapped.slice(8);
  const b = new Uint8Array(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      b.set(a, 0);
      xorStep(b, n * j + i);
      b.set(r.subarray(8 * (i - 1), 8 * i), 8);
      const d = crypto.aesEcbDecrypt(kek, b);
      a.set(d.subarray(0, 8));
      r.set(d.subarray(8, 16), 8 * (i - 1));
    }
  }
  // The integrity check reads every byte whatever the first difference.
  let diff = 0;
  for (let k = 0; k < 8; k++) diff |= a[k]! ^ DEFAULT_IV[k]!;
  if (diff !== 0) {
    throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'AES key unwrap integrity check failed');
  }
  return r;
}
