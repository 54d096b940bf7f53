/**
 * fast-check arbitraries shared across packages: A-XDR data, types and COSEM date-times (what
 * a meter may put on the wire). Protocol-internal ones (APDUs, ACSE, HDLC frames) stay with
 * the dlms tests.
 */

import type {
  BitString,
  CosemDate,
  CosemDateTime,
  CosemTime,
  DlmsData,
  TypeDescription,
} from '@openhes/dlms';
import fc from 'fast-check';

/** fast-check generators for A-XDR values; every value they produce encodes without error. */

const byte = fc.integer({ min: 0, max: 255 });

export const arbCosemDate: fc.Arbitrary<CosemDate> = fc.record({
  year: fc.integer({ min: 0, max: 0xffff }),
  month: byte,
  dayOfMonth: byte,
  dayOfWeek: byte,
});

export const arbCosemTime: fc.Arbitrary<CosemTime> = fc.record({
  hour: byte,
  minute: byte,
  second: byte,
  hundredths: byte,
});

/** Any 12 bytes a meter could send, wildcards and out-of-range values included. */
export const arbCosemDateTime: fc.Arbitrary<CosemDateTime> = fc.record({
  year: fc.integer({ min: 0, max: 0xffff }),
  month: byte,
  dayOfMonth: byte,
  dayOfWeek: byte,
  hour: byte,
  minute: byte,
  second: byte,
  hundredths: byte,
  deviation: fc.option(fc.integer({ min: -0x7fff, max: 0x7fff }), { nil: null }),
  clockStatus: byte,
});

export const arbBitString: fc.Arbitrary<BitString> = fc
  .nat(80)
  .chain((length) =>
    fc
      .uint8Array({ minLength: Math.ceil(length / 8), maxLength: Math.ceil(length / 8) })
      .map((bytes) => ({ length, bytes })),
  );

const latin1String = fc.string({ unit: byte.map((c) => String.fromCharCode(c)), maxLength: 40 });
const unicodeString = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ maxLength: 20 }));

type SimpleType = Exclude<DlmsData['type'], 'array' | 'structure' | 'compact-array'>;

const SIMPLE: { [K in SimpleType]: fc.Arbitrary<DlmsData & { type: K }> } = {
  'null-data': fc.constant({ type: 'null-data' }),
  'dont-care': fc.constant({ type: 'dont-care' }),
  boolean: fc.boolean().map((value) => ({ type: 'boolean', value })),
  'bit-string': arbBitString.map((value) => ({ type: 'bit-string', value })),
  'double-long': fc.integer().map((value) => ({ type: 'double-long', value })),
  'double-long-unsigned': fc
    .integer({ min: 0, max: 0xffffffff })
    .map((value) => ({ type: 'double-long-unsigned', value })),
  'octet-string': fc.uint8Array({ maxLength: 40 }).map((value) => ({ type: 'octet-string', value })),
  'visible-string': latin1String.map((value) => ({ type: 'visible-string', value })),
  'utf8-string': unicodeString.map((value) => ({ type: 'utf8-string', value })),
  bcd: fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'bcd', value })),
  integer: fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'integer', value })),
  long: fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'long', value })),
  unsigned: byte.map((value) => ({ type: 'unsigned', value })),
  'long-unsigned': fc.integer({ min: 0, max: 0xffff }).map((value) => ({ type: 'long-unsigned', value })),
  long64: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value) => ({ type: 'long64', value })),
  'long64-unsigned': fc
    .bigInt({ min: 0n, max: (1n << 64n) - 1n })
    .map((value) => ({ type: 'long64-unsigned', value })),
  enum: byte.map((value) => ({ type: 'enum', value })),
  float32: fc.float().map((value) => ({ type: 'float32', value })),
  float64: fc.double().map((value) => ({ type: 'float64', value })),
  'date-time': arbCosemDateTime.map((value) => ({ type: 'date-time', value })),
  date: arbCosemDate.map((value) => ({ type: 'date', value })),
  time: arbCosemTime.map((value) => ({ type: 'time', value })),
  'delta-integer': fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'delta-integer', value })),
  'delta-long': fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'delta-long', value })),
  'delta-double-long': fc.integer().map((value) => ({ type: 'delta-double-long', value })),
  'delta-unsigned': byte.map((value) => ({ type: 'delta-unsigned', value })),
  'delta-long-unsigned': fc
    .integer({ min: 0, max: 0xffff })
    .map((value) => ({ type: 'delta-long-unsigned', value })),
  'delta-double-long-unsigned': fc
    .integer({ min: 0, max: 0xffffffff })
    .map((value) => ({ type: 'delta-double-long-unsigned', value })),
};

export const SIMPLE_TYPES = Object.keys(SIMPLE) as SimpleType[];

/** Any non-container value. */
export const arbSimpleData: fc.Arbitrary<DlmsData> = fc.oneof(
  ...SIMPLE_TYPES.map((t) => SIMPLE[t] as fc.Arbitrary<DlmsData>),
);

const ZERO_SIZE: ReadonlySet<string> = new Set(['null-data', 'dont-care']);

function hasSize(d: TypeDescription): boolean {
  switch (d.type) {
    case 'array':
      return d.count > 0 && hasSize(d.element);
    case 'structure':
      return d.elements.some(hasSize);
    default:
      return !ZERO_SIZE.has(d.type);
  }
}

function arraysHaveSizedElements(d: TypeDescription): boolean {
  switch (d.type) {
    case 'array':
      return (d.count === 0 || hasSize(d.element)) && arraysHaveSizedElements(d.element);
    case 'structure':
      return d.elements.every(arraysHaveSizedElements);
    default:
      return true;
  }
}

const arbSimpleDescription = fc.constantFrom(...SIMPLE_TYPES).map((type) => ({ type }) as TypeDescription);

function arbDescriptionRaw(maxDepth: number): fc.Arbitrary<TypeDescription> {
  if (maxDepth <= 0) return arbSimpleDescription;
  const inner = arbDescriptionRaw(maxDepth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: arbSimpleDescription },
    {
      weight: 1,
      arbitrary: fc
        .record({ count: fc.nat(3), element: inner })
        .map(({ count, element }) => ({ type: 'array', count, element }) as TypeDescription),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(inner, { maxLength: 4 })
        .map((elements) => ({ type: 'structure', elements }) as TypeDescription),
    },
  );
}

/** A compact-array element description whose elements take at least one byte. */
export function arbTypeDescription(maxDepth = 2): fc.Arbitrary<TypeDescription> {
  return arbDescriptionRaw(maxDepth).filter((d) => hasSize(d) && arraysHaveSizedElements(d));
}

/** A value shaped as `d` describes (what a compact-array holds). */
export function arbValueFor(d: TypeDescription): fc.Arbitrary<DlmsData> {
  switch (d.type) {
    case 'array':
      return fc
        .array(arbValueFor(d.element), { minLength: d.count, maxLength: d.count })
        .map((value) => ({ type: 'array', value }));
    case 'structure':
      return fc.tuple(...d.elements.map(arbValueFor)).map((value) => ({ type: 'structure', value }));
    default:
      return SIMPLE[d.type] as fc.Arbitrary<DlmsData>;
  }
}

export const arbCompactArray: fc.Arbitrary<DlmsData> = arbTypeDescription().chain((description) =>
  fc
    .array(arbValueFor(description), { maxLength: 4 })
    .map((value) => ({ type: 'compact-array', description, value }) as DlmsData),
);

/** Any `DlmsData` with containers nested at most `maxDepth` deep. */
export function arbDlmsData(maxDepth = 3): fc.Arbitrary<DlmsData> {
  if (maxDepth <= 0) return arbSimpleData;
  const inner = arbDlmsData(maxDepth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: arbSimpleData },
    {
      weight: 1,
      arbitrary: fc.array(inner, { maxLength: 4 }).map((value) => ({ type: 'array', value }) as DlmsData),
    },
    {
      weight: 1,
      arbitrary: fc.array(inner, { maxLength: 4 }).map((value) => ({ type: 'structure', value }) as DlmsData),
    },
    { weight: 1, arbitrary: arbCompactArray },
  );
}
