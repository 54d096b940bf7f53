import { describe, expect, it } from 'vitest';
import { CosemError } from '../../src/errors.ts';
import {
  decodeCaptureObjects,
  decodeProfileBuffer,
  encodeCaptureObjects,
  formatProfileCell,
  looksLikeDateTime,
  scalersFromScalerProfile,
} from '../../src/index.ts';
import { co, D, dt, dtOctets } from '../fixtures.ts';

// Provenance: IS 15959 block load profile 1.0.99.1.0.255, 1-ph column order as in
// /work/shared/reference/device-profiles.md §1.6 (source S1); values hand-made.
const blockLoadCaptureObjects = D.array(
  co(8, '0.0.1.0.0.255', 2),
  co(3, '1.0.12.27.0.255', 2), // average voltage
  co(3, '1.0.1.29.0.255', 2), // block kWh import
  co(3, '1.0.9.29.0.255', 2), // block kVAh import
  co(3, '1.0.2.29.0.255', 2), // block kWh export
  co(3, '1.0.10.29.0.255', 2), // block kVAh export
  co(3, '1.0.11.27.0.255', 2), // average current
  co(3, '1.0.91.27.0.255', 2), // average neutral current
);

// Scaler profile 1.0.94.91.4.255: the same registers' attribute 3, one row of scal_unit_type.
const scalerCaptureObjects = D.array(
  co(3, '1.0.12.27.0.255', 3),
  co(3, '1.0.1.29.0.255', 3),
  co(3, '1.0.9.29.0.255', 3),
  co(3, '1.0.2.29.0.255', 3),
  co(3, '1.0.10.29.0.255', 3),
  co(3, '1.0.11.27.0.255', 3),
  co(3, '1.0.91.27.0.255', 3),
);
const su = (scaler: number, unit: number) => D.struct(D.i8(scaler), D.enum(unit));
const scalerBuffer = D.array(
  D.struct(su(-2, 35), su(0, 30), su(0, 31), su(0, 30), su(0, 31), su(-3, 33), su(-3, 33)),
);

// Two 15-minute rows, IST (deviation as the meter sends it: +330 in S3's capture).
const buffer = D.array(
  D.struct(
    dtOctets(2025, 3, 1, 0, 15, 0, 330),
    D.u16(23015), // 230.15 V
    D.u32(125), // 125 Wh
    D.u32(131),
    D.u32(0),
    D.u32(0),
    D.u32(2345), // 2.345 A
    D.u32(12),
  ),
  D.struct(
    dtOctets(2025, 3, 1, 0, 30, 0, 330),
    D.u16(22998),
    D.u32(140),
    D.u32(149),
    D.u32(0),
    D.u32(0),
    D.u32(2611),
    D.u32(0),
  ),
);

describe('profile generic buffer', () => {
  it('decodes an IS 15959 block load profile with its scaler profile', () => {
    const scalers = scalersFromScalerProfile(scalerBuffer, scalerCaptureObjects);
    expect(scalers.get('1.0.12.27.0.255')).toEqual({ scaler: -2, unit: 35 });
    const profile = decodeProfileBuffer(buffer, blockLoadCaptureObjects, scalers);

    expect(profile.columns.map((c) => c.name)).toEqual([
      'Clock',
      'Average voltage (current average 5)',
      'Block active energy import (+A)',
      'Block apparent energy import',
      'Block active energy export (-A)',
      'Block apparent energy export',
      'Average current (current average 5)',
      'Average neutral current (current average 5)',
    ]);
    expect(profile.columns[0]!.isDateTime).toBe(true);
    expect(profile.columns[0]!.attributeName).toBe('time');
    expect(profile.rows).toHaveLength(2);

    const [first, second] = profile.rows;
    expect(first![0]).toEqual({
      kind: 'date-time',
      value: dt(2025, 3, 1, 0, 15, 0, 330),
      // UTC = local + deviation (Blue Book sign).
      instant: new Date(Date.UTC(2025, 2, 1, 0, 15) + 330 * 60_000),
    });
    expect(first![1]).toEqual({
      kind: 'number',
      value: 230.15,
      raw: 23015,
      scalerUnit: { scaler: -2, unit: 35 },
    });
    expect(first![2]).toMatchObject({ kind: 'number', value: 125 });
    expect(first![6]).toMatchObject({ kind: 'number', value: 2.345 });
    expect(second![1]).toMatchObject({ value: 229.98 });
    expect(second![6]).toMatchObject({ value: 2.611 });
  });

  it('takes scalers as an array by column and leaves numbers unscaled without one', () => {
    const objects = decodeCaptureObjects(blockLoadCaptureObjects);
    const profile = decodeProfileBuffer(buffer, objects, [undefined, { scaler: -2, unit: 35 }]);
    expect(profile.rows[0]![1]).toMatchObject({ value: 230.15 });
    expect(profile.rows[0]![2]).toEqual({ kind: 'number', value: 125, raw: 125, scalerUnit: undefined });
  });

  it('recognises a 12-byte date-time column that is not the clock (MD capture time)', () => {
    const objects = D.array(co(4, '1.0.1.6.0.255', 2), co(4, '1.0.1.6.0.255', 5), co(1, '0.0.96.1.0.255', 2));
    const rows = D.array(
      D.struct(D.u16(4200), dtOctets(2025, 2, 14, 18, 30), D.visible('SA1231166')),
      D.struct(D.u16(0), D.octets(...new Array(12).fill(0xff)), D.visible('SA1231166')),
    );
    const profile = decodeProfileBuffer(rows, objects);
    expect(profile.columns[1]!.isDateTime).toBe(true);
    expect(profile.rows[0]![1]).toMatchObject({ kind: 'date-time', value: dt(2025, 2, 14, 18, 30) });
    expect(profile.rows[1]![1]).toMatchObject({ kind: 'date-time', instant: undefined });
    expect(profile.rows[0]![2]).toEqual({ kind: 'text', value: 'SA1231166' });
  });

  it('recognises date-time octet-strings by shape when the capture object does not say', () => {
    expect(looksLikeDateTime(Uint8Array.of(0x07, 0xe9, 3, 1, 0xff, 0, 15, 0, 0, 0x01, 0x4a, 0))).toBe(true);
    expect(looksLikeDateTime(Uint8Array.of(0x07, 0xe9, 13, 1, 0xff, 0, 15, 0, 0, 0x01, 0x4a, 0))).toBe(false);
    expect(looksLikeDateTime(new TextEncoder().encode('ABCDEFGHIJKL'))).toBe(false);
    const objects = D.array(co(1, '0.0.96.1.9.255', 2));
    const profile = decodeProfileBuffer(D.array(D.struct(dtOctets(2025, 1, 1, 0, 0))), objects);
    expect(profile.rows[0]![0]!.kind).toBe('date-time');
    const text = decodeProfileBuffer(D.array(D.struct(D.text('ABCDEFGHIJKL'))), objects);
    expect(text.rows[0]![0]!.kind).toBe('data');
  });

  it('keeps null cells (compressed profiles) and capture objects round-trip', () => {
    const objects = decodeCaptureObjects(blockLoadCaptureObjects);
    expect(encodeCaptureObjects(objects)).toEqual(blockLoadCaptureObjects);
    const profile = decodeProfileBuffer(D.array(D.struct(D.null(), ...new Array(7).fill(D.u16(1)))), objects);
    expect(profile.rows[0]![0]).toEqual({ kind: 'null' });
  });

  it.each([
    ['buffer not an array', D.u8(1), 'buffer'],
    ['row not a structure', D.array(D.u8(1)), 'buffer[0]'],
    ['row of the wrong width', D.array(D.struct(dtOctets(2025, 1, 1, 0, 0))), 'buffer[0]'],
    [
      'clock column not a date-time',
      D.array(D.struct(D.octets(1, 2, 3), ...new Array(7).fill(D.u16(1)))),
      'buffer[0][0]',
    ],
  ])('rejects %s with COSEM_SHAPE at %s', (_, data, path) => {
    try {
      decodeProfileBuffer(data, blockLoadCaptureObjects);
      expect.fail('expected CosemError');
    } catch (e) {
      expect(e).toBeInstanceOf(CosemError);
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe(path);
    }
  });

  it('rejects a malformed capture object with its path', () => {
    const bad = D.array(co(8, '0.0.1.0.0.255', 2), D.struct(D.u16(3), D.octets(1, 0, 1), D.i8(2), D.u16(0)));
    try {
      decodeCaptureObjects(bad);
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe('capture_objects[1].logical_name');
    }
  });
});

describe('formatProfileCell', () => {
  it('formats each kind of cell', () => {
    expect(
      formatProfileCell({ kind: 'number', value: 230.15, raw: 23015, scalerUnit: { scaler: -2, unit: 35 } }),
    ).toBe('230.15 V');
    expect(formatProfileCell({ kind: 'null' })).toBe('-');
    expect(formatProfileCell({ kind: 'data', value: D.octets(0xab, 0x01) })).toBe('AB01');
    expect(
      formatProfileCell({ kind: 'date-time', value: dt(2025, 3, 1, 0, 15), instant: undefined }),
    ).toContain('2025-03-01');
  });
});
