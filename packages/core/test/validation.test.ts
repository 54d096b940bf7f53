import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreErrorCode, ValidationError } from '../src/errors.ts';
import {
  MAX_INSTANT,
  MIN_INSTANT,
  normalizeObis,
  validateChannelDef,
  validateReadingInput,
} from '../src/validation.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).code;
  }
}

const ok = { channelId: 1, ts: Date.UTC(2025, 0, 1), value: 1.5 };

describe('validateReadingInput', () => {
  it('accepts a plain reading', () => {
    expect(codeOf(() => validateReadingInput(ok, 0))).toBeUndefined();
  });

  it('rejects non-finite values', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(codeOf(() => validateReadingInput({ ...ok, value }, 0))).toBe(CoreErrorCode.NonFiniteValue);
    }
  });

  it('rejects instants outside [2000, 2100) and non-integers', () => {
    expect(codeOf(() => validateReadingInput({ ...ok, ts: MIN_INSTANT - 1 }, 0))).toBe(
      CoreErrorCode.InstantOutOfRange,
    );
    expect(codeOf(() => validateReadingInput({ ...ok, ts: MAX_INSTANT }, 0))).toBe(
      CoreErrorCode.InstantOutOfRange,
    );
    expect(codeOf(() => validateReadingInput({ ...ok, ts: 1.5e12 + 0.5 }, 0))).toBe(
      CoreErrorCode.InvalidValue,
    );
  });

  it('rejects unknown quality flags and bad channel ids', () => {
    expect(codeOf(() => validateReadingInput({ ...ok, quality: 16 }, 0))).toBe(CoreErrorCode.InvalidValue);
    expect(codeOf(() => validateReadingInput({ ...ok, channelId: 0 }, 0))).toBe(
      CoreErrorCode.InvalidIdentifier,
    );
  });

  it('names the offending reading in the field', () => {
    try {
      validateReadingInput({ ...ok, value: Number.NaN }, 7);
      expect.unreachable();
    } catch (e) {
      expect((e as ValidationError).field).toBe('readings[7].value');
    }
  });

  it('accepts every finite value at every in-range millisecond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_INSTANT, max: MAX_INSTANT - 1 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (ts, value) => {
          validateReadingInput({ channelId: 3, ts, value }, 0);
        },
      ),
    );
  });
});

describe('normalizeObis', () => {
  it('accepts the display forms and yields six dotted groups', () => {
    expect(normalizeObis('o', '1-0:1.8.0.255')).toBe('1.0.1.8.0.255');
    expect(normalizeObis('o', '1-0:1.8.0*255')).toBe('1.0.1.8.0.255');
    expect(normalizeObis('o', '1.0.99.1.0.255')).toBe('1.0.99.1.0.255');
  });

  it('rejects groups over 255 and malformed text', () => {
    expect(codeOf(() => normalizeObis('o', '1-0:1.8.0.256'))).toBe(CoreErrorCode.InvalidValue);
    expect(codeOf(() => normalizeObis('o', '1.8.0'))).toBe(CoreErrorCode.InvalidValue);
  });

  it('round-trips every six-group code', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }), (g) => {
        const dotted = g.join('.');
        expect(normalizeObis('o', `${g[0]}-${g[1]}:${g.slice(2).join('.')}`)).toBe(dotted);
      }),
    );
  });
});

describe('validateChannelDef', () => {
  const base = { obis: '1-0:1.8.0.255', attribute: 2, unit: 'Wh', scaler: 0 } as const;

  it('requires an interval that divides a day for interval channels', () => {
    expect(validateChannelDef({ ...base, kind: 'interval', intervalSeconds: 900 }).intervalSeconds).toBe(900);
    expect(codeOf(() => validateChannelDef({ ...base, kind: 'interval', intervalSeconds: 7 }))).toBe(
      CoreErrorCode.InvalidValue,
    );
    expect(codeOf(() => validateChannelDef({ ...base, kind: 'register', intervalSeconds: 900 }))).toBe(
      CoreErrorCode.InvalidValue,
    );
  });

  it('rejects unknown kinds', () => {
    expect(codeOf(() => validateChannelDef({ ...base, kind: 'x' as never, intervalSeconds: null }))).toBe(
      CoreErrorCode.InvalidEnum,
    );
  });
});
