import type { DlmsData } from '../../src/axdr/index.ts';

export interface DataFixture {
  name: string;
  /** Minimal A-XDR encoding; spaces separate fields. */
  hex: string;
  value: DlmsData;
}

/**
 * Provenance: hand-assembled from the Green Book `Data` CHOICE layouts as checked in
 * shared/reference/dlms-tables.md §1 and §2, except where a line says "DLMS UA vectors"
 * (vectors/dlms-ua/apdu.json). One fixture per tag, plus containers.
 */
export const DATA_FIXTURES: DataFixture[] = [
  { name: 'null-data', hex: '00', value: { type: 'null-data' } },
  { name: 'dont-care', hex: 'FF', value: { type: 'dont-care' } },
  { name: 'boolean true', hex: '03 01', value: { type: 'boolean', value: true } },
  { name: 'boolean false', hex: '03 00', value: { type: 'boolean', value: false } },
  {
    // 10 bits: 1011 0010 01; bit 0 = MSB of the first byte, trailing 6 bits zero
    name: 'bit-string',
    hex: '04 0A B240',
    value: { type: 'bit-string', value: { length: 10, bytes: new Uint8Array([0xb2, 0x40]) } },
  },
  {
    name: 'bit-string empty',
    hex: '04 00',
    value: { type: 'bit-string', value: { length: 0, bytes: new Uint8Array() } },
  },
  { name: 'double-long -2', hex: '05 FFFFFFFE', value: { type: 'double-long', value: -2 } },
  // DLMS UA vectors: GetResponseNormal with data, double-long-unsigned 5009
  {
    name: 'double-long-unsigned 5009',
    hex: '06 00001391',
    value: { type: 'double-long-unsigned', value: 5009 },
  },
  {
    name: 'double-long-unsigned max',
    hex: '06 FFFFFFFF',
    value: { type: 'double-long-unsigned', value: 0xffffffff },
  },
  {
    // logical name 1.0.1.8.0.255
    name: 'octet-string OBIS',
    hex: '09 06 0100010800FF',
    value: { type: 'octet-string', value: new Uint8Array([1, 0, 1, 8, 0, 255]) },
  },
  { name: 'visible-string', hex: '0A 03 414243', value: { type: 'visible-string', value: 'ABC' } },
  // latin1: byte 0xE9 is one char U+00E9
  { name: 'visible-string latin1', hex: '0A 02 41E9', value: { type: 'visible-string', value: 'A\u00e9' } },
  // "é€": C3A9 E282AC
  { name: 'utf8-string', hex: '0C 05 C3A9E282AC', value: { type: 'utf8-string', value: '\u00e9\u20ac' } },
  { name: 'bcd', hex: '0D 12', value: { type: 'bcd', value: 0x12 } },
  { name: 'integer -128', hex: '0F 80', value: { type: 'integer', value: -128 } },
  { name: 'long -300', hex: '10 FED4', value: { type: 'long', value: -300 } },
  { name: 'unsigned 200', hex: '11 C8', value: { type: 'unsigned', value: 200 } },
  { name: 'long-unsigned 65535', hex: '12 FFFF', value: { type: 'long-unsigned', value: 65535 } },
  { name: 'long64 min', hex: '14 8000000000000000', value: { type: 'long64', value: -(1n << 63n) } },
  {
    name: 'long64-unsigned max',
    hex: '15 FFFFFFFFFFFFFFFF',
    value: { type: 'long64-unsigned', value: (1n << 64n) - 1n },
  },
  { name: 'enum 27', hex: '16 1B', value: { type: 'enum', value: 27 } },
  { name: 'float32 1.5', hex: '17 3FC00000', value: { type: 'float32', value: 1.5 } },
  { name: 'float64 -0.1', hex: '18 BFB999999999999A', value: { type: 'float64', value: -0.1 } },
  {
    // 2021-01-24, dow *, 14:48:57.80, deviation 0xFFC4 = -60, status 0x00 (DLMS UA vectors, SetRequest date-time)
    name: 'date-time',
    hex: '19 07E5 01 18 FF 0E 30 39 50 FFC4 00',
    value: {
      type: 'date-time',
      value: {
        year: 2021,
        month: 1,
        dayOfMonth: 24,
        dayOfWeek: 0xff,
        hour: 14,
        minute: 48,
        second: 57,
        hundredths: 80,
        deviation: -60,
        clockStatus: 0,
      },
    },
  },
  {
    // every field a wildcard; deviation 0x8000 = not specified
    name: 'date-time all wildcards',
    hex: '19 FFFF FF FF FF FF FF FF FF 8000 FF',
    value: {
      type: 'date-time',
      value: {
        year: 0xffff,
        month: 0xff,
        dayOfMonth: 0xff,
        dayOfWeek: 0xff,
        hour: 0xff,
        minute: 0xff,
        second: 0xff,
        hundredths: 0xff,
        deviation: null,
        clockStatus: 0xff,
      },
    },
  },
  {
    // 2024-02-29 Thursday (4)
    name: 'date',
    hex: '1A 07E8 02 1D 04',
    value: { type: 'date', value: { year: 2024, month: 2, dayOfMonth: 29, dayOfWeek: 4 } },
  },
  {
    // daily at 23:59, seconds and hundredths not specified
    name: 'time',
    hex: '1B 17 3B FF FF',
    value: { type: 'time', value: { hour: 23, minute: 59, second: 0xff, hundredths: 0xff } },
  },
  { name: 'delta-integer', hex: '1C FF', value: { type: 'delta-integer', value: -1 } },
  { name: 'delta-long', hex: '1D 8000', value: { type: 'delta-long', value: -32768 } },
  { name: 'delta-double-long', hex: '1E 00000100', value: { type: 'delta-double-long', value: 256 } },
  { name: 'delta-unsigned', hex: '1F FE', value: { type: 'delta-unsigned', value: 254 } },
  { name: 'delta-long-unsigned', hex: '20 0102', value: { type: 'delta-long-unsigned', value: 258 } },
  {
    name: 'delta-double-long-unsigned',
    hex: '21 80000000',
    value: { type: 'delta-double-long-unsigned', value: 0x80000000 },
  },
  {
    // register scaler_unit: structure { integer -3 (scaler), enum 30 (Wh) }
    name: 'structure scaler_unit',
    hex: '02 02 0F FD 16 1E',
    value: {
      type: 'structure',
      value: [
        { type: 'integer', value: -3 },
        { type: 'enum', value: 30 },
      ],
    },
  },
  {
    name: 'array of two long-unsigned',
    hex: '01 02 12 0001 12 0002',
    value: {
      type: 'array',
      value: [
        { type: 'long-unsigned', value: 1 },
        { type: 'long-unsigned', value: 2 },
      ],
    },
  },
  { name: 'empty array', hex: '01 00', value: { type: 'array', value: [] } },
  {
    // description structure{long-unsigned, double-long}; contents 2 × 6 bytes, no tags
    name: 'compact-array of structures',
    hex: '13 02 02 12 05 0C 0001 FFFFFFFF 0002 00000010',
    value: {
      type: 'compact-array',
      description: { type: 'structure', elements: [{ type: 'long-unsigned' }, { type: 'double-long' }] },
      value: [
        {
          type: 'structure',
          value: [
            { type: 'long-unsigned', value: 1 },
            { type: 'double-long', value: -1 },
          ],
        },
        {
          type: 'structure',
          value: [
            { type: 'long-unsigned', value: 2 },
            { type: 'double-long', value: 16 },
          ],
        },
      ],
    },
  },
  {
    // description array[3] of unsigned (count is Unsigned16); contents one element of 3 bytes
    name: 'compact-array of fixed arrays',
    hex: '13 01 0003 11 03 0A0B0C',
    value: {
      type: 'compact-array',
      description: { type: 'array', count: 3, element: { type: 'unsigned' } },
      value: [
        {
          type: 'array',
          value: [
            { type: 'unsigned', value: 10 },
            { type: 'unsigned', value: 11 },
            { type: 'unsigned', value: 12 },
          ],
        },
      ],
    },
  },
  {
    // variable-size elements keep their own length prefix inside the contents
    name: 'compact-array of octet-strings',
    hex: '13 09 05 02 AABB 01 CC',
    value: {
      type: 'compact-array',
      description: { type: 'octet-string' },
      value: [
        { type: 'octet-string', value: new Uint8Array([0xaa, 0xbb]) },
        { type: 'octet-string', value: new Uint8Array([0xcc]) },
      ],
    },
  },
  {
    name: 'compact-array empty',
    hex: '13 11 00',
    value: { type: 'compact-array', description: { type: 'unsigned' }, value: [] },
  },
];

/** Non-minimal length forms that decoders must accept (Green Book: any length-of-length). */
export const NON_MINIMAL: { name: string; hex: string; minimalHex: string }[] = [
  { name: 'octet-string length 0x81 02', hex: '09 81 02 AABB', minimalHex: '09 02 AABB' },
  { name: 'octet-string length 0x82 0002', hex: '09 82 0002 AABB', minimalHex: '09 02 AABB' },
  { name: 'octet-string length 0x83 000002', hex: '09 83 000002 AABB', minimalHex: '09 02 AABB' },
  { name: 'octet-string length 0x84 00000002', hex: '09 84 00000002 AABB', minimalHex: '09 02 AABB' },
  { name: 'array count 0x82 0001', hex: '01 82 0001 11 07', minimalHex: '01 01 11 07' },
  { name: 'structure count 0x81 01', hex: '02 81 01 00', minimalHex: '02 01 00' },
  { name: 'bit-string bits 0x81 08', hex: '04 81 08 FF', minimalHex: '04 08 FF' },
  { name: 'compact-array contents 0x82 0001', hex: '13 11 82 0001 05', minimalHex: '13 11 01 05' },
];
