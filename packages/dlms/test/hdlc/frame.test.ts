import { hdlcVectors as vectors } from '@openhes/testkit/vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  addLlc,
  crc16x25,
  decodeHdlcControl,
  decodeHdlcFrame,
  decodeHdlcParameters,
  encodeClientAddress,
  encodeHdlcControl,
  encodeHdlcFrame,
  encodeHdlcParameters,
  encodeServerAddress,
  HDLC_DEFAULT_PARAMETERS,
  type HdlcFrame,
  negotiateHdlcParameters,
  stripLlc,
} from '../../src/hdlc/index.ts';
import { arbHdlcFrame } from './arbitraries.ts';
import { FRAME_FIXTURES } from './fixtures.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return (e as DlmsError).code;
  }
  return undefined;
}

const v = vectors.vectors;
const vec = (i: number) => fromHex(v[i]!.hex);
const C16 = { logical: 16, size: 1 } as const;

describe('crc16x25', () => {
  it('matches the CRC-16/X.25 check value and the good-frame residue', () => {
    expect(crc16x25(new TextEncoder().encode('123456789'))).toBe(0x906e);
    const frame = vec(0);
    // FCS included, the register before xorout ends at 0xF0B8, i.e. 0x0F47 after xorout.
    expect(crc16x25(frame, 1, frame.length - 1)).toBe(0xf0b8 ^ 0xffff);
  });
  it('honours start and end', () => {
    const b = Uint8Array.of(0xaa, 0x31, 0x32, 0x33, 0xbb);
    expect(crc16x25(b, 1, 4)).toBe(crc16x25(Uint8Array.of(0x31, 0x32, 0x33)));
  });
});

describe('DLMS UA HDLC vectors (vectors/dlms-ua/hdlc.json)', () => {
  const expected: Array<Partial<HdlcFrame>> = [
    {
      destination: { logical: 1, physical: 17, size: 2 },
      source: C16,
      control: { kind: 'SNRM', pf: true },
      segmented: false,
      information: new Uint8Array(0),
    },
    {
      destination: C16,
      source: { logical: 1, physical: 17, size: 2 },
      control: { kind: 'UA', pf: true },
      segmented: false,
    },
    {
      destination: { logical: 1, size: 1 },
      source: C16,
      control: { kind: 'SNRM', pf: true },
      segmented: false,
    },
    {
      destination: C16,
      source: { logical: 1, size: 1 },
      control: { kind: 'UA', pf: true },
      segmented: false,
    },
    {
      destination: { logical: 1, size: 1 },
      source: C16,
      control: { kind: 'I', ns: 1, nr: 1, pf: true },
      segmented: false,
      information: fromHex('E6E600 C001C1 0008 0000010000FF 02 00'),
    },
    {
      destination: { logical: 1, size: 1 },
      source: C16,
      control: { kind: 'DISC', pf: true },
      segmented: false,
    },
  ];

  v.forEach((vector, i) => {
    it(`${vector.name}: decodes to its stated meaning and re-encodes identically`, () => {
      const frame = decodeHdlcFrame(vec(i));
      expect(frame).toMatchObject(expected[i]!);
      expect(toHex(encodeHdlcFrame(frame))).toBe(vector.hex);
    });
  });

  it('UA parameters: 0x9A/0x9A/1/1 and the defaults 128/128/1/1', () => {
    expect(decodeHdlcParameters(decodeHdlcFrame(vec(1)).information)).toEqual({
      maxInfoTransmit: 0x9a,
      maxInfoReceive: 0x9a,
      windowTransmit: 1,
      windowReceive: 1,
    });
    const p = decodeHdlcParameters(decodeHdlcFrame(vec(3)).information);
    expect(p).toEqual(HDLC_DEFAULT_PARAMETERS);
    expect(toHex(encodeHdlcParameters(p))).toBe(toHex(decodeHdlcFrame(vec(3)).information));
  });

  it('the I-frame carries the command LLC before GetRequestNormal', () => {
    const { direction, apdu } = stripLlc(decodeHdlcFrame(vec(4)).information);
    expect(direction).toBe('command');
    expect(toHex(apdu)).toBe('C001C100080000010000FF0200');
  });
});

describe('annotated frame fixtures', () => {
  for (const f of FRAME_FIXTURES) {
    it(`${f.name}: decode, encode, round trip`, () => {
      const bytes = fromHex(f.hex);
      expect(decodeHdlcFrame(bytes)).toEqual(f.frame);
      expect(toHex(encodeHdlcFrame(f.frame))).toBe(toHex(bytes));
    });
  }
});

describe('addresses', () => {
  it('encodes the 1, 2 and 4-byte server forms and the client SAP', () => {
    expect(toHex(encodeServerAddress({ logical: 1 }))).toBe('03');
    expect(toHex(encodeServerAddress({ logical: 1, physical: 17 }))).toBe('0223');
    expect(toHex(encodeServerAddress({ logical: 1, physical: 17, size: 4 }))).toBe('00020023');
    expect(toHex(encodeServerAddress({ logical: 0x3fff, physical: 0x3ffe }))).toBe('FEFEFEFD');
    expect(toHex(encodeServerAddress({ logical: 0x7f, size: 1 }))).toBe('FF');
    expect(toHex(encodeClientAddress(16))).toBe('21');
  });
  it('rejects values that do not fit the form with Encode', () => {
    expect(codeOf(() => encodeServerAddress({ logical: 0x80 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => encodeServerAddress({ logical: 1, physical: 0x80, size: 2 }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => encodeServerAddress({ logical: 1, physical: 2, size: 1 }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => encodeServerAddress({ logical: 0x4000, physical: 1 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => encodeClientAddress(128))).toBe(DlmsErrorCode.Encode);
  });
  it('rejects a 3-byte address as Malformed', () => {
    // destination 02 04 07 (3 bytes), source 21, SNRM; HCS/FCS made valid so only the address is wrong.
    const body = fromHex('A00902040721 93');
    const fcs = crc16x25(body);
    const bytes = Uint8Array.of(0x7e, ...body, fcs & 0xff, fcs >> 8, 0x7e);
    expect(codeOf(() => decodeHdlcFrame(bytes))).toBe(DlmsErrorCode.Malformed);
  });
});

describe('control field', () => {
  it('encodes every kind per reference tables §9', () => {
    expect(encodeHdlcControl({ kind: 'RR', nr: 0, pf: false })).toBe(0x01);
    expect(encodeHdlcControl({ kind: 'RR', nr: 7, pf: true })).toBe(0xf1);
    expect(encodeHdlcControl({ kind: 'RNR', nr: 1, pf: false })).toBe(0x25);
    expect(encodeHdlcControl({ kind: 'SNRM', pf: false })).toBe(0x83);
    expect(encodeHdlcControl({ kind: 'DISC', pf: false })).toBe(0x43);
    expect(encodeHdlcControl({ kind: 'UA', pf: false })).toBe(0x63);
    expect(encodeHdlcControl({ kind: 'DM', pf: false })).toBe(0x0f);
    expect(encodeHdlcControl({ kind: 'FRMR', pf: false })).toBe(0x87);
    expect(encodeHdlcControl({ kind: 'UI', pf: true })).toBe(0x13);
    expect(encodeHdlcControl({ kind: 'I', ns: 7, nr: 7, pf: true })).toBe(0xfe);
    expect(codeOf(() => encodeHdlcControl({ kind: 'I', ns: 8, nr: 0, pf: false }))).toBe(
      DlmsErrorCode.Encode,
    );
  });
  it('decodes every byte to a control or a reason, and round-trips the controls', () => {
    for (let b = 0; b < 256; b++) {
      const c = decodeHdlcControl(b);
      if (typeof c !== 'string') expect(encodeHdlcControl(c)).toBe(b);
    }
    expect(typeof decodeHdlcControl(0x09)).toBe('string'); // REJ
    expect(typeof decodeHdlcControl(0xc3)).toBe('string'); // jDLMS's UI value, not used
  });
});

describe('decodeHdlcFrame errors', () => {
  it('reports a wrong FCS or HCS as Checksum', () => {
    const bytes = vec(1);
    const badFcs = bytes.slice();
    badFcs[badFcs.length - 2]! ^= 1;
    expect(codeOf(() => decodeHdlcFrame(badFcs))).toBe(DlmsErrorCode.Checksum);
    const badHcs = bytes.slice();
    badHcs[7]! ^= 0x80;
    // Re-seal the FCS so only the HCS is wrong.
    const fcs = crc16x25(badHcs, 1, badHcs.length - 3);
    badHcs[badHcs.length - 3] = fcs & 0xff;
    badHcs[badHcs.length - 2] = fcs >> 8;
    expect(codeOf(() => decodeHdlcFrame(badHcs))).toBe(DlmsErrorCode.Checksum);
  });
  it('reports bad flags, type and length as Malformed or Truncated', () => {
    const bytes = vec(0);
    const noFlag = bytes.slice();
    noFlag[0] = 0x7f;
    expect(codeOf(() => decodeHdlcFrame(noFlag))).toBe(DlmsErrorCode.Malformed);
    const noClose = bytes.slice();
    noClose[noClose.length - 1] = 0;
    expect(codeOf(() => decodeHdlcFrame(noClose))).toBe(DlmsErrorCode.Malformed);
    const type = bytes.slice();
    type[1] = 0x90;
    expect(codeOf(() => decodeHdlcFrame(type))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeHdlcFrame(bytes.subarray(0, bytes.length - 1)))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => decodeHdlcFrame(Uint8Array.of(...bytes, 0x7e)))).toBe(DlmsErrorCode.Malformed);
  });
  it('refuses to encode a frame longer than 2047 bytes', () => {
    const frame = { ...decodeHdlcFrame(vec(4)), information: new Uint8Array(2040) };
    expect(codeOf(() => encodeHdlcFrame(frame))).toBe(DlmsErrorCode.Encode);
  });
});

describe('parameters and LLC', () => {
  it('decodes 1, 2 and 4-byte values, skips unknown ids, defaults the absent ones', () => {
    const p = decodeHdlcParameters(fromHex('81 80 0D 05 02 07 EE 09 01 FF 06 04 00 00 01 00'));
    expect(p).toEqual({ maxInfoTransmit: 0x7ee, maxInfoReceive: 256, windowTransmit: 1, windowReceive: 1 });
    expect(decodeHdlcParameters(new Uint8Array(0))).toEqual(HDLC_DEFAULT_PARAMETERS);
    expect(toHex(encodeHdlcParameters({ ...HDLC_DEFAULT_PARAMETERS, maxInfoTransmit: 0x7ee }))).toBe(
      '818013 050207EE 060180 070400000001 080400000001'.replace(/ /g, ''),
    );
  });
  it('rejects a wrong format, group, group length or value size as Malformed', () => {
    for (const hex of ['82 80 00', '81 81 00', '81 80 04 05 01 80', '81 80 04 05 03 00 00 80']) {
      expect(codeOf(() => decodeHdlcParameters(fromHex(hex)))).toBe(DlmsErrorCode.Malformed);
    }
  });
  it('negotiates the minimum of both views, windows 1..7', () => {
    const own = { maxInfoTransmit: 512, maxInfoReceive: 256, windowTransmit: 7, windowReceive: 3 };
    const peer = { maxInfoTransmit: 1000, maxInfoReceive: 300, windowTransmit: 9, windowReceive: 0 };
    expect(negotiateHdlcParameters(own, peer)).toEqual({
      maxInfoTransmit: 300,
      maxInfoReceive: 256,
      windowTransmit: 1,
      windowReceive: 3,
    });
  });
  it('adds and strips the LLC header', () => {
    expect(toHex(addLlc(Uint8Array.of(0xc0), 'command'))).toBe('E6E600C0');
    expect(toHex(addLlc(Uint8Array.of(0xc4), 'response'))).toBe('E6E700C4');
    expect(stripLlc(fromHex('E6E700C4')).direction).toBe('response');
    expect(codeOf(() => stripLlc(fromHex('E6E8 00')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => stripLlc(fromHex('E6E6')))).toBe(DlmsErrorCode.Malformed);
  });
});

describe('properties', () => {
  it('encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbHdlcFrame, (frame) => {
        expect(decodeHdlcFrame(encodeHdlcFrame(frame))).toEqual(frame);
      }),
    );
  });
  it('a decoded frame re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(arbHdlcFrame, fc.nat(), (frame, n) => {
        const bytes = encodeHdlcFrame(frame);
        expect(toHex(encodeHdlcFrame(decodeHdlcFrame(bytes)))).toBe(toHex(bytes));
        const flipped = bytes.slice();
        const at = 1 + (n % (bytes.length - 2));
        flipped[at]! ^= 1 << (n % 8);
        const code = codeOf(() => decodeHdlcFrame(flipped));
        expect(code).toBeDefined();
      }),
    );
  });
  it('random bytes give a frame or a DlmsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (body, sealed) => {
        let bytes = body;
        if (sealed) {
          const len = body.length + 4;
          const inner = Uint8Array.of(0xa0 | ((len >> 8) & 7), len & 0xff, ...body);
          const fcs = crc16x25(inner);
          bytes = Uint8Array.of(0x7e, ...inner, fcs & 0xff, fcs >> 8, 0x7e);
        }
        try {
          decodeHdlcFrame(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DlmsError);
        }
        try {
          decodeHdlcParameters(body);
        } catch (e) {
          expect(e).toBeInstanceOf(DlmsError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
