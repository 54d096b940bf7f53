import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import { aesKeyUnwrap, aesKeyWrap } from '../../src/security/index.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

// Provenance: RFC 3394 section 4 test vectors (4.1, 4.2, 4.3, 4.6).
const RFC3394: [section: string, kek: string, key: string, wrapped: string][] = [
  [
    '4.1',
    '000102030405060708090A0B0C0D0E0F',
    '00112233445566778899AABBCCDDEEFF',
    '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5',
  ],
  [
    '4.2',
    '000102030405060708090A0B0C0D0E0F1011121314151617',
    '00112233445566778899AABBCCDDEEFF',
    '96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D',
  ],
  [
    '4.3',
    '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
    '00112233445566778899AABBCCDDEEFF',
    '64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7',
  ],
  [
    '4.6',
    '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
    '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F',
    '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21',
  ],
];

describe('AES key wrap (RFC 3394)', () => {
  it.each(RFC3394)('section %s wraps and unwraps', (_section, kek, key, wrapped) => {
    expect(toHex(aesKeyWrap(fromHex(kek), fromHex(key)))).toBe(wrapped);
    expect(toHex(aesKeyUnwrap(fromHex(kek), fromHex(wrapped)))).toBe(key);
  });

  it('a changed byte or the wrong KEK fails the integrity check', () => {
    const [, kek, , wrapped] = RFC3394[0]!;
    for (let i = 0; i < 24; i++) {
      const bad = fromHex(wrapped);
      bad[i] = bad[i]! ^ 0x10;
      expect(codeOf(() => aesKeyUnwrap(fromHex(kek), bad))).toBe(DlmsErrorCode.AuthenticationFailed);
    }
    const otherKek = fromHex(kek);
    otherKek[15] = 0xff;
    expect(codeOf(() => aesKeyUnwrap(otherKek, fromHex(wrapped)))).toBe(DlmsErrorCode.AuthenticationFailed);
  });

  it('refuses bad sizes', () => {
    const kek = new Uint8Array(16);
    expect(codeOf(() => aesKeyWrap(new Uint8Array(15), new Uint8Array(16)))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => aesKeyWrap(kek, new Uint8Array(8)))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => aesKeyWrap(kek, new Uint8Array(20)))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => aesKeyUnwrap(kek, new Uint8Array(16)))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => aesKeyUnwrap(kek, new Uint8Array(25)))).toBe(DlmsErrorCode.Malformed);
  });
});
