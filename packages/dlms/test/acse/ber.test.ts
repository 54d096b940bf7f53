import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applicationContextNameFromOid,
  applicationContextNameText,
  applicationContextNameToOid,
  BerTagClass,
  berContentReader,
  berTag,
  contextTag,
  decodeBerBitString,
  decodeBerInteger,
  decodeBerOid,
  encodeBerBitString,
  encodeBerInteger,
  encodeBerOid,
  encodeBerTag,
  encodeBerTlv,
  MechanismName,
  mechanismNameFromOid,
  mechanismNameText,
  mechanismNameToOid,
  readBerElement,
  readBerLength,
  readBerTag,
  universalTag,
} from '../../src/acse/index.ts';
import { ByteReader, fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import { arbOid } from './arbitraries.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

/** Decodes the content of a universal primitive TLV built around `content`. */
function element(content: Uint8Array) {
  const r = new ByteReader(encodeBerTlv(universalTag(4), content));
  return { r, el: readBerElement(r) };
}

describe('BER tags and lengths', () => {
  it('reads low and high tag numbers', () => {
    expect(readBerTag(new ByteReader(fromHex('A1')))).toEqual(contextTag(1, true));
    expect(readBerTag(new ByteReader(fromHex('8B')))).toEqual(contextTag(11, false));
    expect(readBerTag(new ByteReader(fromHex('BE')))).toEqual(contextTag(30, true));
    // Conformance: [APPLICATION 31] primitive, high-number form
    expect(readBerTag(new ByteReader(fromHex('5F1F')))).toEqual(berTag(BerTagClass.application, 31, false));
    expect(readBerTag(new ByteReader(fromHex('9F8101')))).toEqual(contextTag(129, false));
    expect(toHex(encodeBerTag(berTag(BerTagClass.application, 31, false)))).toBe('5F1F');
    expect(toHex(encodeBerTag(contextTag(129, false)))).toBe('9F8101');
  });

  it('rejects non-minimal and oversized tags', () => {
    expect(codeOf(() => readBerTag(new ByteReader(fromHex('9F1E'))))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => readBerTag(new ByteReader(fromHex('9F8001'))))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => readBerTag(new ByteReader(fromHex('9F8181818101'))))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => readBerTag(new ByteReader(fromHex('9F81'))))).toBe(DlmsErrorCode.Truncated);
  });

  it('reads short and long definite lengths', () => {
    expect(readBerLength(new ByteReader(fromHex('7F')))).toBe(127);
    expect(readBerLength(new ByteReader(fromHex('8180')))).toBe(128);
    expect(readBerLength(new ByteReader(fromHex('820100')))).toBe(256);
    expect(readBerLength(new ByteReader(fromHex('8105')))).toBe(5);
    expect(codeOf(() => readBerLength(new ByteReader(fromHex('80'))))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => readBerLength(new ByteReader(fromHex('FF'))))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => readBerLength(new ByteReader(fromHex('850000000001'))))).toBe(
      DlmsErrorCode.Unsupported,
    );
  });

  it('writes minimal lengths and reads them back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70000 }), (n) => {
        const tlv = encodeBerTlv(contextTag(30, true), new Uint8Array(n));
        const r = new ByteReader(tlv);
        const el = readBerElement(r);
        expect(el.end - el.contentStart).toBe(n);
        expect(r.atEnd()).toBe(true);
        expect(el.contentStart).toBe(n < 128 ? 2 : n < 256 ? 3 : n < 65536 ? 4 : 5);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps offsets absolute in nested readers', () => {
    const r = new ByteReader(fromHex('A305A1030201FF'));
    const outer = readBerElement(r);
    const inner = berContentReader(r, outer);
    const choice = readBerElement(inner);
    expect(choice.start).toBe(2);
    const int = readBerElement(berContentReader(inner, choice));
    expect(decodeBerInteger(inner, int)).toBe(-1);
    try {
      readBerElement(berContentReader(inner, int));
      expect.unreachable();
    } catch (e) {
      expect((e as DlmsError).offset).toBe(7);
    }
  });
});

describe('BER INTEGER', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7F'],
    [128, '0080'],
    [256, '0100'],
    [-1, 'FF'],
    [-128, '80'],
    [-129, 'FF7F'],
    [30, '1E'],
    [0x7fffffff, '7FFFFFFF'],
    [-(2 ** 47), '800000000000'],
  ];
  for (const [v, h] of cases) {
    it(`${v} is ${h}`, () => {
      expect(toHex(encodeBerInteger(v))).toBe(h);
      const { r, el } = element(fromHex(h));
      expect(decodeBerInteger(r, el)).toBe(v);
    });
  }

  it('round-trips every value it can encode', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), (v) => {
        const { r, el } = element(encodeBerInteger(v));
        expect(decodeBerInteger(r, el)).toBe(v);
      }),
    );
  });

  it('rejects empty, non-minimal and oversized content', () => {
    for (const [h, code] of [
      ['', DlmsErrorCode.Malformed],
      ['0001', DlmsErrorCode.Malformed],
      ['FF80', DlmsErrorCode.Malformed],
      ['01020304050607', DlmsErrorCode.Unsupported],
    ] as const) {
      const { r, el } = element(fromHex(h));
      expect(codeOf(() => decodeBerInteger(r, el))).toBe(code);
    }
    expect(codeOf(() => encodeBerInteger(2 ** 47))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => encodeBerInteger(0.5))).toBe(DlmsErrorCode.Encode);
  });
});

describe('BER BIT STRING', () => {
  it('acse-requirements authentication is 07 80', () => {
    expect(toHex(encodeBerBitString({ length: 1, bytes: Uint8Array.of(0x80) }))).toBe('0780');
    const { r, el } = element(fromHex('0780'));
    expect(decodeBerBitString(r, el)).toEqual({ length: 1, bytes: Uint8Array.of(0x80) });
  });

  it('empty bit string is 00', () => {
    expect(toHex(encodeBerBitString({ length: 0, bytes: new Uint8Array(0) }))).toBe('00');
    const { r, el } = element(fromHex('00'));
    expect(decodeBerBitString(r, el)).toEqual({ length: 0, bytes: new Uint8Array(0) });
  });

  it('rejects bad unused-bit counts', () => {
    for (const h of ['', '08FF', '01']) {
      const { r, el } = element(fromHex(h));
      expect(codeOf(() => decodeBerBitString(r, el))).toBe(DlmsErrorCode.Malformed);
    }
    expect(codeOf(() => encodeBerBitString({ length: 9, bytes: Uint8Array.of(0) }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => encodeBerBitString({ length: 0, bytes: Uint8Array.of(0) }))).toBe(
      DlmsErrorCode.Encode,
    );
  });
});

describe('BER OBJECT IDENTIFIER', () => {
  const cases: [string, string][] = [
    ['2.16.756.5.8', '6085740508'],
    ['2.16.756.5.8.1.1', '60857405080101'],
    ['2.16.756.5.8.2.5', '60857405080205'],
    ['1.3.6.1.4.1.130', '2B060104018102'],
    ['0.0', '00'],
    ['2.999.3', '883703'],
  ];
  for (const [oid, h] of cases) {
    it(`${oid} is ${h}`, () => {
      expect(toHex(encodeBerOid(oid))).toBe(h);
      const { r, el } = element(fromHex(h));
      expect(decodeBerOid(r, el)).toBe(oid);
    });
  }

  it('round-trips generated OIDs', () => {
    fc.assert(
      fc.property(arbOid, (oid) => {
        const { r, el } = element(encodeBerOid(oid));
        expect(decodeBerOid(r, el)).toBe(oid);
      }),
    );
  });

  it('rejects invalid dotted strings on encode', () => {
    for (const oid of ['', '1', '3.1', '1.40', '1..2', '01.2', '1.2.', 'a.b']) {
      expect(
        codeOf(() => encodeBerOid(oid)),
        oid,
      ).toBe(DlmsErrorCode.Encode);
    }
  });

  it('maps DLMS UA names and keeps others dotted', () => {
    expect(applicationContextNameFromOid('2.16.756.5.8.1.3')).toBe(3);
    expect(applicationContextNameFromOid('2.16.756.5.8.1.9')).toBe('2.16.756.5.8.1.9');
    expect(applicationContextNameFromOid('2.16.756.5.8.1.1.0')).toBe('2.16.756.5.8.1.1.0');
    expect(applicationContextNameToOid(2)).toBe('2.16.756.5.8.1.2');
    expect(applicationContextNameText(4)).toBe('short-name-referencing-with-ciphering');
    expect(mechanismNameFromOid('2.16.756.5.8.2.7')).toBe(MechanismName['hls-ecdsa']);
    expect(mechanismNameFromOid('2.16.756.5.8.2.0')).toBe(MechanismName.none);
    expect(mechanismNameToOid(MechanismName['hls-sha256'])).toBe('2.16.756.5.8.2.6');
    expect(mechanismNameText(5)).toBe('hls-gmac');
    expect(mechanismNameText('1.2.3')).toBe('1.2.3');
    expect(codeOf(() => applicationContextNameToOid(9 as 1))).toBe(DlmsErrorCode.Encode);
  });
});
