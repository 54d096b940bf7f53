import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  decodeSecurityControl,
  describeSecurityControl,
  encodeSecurityControl,
  securityControlFields,
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

// Bit layout from reference tables §8: suite b0-b3, A 0x10, E 0x20, key set 0x40, compression 0x80.
describe('security control byte', () => {
  it('decodes the common suite-0 values', () => {
    expect(decodeSecurityControl(0x10)).toEqual({
      suiteId: 0,
      authentication: true,
      encryption: false,
      keySet: 'unicast',
      compression: false,
    });
    expect(decodeSecurityControl(0x20)).toMatchObject({ authentication: false, encryption: true });
    expect(decodeSecurityControl(0x30)).toMatchObject({ authentication: true, encryption: true });
    expect(decodeSecurityControl(0x70)).toMatchObject({ keySet: 'broadcast' });
  });

  it('encodes fields to the byte', () => {
    expect(encodeSecurityControl({ authentication: true, encryption: true })).toBe(0x30);
    expect(encodeSecurityControl({ authentication: true, encryption: false })).toBe(0x10);
    expect(encodeSecurityControl({ authentication: false, encryption: true, keySet: 'broadcast' })).toBe(
      0x60,
    );
  });

  it('rejects compression and suites other than 0 with Unsupported', () => {
    expect(codeOf(() => decodeSecurityControl(0xb0))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => decodeSecurityControl(0x31))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => decodeSecurityControl(0x32))).toBe(DlmsErrorCode.Unsupported);
    expect(
      codeOf(() => encodeSecurityControl({ authentication: true, encryption: true, compression: true })),
    ).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => encodeSecurityControl({ suiteId: 1, authentication: true, encryption: true }))).toBe(
      DlmsErrorCode.Unsupported,
    );
    expect(codeOf(() => encodeSecurityControl({ suiteId: 16, authentication: true, encryption: true }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => decodeSecurityControl(256))).toBe(DlmsErrorCode.Malformed);
  });

  it('round-trips every supported byte and splits every byte without throwing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (sc) => {
        const f = securityControlFields(sc);
        expect(typeof describeSecurityControl(sc)).toBe('string');
        if (f.compression || f.suiteId !== 0) {
          expect(codeOf(() => decodeSecurityControl(sc))).toBe(DlmsErrorCode.Unsupported);
        } else {
          expect(encodeSecurityControl(decodeSecurityControl(sc))).toBe(sc);
        }
      }),
    );
  });

  it('describes the byte for the translator', () => {
    expect(describeSecurityControl(0x30)).toContain('authenticated and encrypted');
    expect(describeSecurityControl(0x10)).toContain('authenticated only');
    expect(describeSecurityControl(0x60)).toContain('broadcast');
    expect(describeSecurityControl(0x90)).toContain('compressed');
  });
});
