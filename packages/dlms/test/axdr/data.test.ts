import { arbDlmsData, arbTypeDescription } from '@openhes/testkit/arbitraries';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  dataFromBytes,
  dataToBytes,
  decodeData,
  decodeTypeDescription,
  encodeData,
  encodeTypeDescription,
  fromHex,
  MAX_DATA_DEPTH,
  toHex,
} from '../../src/index.ts';
import { DATA_FIXTURES, NON_MINIMAL } from './fixtures.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return (e as DlmsError).code;
  }
  return undefined;
}

describe('golden Data fixtures', () => {
  for (const f of DATA_FIXTURES) {
    it(`${f.name}: decode, encode, round trip`, () => {
      const bytes = fromHex(f.hex);
      expect(dataFromBytes(bytes)).toEqual(f.value);
      expect(toHex(dataToBytes(f.value))).toBe(toHex(bytes));
      const w = new ByteWriter(1);
      encodeData(w, f.value);
      const r = new ByteReader(w.finish());
      expect(decodeData(r)).toEqual(f.value);
      expect(r.atEnd()).toBe(true);
    });
  }

  it('covers every tag of the Data CHOICE', () => {
    const tags = new Set(DATA_FIXTURES.map((f) => fromHex(f.hex)[0]));
    const expected = [...Array(34).keys()].filter((t) => ![7, 8, 11, 14].includes(t)).concat(255);
    expect([...tags].sort((a, b) => a! - b!)).toEqual(expected);
  });

  it('decodes a Data embedded in a longer buffer and stops at its end', () => {
    const r = new ByteReader(fromHex('AA 12 0102 BB'), 1);
    expect(decodeData(r)).toEqual({ type: 'long-unsigned', value: 258 });
    expect(r.offset).toBe(4);
  });
});

describe('lengths', () => {
  for (const f of NON_MINIMAL) {
    it(`accepts ${f.name} and re-encodes minimally`, () => {
      const d = dataFromBytes(fromHex(f.hex));
      expect(toHex(dataToBytes(d))).toBe(toHex(fromHex(f.minimalHex)));
    });
  }

  it('encodes a 300-byte octet-string with 0x82 length', () => {
    const bytes = dataToBytes({ type: 'octet-string', value: new Uint8Array(300) });
    expect(toHex(bytes.subarray(0, 4))).toBe('0982012C');
    expect(bytes.length).toBe(304);
  });

  it('encodes a 128-element array count as 0x81 80', () => {
    const value: DlmsData[] = Array.from({ length: 128 }, () => ({ type: 'null-data' }) as const);
    expect(toHex(dataToBytes({ type: 'array', value }).subarray(0, 3))).toBe('018180');
  });

  it('rejects length-of-length 0 and 5', () => {
    expect(codeOf(() => dataFromBytes(fromHex('09 80')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dataFromBytes(fromHex('09 85 0000000001 AA')))).toBe(DlmsErrorCode.Malformed);
  });
});

describe('decoder errors', () => {
  it('rejects trailing bytes with the offset', () => {
    try {
      dataFromBytes(fromHex('11 05 00'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DlmsError);
      expect((e as DlmsError).code).toBe(DlmsErrorCode.Malformed);
      expect((e as DlmsError).offset).toBe(2);
    }
  });

  it.each(['07', '08', '0B', '0E', '22', 'FE'])('rejects unassigned tag %s', (tag) => {
    expect(codeOf(() => dataFromBytes(fromHex(tag)))).toBe(DlmsErrorCode.Malformed);
  });

  it.each([
    ['empty input', ''],
    ['long-unsigned missing a byte', '12 01'],
    ['octet-string shorter than its length', '09 04 AABB'],
    ['date-time of 11 bytes', '19 07E50118FF0E303950FFC4'],
    ['structure missing its second element', '02 02 11 01'],
    ['bit-string of 9 bits with one byte', '04 09 FF'],
  ])('reports %s as Truncated', (_, hex) => {
    expect(codeOf(() => dataFromBytes(fromHex(hex)))).toBe(DlmsErrorCode.Truncated);
  });

  // The input ended before the elements its count announces: Truncated, as in the APDU list
  // decoders (apdu/wire.ts readSequenceOf) and for '02 02 11 01' above.
  it('rejects an element count larger than the bytes left as Truncated (no huge allocation)', () => {
    expect(codeOf(() => dataFromBytes(fromHex('01 84 FFFFFFFF 00')))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => dataFromBytes(fromHex('02 03 00 00')))).toBe(DlmsErrorCode.Truncated);
  });

  it('caps nesting depth', () => {
    const ok = fromHex(`${'0201'.repeat(MAX_DATA_DEPTH)}00`);
    expect(() => dataFromBytes(ok)).not.toThrow();
    const deep = fromHex(`${'0201'.repeat(MAX_DATA_DEPTH + 1)}00`);
    expect(codeOf(() => dataFromBytes(deep))).toBe(DlmsErrorCode.Malformed);
    const hostile = new Uint8Array(200_000).fill(0x01);
    for (let i = 1; i < hostile.length; i += 2) hostile[i] = 1;
    expect(codeOf(() => dataFromBytes(hostile))).toBe(DlmsErrorCode.Malformed);
  });

  it('rejects invalid UTF-8 in utf8-string', () => {
    expect(codeOf(() => dataFromBytes(fromHex('0C 02 C328')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dataFromBytes(fromHex('0C 01 FF')))).toBe(DlmsErrorCode.Malformed);
  });

  it('decodes every byte of a visible-string as one char', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const d = dataFromBytes(new Uint8Array([0x0a, 0x82, 0x01, 0x00, ...all]));
    expect(d.type).toBe('visible-string');
    const s = (d as { value: string }).value;
    expect(s.length).toBe(256);
    expect(s.charCodeAt(0x80)).toBe(0x80);
    expect(s.charCodeAt(0xff)).toBe(0xff);
    expect(dataToBytes(d).subarray(4)).toEqual(all);
  });

  it('reads any non-zero boolean byte as true', () => {
    expect(dataFromBytes(fromHex('03 05'))).toEqual({ type: 'boolean', value: true });
  });
});

describe('compact-array', () => {
  it('rejects compact-array and unassigned tags inside a description', () => {
    expect(codeOf(() => dataFromBytes(fromHex('13 13 11 00')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dataFromBytes(fromHex('13 07 00')))).toBe(DlmsErrorCode.Malformed);
  });

  it('rejects contents for zero-size elements instead of looping', () => {
    expect(codeOf(() => dataFromBytes(fromHex('13 00 02 0000')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dataFromBytes(fromHex('13 01 FFFF 01 FFFF 00 01 05')))).toBe(DlmsErrorCode.Malformed);
    expect(dataFromBytes(fromHex('13 00 00'))).toEqual({
      type: 'compact-array',
      description: { type: 'null-data' },
      value: [],
    });
  });

  it('reports contents that end inside an element as Truncated', () => {
    expect(codeOf(() => dataFromBytes(fromHex('13 12 03 000102')))).toBe(DlmsErrorCode.Truncated);
  });

  it('reports contents longer than the input as Truncated', () => {
    expect(codeOf(() => dataFromBytes(fromHex('13 11 05 0102')))).toBe(DlmsErrorCode.Truncated);
  });

  it('refuses to encode values that do not match the description', () => {
    const enc = (value: DlmsData[]) => () =>
      dataToBytes({
        type: 'compact-array',
        description: { type: 'array', count: 2, element: { type: 'unsigned' } },
        value,
      });
    expect(codeOf(enc([{ type: 'unsigned', value: 1 }]))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(enc([{ type: 'array', value: [{ type: 'unsigned', value: 1 }] }]))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(
      codeOf(
        enc([
          {
            type: 'array',
            value: [
              { type: 'unsigned', value: 1 },
              { type: 'long', value: 1 },
            ],
          },
        ]),
      ),
    ).toBe(DlmsErrorCode.Encode);
    expect(
      codeOf(() =>
        dataToBytes({
          type: 'compact-array',
          description: { type: 'null-data' },
          value: [{ type: 'null-data' }],
        }),
      ),
    ).toBe(DlmsErrorCode.Encode);
  });

  it('round-trips type descriptions', () => {
    fc.assert(
      fc.property(arbTypeDescription(3), (d) => {
        const w = new ByteWriter();
        encodeTypeDescription(w, d);
        const r = new ByteReader(w.finish());
        expect(decodeTypeDescription(r)).toEqual(d);
        expect(r.atEnd()).toBe(true);
      }),
    );
  });
});

describe('encoder validation', () => {
  it.each<[string, DlmsData]>([
    ['integer 128', { type: 'integer', value: 128 }],
    ['integer 1.5', { type: 'integer', value: 1.5 }],
    ['bcd -129', { type: 'bcd', value: -129 }],
    ['long 32768', { type: 'long', value: 32768 }],
    ['unsigned -1', { type: 'unsigned', value: -1 }],
    ['enum 256', { type: 'enum', value: 256 }],
    ['long-unsigned 65536', { type: 'long-unsigned', value: 65536 }],
    ['double-long 2^31', { type: 'double-long', value: 2 ** 31 }],
    ['double-long-unsigned -1', { type: 'double-long-unsigned', value: -1 }],
    ['double-long-unsigned NaN', { type: 'double-long-unsigned', value: Number.NaN }],
    ['long64 2^63', { type: 'long64', value: 1n << 63n }],
    ['long64-unsigned -1', { type: 'long64-unsigned', value: -1n }],
    ['delta-integer 200', { type: 'delta-integer', value: 200 }],
    ['delta-unsigned 256', { type: 'delta-unsigned', value: 256 }],
    ['delta-long-unsigned -1', { type: 'delta-long-unsigned', value: -1 }],
    ['delta-double-long-unsigned 2^32', { type: 'delta-double-long-unsigned', value: 2 ** 32 }],
    ['visible-string with U+0100', { type: 'visible-string', value: 'A\u0100' }],
    ['utf8-string with a lone surrogate', { type: 'utf8-string', value: 'a\ud800b' }],
    ['bit-string with too few bytes', { type: 'bit-string', value: { length: 9, bytes: new Uint8Array(1) } }],
    [
      'bit-string with too many bytes',
      { type: 'bit-string', value: { length: 8, bytes: new Uint8Array(2) } },
    ],
    [
      'date-time deviation -32768',
      {
        type: 'date-time',
        value: {
          year: 2020,
          month: 1,
          dayOfMonth: 1,
          dayOfWeek: 3,
          hour: 0,
          minute: 0,
          second: 0,
          hundredths: 0,
          deviation: -32768,
          clockStatus: 0,
        },
      },
    ],
    ['date month 256', { type: 'date', value: { year: 2020, month: 256, dayOfMonth: 1, dayOfWeek: 1 } }],
    ['date year 65536', { type: 'date', value: { year: 65536, month: 1, dayOfMonth: 1, dayOfWeek: 1 } }],
    ['time hour -1', { type: 'time', value: { hour: -1, minute: 0, second: 0, hundredths: 0 } }],
    ['unknown type', { type: 'nope' } as unknown as DlmsData],
  ])('rejects %s with Encode', (_, d) => {
    expect(codeOf(() => dataToBytes(d))).toBe(DlmsErrorCode.Encode);
  });

  it('refuses to nest deeper than the decoder accepts', () => {
    let d: DlmsData = { type: 'null-data' };
    for (let i = 0; i <= MAX_DATA_DEPTH; i++) d = { type: 'structure', value: [d] };
    expect(codeOf(() => dataToBytes(d))).toBe(DlmsErrorCode.Encode);
  });
});

describe('properties', () => {
  it('encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbDlmsData(3), (d) => {
        expect(dataFromBytes(dataToBytes(d))).toEqual(d);
      }),
      { numRuns: 500 },
    );
  });

  const biasedBytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(fc.constantFrom(0x01, 0x02, 0x13), fc.uint8Array({ maxLength: 64 })).map(([t, b]) => {
      const out = new Uint8Array(b.length + 1);
      out[0] = t;
      out.set(b, 1);
      return out;
    }),
    fc.tuple(arbDlmsData(2), fc.nat(), fc.nat(255), fc.nat()).map(([d, at, v, cut]) => {
      const bytes = dataToBytes(d);
      if (bytes.length > 0) bytes[at % bytes.length] = v;
      return bytes.subarray(0, cut % (bytes.length + 1));
    }),
  );

  it('random bytes give a value or a DlmsError, and decoded values re-encode stably', () => {
    fc.assert(
      fc.property(biasedBytes, (bytes) => {
        let d: DlmsData;
        try {
          d = dataFromBytes(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DlmsError);
          return;
        }
        const again = dataToBytes(d);
        expect(dataFromBytes(again)).toEqual(d);
      }),
      { numRuns: 2000 },
    );
  });
});
