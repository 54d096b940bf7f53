import { dateTimeFromOctets, dateTimeToInstant, fromHex } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { standardDateTime } from '../src/index.ts';

// IS 15959 meters send local time 2026-11-25 11:31:43 with deviation +330 (0x014A) for IST.
const ist = dateTimeFromOctets(fromHex('07EA0B19030B1F2B4E014A00'));

describe('deviation sign convention', () => {
  it('standard: UTC = local + deviation (Blue Book)', () => {
    expect(dateTimeToInstant(standardDateTime(ist, 'standard')).toISOString()).toBe(
      '2026-11-25T17:01:43.780Z',
    );
  });

  it('inverted: the meter sends local - UTC, so +330 is IST', () => {
    expect(dateTimeToInstant(standardDateTime(ist, 'inverted')).toISOString()).toBe(
      '2026-11-25T06:01:43.780Z',
    );
  });

  it('leaves an unspecified deviation alone', () => {
    const v = { ...ist, deviation: null };
    expect(standardDateTime(v, 'inverted')).toBe(v);
  });
});
