import { arbDlmsData } from '@openhes/testkit/arbitraries';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DlmsData, dataFromBytes, dataToJson, formatData, fromHex } from '../../src/index.ts';

describe('dataToJson', () => {
  it('renders bigint as string, octet-string as hex, bits as text, non-finite floats as strings', () => {
    const d: DlmsData = {
      type: 'structure',
      value: [
        { type: 'long64-unsigned', value: (1n << 64n) - 1n },
        { type: 'octet-string', value: new Uint8Array([1, 0, 1, 8, 0, 255]) },
        { type: 'bit-string', value: { length: 3, bytes: new Uint8Array([0xa0]) } },
        { type: 'float64', value: Number.NaN },
        { type: 'null-data' },
      ],
    };
    expect(dataToJson(d)).toEqual({
      type: 'structure',
      value: [
        { type: 'long64-unsigned', value: '18446744073709551615' },
        { type: 'octet-string', value: '0100010800FF' },
        { type: 'bit-string', value: '101' },
        { type: 'float64', value: 'NaN' },
        { type: 'null-data' },
      ],
    });
  });

  it('gives date-time fields, text and iso when convertible', () => {
    // date-time from the DLMS UA SetRequest vector, tagged 0x19
    const d = dataFromBytes(fromHex('19 07E50118FF0E303950FFC400'));
    expect(dataToJson(d)).toEqual({
      type: 'date-time',
      value: {
        year: 2021,
        month: 1,
        dayOfMonth: 24,
        dayOfWeek: 255,
        hour: 14,
        minute: 48,
        second: 57,
        hundredths: 80,
        deviation: -60,
        clockStatus: 0,
        text: '2021-01-24 (dow *) 14:48:57.80 dev -60 status 0x00',
        iso: '2021-01-24T13:48:57.800Z',
      },
    });
    const unspecified = dataFromBytes(fromHex('19 07E2020CFF00000000800000'));
    expect((dataToJson(unspecified) as { value: Record<string, unknown> }).value).not.toHaveProperty('iso');
  });

  it('describes compact-arrays', () => {
    const d = dataFromBytes(fromHex('13 02 02 12 05 0C 0001 FFFFFFFF 0002 00000010'));
    const j = dataToJson(d) as { description: string; value: unknown[] };
    expect(j.description).toBe('structure{long-unsigned, double-long}');
    expect(j.value).toHaveLength(2);
  });

  it('always produces something JSON.stringify accepts', () => {
    fc.assert(
      fc.property(arbDlmsData(3), (d) => {
        expect(() => JSON.stringify(dataToJson(d))).not.toThrow();
      }),
    );
  });
});

describe('formatData', () => {
  it('prints one value per line with type names, children indented', () => {
    // profile buffer row: structure { octet-string(12) date-time, double-long-unsigned 5009, enum 30 }
    const d = dataFromBytes(fromHex('01 01 02 03 09 0C 07E50118FF0E303950FFC400 06 00001391 16 1E'));
    expect(formatData(d)).toBe(
      [
        'array (1)',
        '  structure (3)',
        '    octet-string [12] 07E50118FF0E303950FFC400',
        '    double-long-unsigned 5009',
        '    enum 30',
      ].join('\n'),
    );
    expect(formatData({ type: 'null-data' }, 4)).toBe('    null-data');
  });

  it('shows date-time text with its UTC instant and strings quoted', () => {
    expect(formatData(dataFromBytes(fromHex('19 07E50118FF0E303950FFC400')))).toBe(
      'date-time 2021-01-24 (dow *) 14:48:57.80 dev -60 status 0x00 = 2021-01-24T13:48:57.800Z',
    );
    expect(formatData({ type: 'visible-string', value: 'a"b' })).toBe('visible-string "a\\"b"');
    expect(formatData(dataFromBytes(fromHex('13 11 02 0102')))).toBe(
      ['compact-array of unsigned (2)', '  unsigned 1', '  unsigned 2'].join('\n'),
    );
  });
});
