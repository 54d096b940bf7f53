import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CosemError } from '../src/errors.ts';
import {
  applyScaler,
  decodeScalerUnit,
  encodeScalerUnit,
  formatScaled,
  removeScaler,
  UNIT_INFO,
  Unit,
  unitName,
  unitSymbol,
} from '../src/units.ts';
import { D } from './fixtures.ts';

describe('units', () => {
  it('has a symbol and quantity for every Unit value and only those', () => {
    for (const v of Object.values(Unit)) expect(UNIT_INFO[v]).toBeDefined();
    expect(Object.keys(UNIT_INFO).length).toBe(Object.keys(Unit).length);
  });

  it.each([
    [27, 'W'],
    [28, 'VA'],
    [29, 'var'],
    [30, 'Wh'],
    [31, 'VAh'],
    [32, 'varh'],
    [33, 'A'],
    [35, 'V'],
    [44, 'Hz'],
    [6, 'min'],
    [56, '%'],
    [255, ''],
  ])('unit %i is %j', (v, symbol) => {
    expect(unitSymbol(v)).toBe(symbol);
  });

  it('unassigned values have no symbol', () => {
    for (const v of [0, 58, 59, 68, 69, 73, 127, 175, 252]) expect(unitSymbol(v)).toBeUndefined();
  });

  it('names values after the Unit keys', () => {
    expect(unitName(30)).toBe('activeEnergy');
    expect(unitName(255)).toBe('count');
  });
});

describe('scaler_unit', () => {
  it('decodes {integer, enum}', () => {
    expect(decodeScalerUnit(D.struct(D.i8(-2), D.enum(35)))).toEqual({ scaler: -2, unit: 35 });
    expect(decodeScalerUnit(encodeScalerUnit({ scaler: 3, unit: 30 }))).toEqual({ scaler: 3, unit: 30 });
  });

  it.each([
    ['not a structure', D.u8(1), 'scaler_unit'],
    ['one element', D.struct(D.i8(0)), 'scaler_unit'],
    ['octet-string scaler', D.struct(D.octets(1), D.enum(30)), 'scaler_unit.scaler'],
    ['scaler out of range', D.struct(D.i16(300), D.enum(30)), 'scaler_unit.scaler'],
  ])('rejects %s with COSEM_SHAPE and a path', (_, data, path) => {
    try {
      decodeScalerUnit(data);
      expect.fail('expected CosemError');
    } catch (e) {
      expect(e).toBeInstanceOf(CosemError);
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe(path);
    }
  });

  it('refuses to encode out-of-range values', () => {
    expect(() => encodeScalerUnit({ scaler: 200, unit: 30 })).toThrow(CosemError);
  });
});

describe('applyScaler', () => {
  it.each([
    [12345, -3, 12.345],
    [22980, -2, 229.8],
    [5006, -2, 50.06],
    [-991, -3, -0.991],
    [1, -1, 0.1],
    [3, -1, 0.3],
    [123, 3, 123000],
    [7, 0, 7],
    [0, -5, 0],
    [847.8488, 3, 847848.8],
    [1.1, -1, 0.11],
  ])('%d × 10^%d = %d', (value, scaler, expected) => {
    expect(applyScaler(value, scaler)).toBe(expected);
  });

  it('is exact for bigints', () => {
    expect(applyScaler(123456789012345678n, -3)).toBe(Number('123456789012345.678'));
    expect(applyScaler(9007199254740993n, 0)).toBe(Number('9007199254740993'));
    expect(applyScaler(5n, 2)).toBe(500);
  });

  it('equals the decimal literal for every integer and scaler', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), fc.integer({ min: -9, max: 9 }), (v, s) => {
        expect(applyScaler(v, s)).toBe(Number(`${v}e${s}`));
      }),
    );
  });

  it('equals the decimal literal for 64-bit-sized integers and every scaler a meter can send', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -(2 ** 31), max: 2 ** 32 })),
        fc.integer({ min: -128, max: 127 }),
        (v, s) => {
          expect(applyScaler(v, s)).toBe(Number(`${v}e${s}`));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('passes non-finite values through and removeScaler inverts integers', () => {
    expect(applyScaler(Number.NaN, -1)).toBeNaN();
    expect(applyScaler(Number.POSITIVE_INFINITY, -1)).toBe(Number.POSITIVE_INFINITY);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 }), fc.integer({ min: -6, max: 6 }), (v, s) => {
        expect(removeScaler(applyScaler(v, s), s)).toBe(v);
      }),
    );
  });

  it('formats with the unit symbol', () => {
    expect(formatScaled(12.345, { scaler: -3, unit: 30 })).toBe('12.345 Wh');
    expect(formatScaled(5, { scaler: 0, unit: 255 })).toBe('5');
  });
});
