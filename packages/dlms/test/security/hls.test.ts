import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  generateChallenge,
  hlsGmacF,
  llsPasswordMatches,
  nodeAesGcm,
  verifyHlsGmacF,
} from '../../src/security/index.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

// HLS pass 4 from vectors/dlms-ua/suite0.json (Green Book suite-0 example).
const ek = fromHex('000102030405060708090A0B0C0D0E0F');
const ak = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
const systemTitle = fromHex('4D4D4D0000BC614E');
const challenge = fromHex('4B35366956616759');
const f = fromHex('1001234567FE1466AFB3DBCD4F9389E2B7');

describe('HLS mechanism 5 (GMAC)', () => {
  it('verifyHlsGmacF rejects any changed byte, the wrong challenge, title or key', () => {
    for (let i = 1; i < f.length; i++) {
      const bad = f.slice();
      bad[i] = bad[i]! ^ 0x04;
      expect(
        codeOf(() => verifyHlsGmacF(bad, { systemTitle, challenge, ek, ak })),
        `byte ${i}`,
      ).toBe(DlmsErrorCode.AuthenticationFailed);
    }
    expect(
      codeOf(() => verifyHlsGmacF(f, { systemTitle, challenge: fromHex('4B35366956616758'), ek, ak })),
    ).toBe(DlmsErrorCode.AuthenticationFailed);
    expect(
      codeOf(() => verifyHlsGmacF(f, { systemTitle: fromHex('4D4D4D0000000001'), challenge, ek, ak })),
    ).toBe(DlmsErrorCode.AuthenticationFailed);
    expect(codeOf(() => verifyHlsGmacF(f, { systemTitle, challenge, ek: ak, ak }))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
    expect(codeOf(() => verifyHlsGmacF(f.subarray(0, 16), { systemTitle, challenge, ek, ak }))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
  });

  it('an SC without the authentication bit is refused, a compression bit is Unsupported', () => {
    const noAuth = f.slice();
    noAuth[0] = 0x20;
    expect(codeOf(() => verifyHlsGmacF(noAuth, { systemTitle, challenge, ek, ak }))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
    const compressed = f.slice();
    compressed[0] = 0x90;
    expect(codeOf(() => verifyHlsGmacF(compressed, { systemTitle, challenge, ek, ak }))).toBe(
      DlmsErrorCode.Unsupported,
    );
    expect(
      codeOf(() => hlsGmacF({ systemTitle, invocationCounter: 1, challenge, ek, ak, securityControl: 0x20 })),
    ).toBe(DlmsErrorCode.Security);
  });

  it('refuses challenges outside 8..64 bytes and keys that are not 16 bytes', () => {
    const input = { systemTitle, invocationCounter: 1, ek, ak };
    expect(codeOf(() => hlsGmacF({ ...input, challenge: new Uint8Array(7) }))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => hlsGmacF({ ...input, challenge: new Uint8Array(65) }))).toBe(DlmsErrorCode.Security);
    expect(hlsGmacF({ ...input, challenge: new Uint8Array(64) })).toHaveLength(17);
    expect(codeOf(() => hlsGmacF({ ...input, challenge, ak: new Uint8Array(32) }))).toBe(
      DlmsErrorCode.Security,
    );
    expect(codeOf(() => hlsGmacF({ ...input, challenge, ek: new Uint8Array(32) }))).toBe(
      DlmsErrorCode.Security,
    );
  });
});

describe('generateChallenge', () => {
  it('uses the injected random source and the requested length', () => {
    const calls: number[] = [];
    const random = (n: number) => {
      calls.push(n);
      return new Uint8Array(n).fill(0x5a);
    };
    expect(generateChallenge(32, random)).toEqual(new Uint8Array(32).fill(0x5a));
    expect(calls).toEqual([32]);
    expect(generateChallenge()).toHaveLength(16);
  });

  it('refuses lengths outside 8..64 and a short random source', () => {
    expect(codeOf(() => generateChallenge(7))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => generateChallenge(65))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => generateChallenge(16, () => new Uint8Array(8)))).toBe(DlmsErrorCode.Security);
  });
});

describe('llsPasswordMatches', () => {
  it('matches only identical passwords', () => {
    const pw = new TextEncoder().encode('12345678');
    expect(llsPasswordMatches(pw, new TextEncoder().encode('12345678'))).toBe(true);
    expect(llsPasswordMatches(pw, new TextEncoder().encode('12345679'))).toBe(false);
    expect(llsPasswordMatches(pw, new TextEncoder().encode('1234567'))).toBe(false);
    expect(llsPasswordMatches(pw, new TextEncoder().encode('123456781234567812345678'))).toBe(false);
    expect(llsPasswordMatches(pw, new Uint8Array(0))).toBe(false);
    expect(llsPasswordMatches(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(llsPasswordMatches(new Uint8Array(0), pw)).toBe(false);
  });
});

describe('nodeAesGcm', () => {
  const iv = new Uint8Array(12);
  it('refuses keys other than 16 bytes and bad tag lengths', () => {
    expect(
      codeOf(() => nodeAesGcm.encrypt(new Uint8Array(32), iv, new Uint8Array(0), new Uint8Array(1), 12)),
    ).toBe(DlmsErrorCode.Security);
    expect(
      codeOf(() => nodeAesGcm.encrypt(ek, new Uint8Array(16), new Uint8Array(0), new Uint8Array(1), 12)),
    ).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => nodeAesGcm.encrypt(ek, iv, new Uint8Array(0), new Uint8Array(1), 8))).toBe(
      DlmsErrorCode.Security,
    );
  });

  it('returns plain Uint8Array and fails a wrong tag with AuthenticationFailed', () => {
    const { ciphertext, tag } = nodeAesGcm.encrypt(ek, iv, ak, new Uint8Array([1, 2, 3]), 12);
    expect(Object.getPrototypeOf(ciphertext)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(tag)).toBe(Uint8Array.prototype);
    expect(nodeAesGcm.decrypt(ek, iv, ak, ciphertext, tag)).toEqual(new Uint8Array([1, 2, 3]));
    const bad = tag.slice();
    bad[0] = bad[0]! ^ 1;
    expect(codeOf(() => nodeAesGcm.decrypt(ek, iv, ak, ciphertext, bad))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
  });
});
