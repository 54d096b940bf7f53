import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CosemError } from '../src/errors.ts';
import {
  compareObis,
  formatObis,
  isObis,
  type Obis,
  obis,
  obisEquals,
  obisFromBytes,
  obisKey,
  obisToBytes,
  obisToHex,
  parseObis,
  toObis,
} from '../src/obis.ts';

const group = fc.integer({ min: 0, max: 255 });
const anyObis = fc.tuple(group, group, group, group, group, group) as fc.Arbitrary<Obis>;

function expectInvalid(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CosemError);
    expect((e as CosemError).code).toBe('COSEM_INVALID_OBIS');
    expect((e as CosemError).retryable).toBe(false);
    return;
  }
  expect.fail('expected a CosemError');
}

describe('parseObis', () => {
  it.each([
    ['1.0.1.8.0.255', [1, 0, 1, 8, 0, 255]],
    ['1-0:1.8.0*255', [1, 0, 1, 8, 0, 255]],
    ['1-0:1.8.0', [1, 0, 1, 8, 0, 255]],
    ['1-0:1.8.0.255', [1, 0, 1, 8, 0, 255]],
    ['1-0:1.8.0&12', [1, 0, 1, 8, 0, 12]],
    ['0100010800FF', [1, 0, 1, 8, 0, 255]],
    ['0100010800ff', [1, 0, 1, 8, 0, 255]],
    ['000001000000', [0, 0, 1, 0, 0, 0]],
    ['1.0.1.8.0', [1, 0, 1, 8, 0, 255]],
    ['  0.0.96.3.10.255 ', [0, 0, 96, 3, 10, 255]],
    ['0-0:96.1.0*255', [0, 0, 96, 1, 0, 255]],
  ])('%s', (input, expected) => {
    expect(parseObis(input)).toEqual(expected);
  });

  it.each([
    '',
    '1.0.1.8',
    '1.0.1.8.0.256',
    '1.0.1.8.0.255.1',
    '1-0:1.8',
    '1-0:1.8.0*256',
    '256-0:1.8.0',
    '0100010800F',
    '0100010800FG',
    'a.b.c.d.e.f',
    '1.0.-1.8.0.255',
    '1.0.1.8.0.2550',
  ])('rejects %j', (input) => {
    expectInvalid(() => parseObis(input));
  });

  it('round-trips every 6-byte tuple through both text forms and hex', () => {
    fc.assert(
      fc.property(anyObis, (o) => {
        expect(parseObis(formatObis(o))).toEqual(o);
        expect(parseObis(formatObis(o, 'iec'))).toEqual(o);
        expect(parseObis(obisToHex(o))).toEqual(o);
        expect(obisFromBytes(obisToBytes(o))).toEqual(o);
        expect(parseObis(obisKey(o))).toEqual(o);
      }),
    );
  });

  it('keys are equal exactly when codes are equal', () => {
    fc.assert(
      fc.property(anyObis, anyObis, (a, b) => {
        expect(obisKey(a) === obisKey(b)).toBe(obisEquals(a, b));
        expect(compareObis(a, b) === 0).toBe(obisEquals(a, b));
        expect(Math.sign(compareObis(a, b))).toBe(-Math.sign(compareObis(b, a)));
      }),
    );
  });
});

describe('formatObis and friends', () => {
  it('formats dotted and IEC styles', () => {
    expect(formatObis([1, 0, 1, 8, 0, 255])).toBe('1.0.1.8.0.255');
    expect(formatObis([1, 0, 1, 8, 0, 255], 'iec')).toBe('1-0:1.8.0*255');
    expect(obisToHex([0, 0, 96, 3, 10, 255])).toBe('000060030AFF');
  });

  it('orders by A first', () => {
    const list: Obis[] = [
      [1, 0, 1, 8, 0, 255],
      [0, 0, 96, 1, 0, 255],
      [1, 0, 1, 7, 0, 255],
    ];
    expect(list.sort(compareObis).map((o) => obisKey(o))).toEqual([
      '0.0.96.1.0.255',
      '1.0.1.7.0.255',
      '1.0.1.8.0.255',
    ]);
  });

  it('converts from bytes, strings and tuples; rejects wrong lengths and ranges', () => {
    expect(toObis(Uint8Array.of(0, 0, 1, 0, 0, 255))).toEqual([0, 0, 1, 0, 0, 255]);
    expect(toObis('0.0.1.0.0.255')).toEqual([0, 0, 1, 0, 0, 255]);
    expect(obis(1, 0, 1, 8, 0)).toEqual([1, 0, 1, 8, 0, 255]);
    expectInvalid(() => obisFromBytes(Uint8Array.of(1, 2, 3)));
    expectInvalid(() => toObis([1, 0, 1, 8, 0, 256] as unknown as Obis));
    expectInvalid(() => obisToBytes([1, 0, 1.5, 8, 0, 255] as unknown as Obis));
    expect(isObis([1, 0, 1, 8, 0, 255])).toBe(true);
    expect(isObis([1, 0, 1, 8, 0])).toBe(false);
  });
});
