import type { DlmsData } from '@openhes/dlms';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CosemError,
  decodeClockAttributes,
  decodeDisconnectControl,
  decodeLimiter,
  decodeProfileBuffer,
  decodePushSetup,
  decodeRegisterMonitor,
  decodeSecuritySetup,
  describeValue,
  scalersFromScalerProfile,
  VALUE_CODECS,
  VALUE_DECODERS,
} from '../src/index.ts';
import { co, D, dt, dtOctets } from './fixtures.ts';

describe('describeValue', () => {
  it('picks the decoder from the class table', () => {
    expect(describeValue(3, 3, D.struct(D.i8(-2), D.enum(35))).described).toEqual({
      kind: 'scal_unit_type',
      value: { scaler: -2, unit: 35 },
    });
    const clock = describeValue(8, 2, dtOctets(2025, 1, 1, 0, 0));
    expect(clock.attributeName).toBe('time');
    expect(clock.described).toEqual({ kind: 'date_time', value: dt(2025, 1, 1, 0, 0) });
    expect(describeValue(70, 3, D.enum(1)).described).toEqual({
      kind: 'enum',
      value: { value: 1, name: 'connected' },
    });
    expect(describeValue(18, 6, D.enum(3)).described).toMatchObject({
      value: { name: 'image_verification_successful' },
    });
    expect(describeValue(1, 1, D.ln('0.0.42.0.0.255')).described).toEqual({
      kind: 'logical_name',
      value: [0, 0, 42, 0, 0, 255],
    });
    expect(describeValue(7, 3, D.array(co(8, '0.0.1.0.0.255', 2))).described.kind).toBe('capture_objects');
    expect(describeValue(15, 2, D.array()).described).toEqual({ kind: 'object_list', value: [] });
  });

  it('types a profile buffer when given the capture objects', () => {
    const d = describeValue(7, 2, D.array(D.struct(dtOctets(2025, 1, 1, 0, 0), D.u16(23000))), {
      captureObjects: D.array(co(8, '0.0.1.0.0.255', 2), co(3, '1.0.12.7.0.255', 2)),
      scalers: [undefined, { scaler: -2, unit: 35 }],
    });
    expect(d.described.kind).toBe('profile_buffer');
    if (d.described.kind === 'profile_buffer')
      expect(d.described.value.rows[0]![1]).toMatchObject({ value: 230 });
  });

  it('falls back to raw data, with the error when the shape is wrong', () => {
    const value = D.u32(42);
    expect(describeValue(1, 2, value).described).toEqual({ kind: 'raw', value });
    expect(describeValue(999, 5, value).described).toEqual({ kind: 'raw', value });
    expect(describeValue(7, 2, D.array()).described.kind).toBe('raw');
    const bad = describeValue(3, 3, D.u8(1)).described;
    expect(bad.kind).toBe('raw');
    if (bad.kind === 'raw') expect(bad.error?.code).toBe('COSEM_SHAPE');
  });
});

const leaf: fc.Arbitrary<DlmsData> = fc.oneof(
  fc.constant<DlmsData>({ type: 'null-data' }),
  fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
  fc.integer({ min: -128, max: 127 }).map((value): DlmsData => ({ type: 'integer', value })),
  fc.integer({ min: 0, max: 255 }).map((value): DlmsData => ({ type: 'unsigned', value })),
  fc.integer({ min: 0, max: 255 }).map((value): DlmsData => ({ type: 'enum', value })),
  fc.integer({ min: 0, max: 65535 }).map((value): DlmsData => ({ type: 'long-unsigned', value })),
  fc
    .integer({ min: 0, max: 2 ** 32 - 1 })
    .map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): DlmsData => ({ type: 'long64', value })),
  fc.double().map((value): DlmsData => ({ type: 'float64', value })),
  fc
    .oneof(fc.constantFrom(0, 3, 4, 5, 6, 7, 12), fc.integer({ min: 0, max: 16 }))
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
    .map((value): DlmsData => ({ type: 'octet-string', value })),
  fc.string().map((value): DlmsData => ({ type: 'visible-string', value })),
  fc
    .uint8Array({ minLength: 2, maxLength: 2 })
    .map((b): DlmsData => ({ type: 'bit-string', value: { length: 16, bytes: b } })),
);

const data: fc.Arbitrary<DlmsData> = fc.letrec<{ d: DlmsData }>((tie) => ({
  d: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('d'), { maxLength: 9 }).map((value): DlmsData => ({ type: 'structure', value })),
    fc.array(tie('d'), { maxLength: 4 }).map((value): DlmsData => ({ type: 'array', value })),
  ),
})).d;

function onlyCosemErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CosemError)) throw e;
    expect(e.code).toBe('COSEM_SHAPE');
  }
}

describe('robustness: every decoder returns a value or throws CosemError(COSEM_SHAPE)', () => {
  it.each(VALUE_CODECS)('%s', (codec) => {
    const decode = VALUE_DECODERS[codec] as (d: DlmsData, path: string) => unknown;
    fc.assert(
      fc.property(data, (d) => onlyCosemErrors(() => decode(d, codec))),
      { numRuns: 300 },
    );
  });

  it('multi-attribute decoders, profile buffers and describeValue', () => {
    const list = fc.array(data, { maxLength: 11 });
    fc.assert(
      fc.property(list, data, data, (values, a, b) => {
        onlyCosemErrors(() => decodeClockAttributes(values));
        onlyCosemErrors(() => decodePushSetup(values));
        onlyCosemErrors(() => decodeLimiter(values));
        onlyCosemErrors(() => decodeRegisterMonitor(values));
        onlyCosemErrors(() => decodeDisconnectControl(values));
        onlyCosemErrors(() => decodeSecuritySetup(values));
        onlyCosemErrors(() => decodeProfileBuffer(a, b));
        onlyCosemErrors(() => scalersFromScalerProfile(a, b));
        onlyCosemErrors(() =>
          decodeProfileBuffer(a, D.array(co(8, '0.0.1.0.0.255', 2), co(3, '1.0.1.8.0.255', 2))),
        );
        for (const [classId, attrs] of [
          [7, 8],
          [8, 9],
          [15, 11],
          [20, 10],
          [40, 13],
          [64, 6],
          [71, 11],
        ] as const) {
          for (let i = 1; i <= attrs; i++) {
            const described = describeValue(classId, i, a, { captureObjects: b });
            expect(described.classId).toBe(classId);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
