import { arbCosemDate, arbCosemDateTime, arbCosemTime } from '@openhes/testkit/arbitraries';
import { apduVectors as apdu } from '@openhes/testkit/vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  type CosemDateTime,
  clockStatusFlags,
  DlmsError,
  DlmsErrorCode,
  dataFromBytes,
  dateFromOctets,
  dateTimeFromData,
  dateTimeFromInstant,
  dateTimeFromOctets,
  dateTimeToInstant,
  dateTimeToOctets,
  dateToOctets,
  decodeDate,
  decodeTime,
  encodeDate,
  encodeTime,
  formatDateTime,
  fromHex,
  timeFromOctets,
  timeToOctets,
  toHex,
  tryDateTimeToInstant,
} from '../../src/index.ts';

function vector(name: string): string {
  const v = apdu.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`missing vector ${name}`);
  return v.hex;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return (e as DlmsError).code;
  }
  return undefined;
}

const base: CosemDateTime = {
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
};

describe('DLMS UA date-time vectors', () => {
  it('date-time, deviation -120: 2020-01-01 00:03:00.00, dev 0xFF88', () => {
    const hex = vector('date-time, deviation -120');
    const v = dateTimeFromOctets(fromHex(hex));
    expect(v).toEqual({
      year: 2020,
      month: 1,
      dayOfMonth: 1,
      dayOfWeek: 0xff,
      hour: 0,
      minute: 3,
      second: 0,
      hundredths: 0,
      deviation: -120,
      clockStatus: 0,
    });
    expect(toHex(dateTimeToOctets(v))).toBe(hex);
    // UTC = local + deviation: 00:03 local at UTC+02:00 is 22:03 UTC the day before
    expect(dateTimeToInstant(v).toISOString()).toBe('2019-12-31T22:03:00.000Z');
  });

  it('date-time, deviation not specified: 2018-02-12 00:00:00.00, dev 0x8000', () => {
    const hex = vector('date-time, deviation not specified');
    const v = dateTimeFromOctets(fromHex(hex));
    expect(v.deviation).toBeNull();
    expect([v.year, v.month, v.dayOfMonth, v.dayOfWeek, v.hour, v.minute, v.second, v.hundredths]).toEqual([
      2018, 2, 12, 0xff, 0, 0, 0, 0,
    ]);
    expect(toHex(dateTimeToOctets(v))).toBe(hex);
    expect(codeOf(() => dateTimeToInstant(v))).toBe(DlmsErrorCode.Malformed);
    expect(tryDateTimeToInstant(v)).toBeUndefined();
    expect(formatDateTime(v)).toBe('2018-02-12 (dow *) 00:00:00.00 dev unspecified status 0x00');
  });

  it('SetRequestNormal clock time: octet-string(12) 2021-01-24 14:48:57.80 dev -60', () => {
    // C1 01 C1 | class 0008 | 0000010000FF | attr 02 | no access selection 00 | Data
    const hex = vector('SetRequestNormal, clock time');
    const data = dataFromBytes(fromHex(hex).subarray(13));
    expect(data.type).toBe('octet-string');
    const v = dateTimeFromOctets((data as { value: Uint8Array }).value);
    expect(v).toEqual(base);
    expect(formatDateTime(v)).toBe('2021-01-24 (dow *) 14:48:57.80 dev -60 status 0x00');
    // Blue Book: UTC = local + deviation, -60 is UTC+01:00, so 14:48:57.80 local is 13:48:57.80 UTC
    expect(dateTimeToInstant(v).toISOString()).toBe('2021-01-24T13:48:57.800Z');
  });
});

describe('dateTimeFromData', () => {
  it('takes a date-time or a 12-byte octet-string, and nothing else', () => {
    const octets = dateTimeToOctets(base);
    expect(dateTimeFromData({ type: 'octet-string', value: octets })).toEqual(base);
    expect(dateTimeFromData({ type: 'date-time', value: base })).toEqual(base);
    expect(codeOf(() => dateTimeFromData({ type: 'octet-string', value: octets.subarray(1) }))).toBe(
      DlmsErrorCode.Malformed,
    );
    expect(codeOf(() => dateTimeFromData({ type: 'unsigned', value: 1 }))).toBe(DlmsErrorCode.Malformed);
  });
});

describe('raw layouts', () => {
  it('date is 5 bytes, time 4 bytes', () => {
    const d = { year: 2024, month: 2, dayOfMonth: 29, dayOfWeek: 4 };
    expect(toHex(dateToOctets(d))).toBe('07E8021D04');
    expect(dateFromOctets(fromHex('07E8021D04'))).toEqual(d);
    const t = { hour: 23, minute: 59, second: 0xff, hundredths: 0xff };
    expect(toHex(timeToOctets(t))).toBe('173BFFFF');
    expect(timeFromOctets(fromHex('173BFFFF'))).toEqual(t);
  });

  it('rejects octet-strings of the wrong size', () => {
    expect(codeOf(() => dateTimeFromOctets(new Uint8Array(11)))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dateTimeFromOctets(new Uint8Array(13)))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => dateFromOctets(new Uint8Array(4)))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => timeFromOctets(new Uint8Array(5)))).toBe(DlmsErrorCode.Malformed);
  });

  it('reports a short date or time as Truncated', () => {
    expect(codeOf(() => decodeDate(new ByteReader(new Uint8Array(4))))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => decodeTime(new ByteReader(new Uint8Array(3))))).toBe(DlmsErrorCode.Truncated);
  });

  it('round-trips any field values', () => {
    fc.assert(
      fc.property(arbCosemDateTime, arbCosemDate, arbCosemTime, (dt, d, t) => {
        expect(dateTimeFromOctets(dateTimeToOctets(dt))).toEqual(dt);
        const w = new ByteWriter();
        encodeDate(w, d);
        encodeTime(w, t);
        const r = new ByteReader(w.finish());
        expect(decodeDate(r)).toEqual(d);
        expect(decodeTime(r)).toEqual(t);
      }),
    );
  });
});

describe('dateTimeToInstant', () => {
  it('counts hundredths 0xFF as 0', () => {
    expect(dateTimeToInstant({ ...base, hundredths: 0xff }).toISOString()).toBe('2021-01-24T13:48:57.000Z');
  });

  it('handles positive deviations and years below 100', () => {
    expect(dateTimeToInstant({ ...base, deviation: 330 }).toISOString()).toBe('2021-01-24T20:18:57.800Z');
    expect(dateTimeToInstant({ ...base, year: 50, deviation: 0 }).toISOString()).toBe(
      '0050-01-24T14:48:57.800Z',
    );
  });

  it('ignores day-of-week and clock status', () => {
    const t = dateTimeToInstant(base).getTime();
    expect(dateTimeToInstant({ ...base, dayOfWeek: 3, clockStatus: 0x81 }).getTime()).toBe(t);
  });

  it.each<[string, Partial<CosemDateTime>]>([
    ['year unspecified', { year: 0xffff }],
    ['month unspecified', { month: 0xff }],
    ['month daylight_savings_begin', { month: 0xfe }],
    ['month daylight_savings_end', { month: 0xfd }],
    ['month 0', { month: 0 }],
    ['month 13', { month: 13 }],
    ['day unspecified', { dayOfMonth: 0xff }],
    ['last day', { dayOfMonth: 0xfe }],
    ['2nd last day', { dayOfMonth: 0xfd }],
    ['day 0', { dayOfMonth: 0 }],
    ['February 29 in 2021', { month: 2, dayOfMonth: 29 }],
    ['hour unspecified', { hour: 0xff }],
    ['hour 24', { hour: 24 }],
    ['minute unspecified', { minute: 0xff }],
    ['second 60', { second: 60 }],
    ['hundredths 100', { hundredths: 100 }],
    ['deviation unspecified', { deviation: null }],
  ])('refuses %s with Malformed', (_, patch) => {
    expect(codeOf(() => dateTimeToInstant({ ...base, ...patch }))).toBe(DlmsErrorCode.Malformed);
    expect(tryDateTimeToInstant({ ...base, ...patch })).toBeUndefined();
  });

  it('accepts February 29 in a leap year', () => {
    expect(
      dateTimeToInstant({ ...base, year: 2024, month: 2, dayOfMonth: 29, deviation: 0 }).toISOString(),
    ).toBe('2024-02-29T14:48:57.800Z');
  });
});

describe('dateTimeFromInstant', () => {
  it('writes local fields = instant − deviation and day of week (1 = Monday)', () => {
    const v = dateTimeFromInstant(new Date('2021-01-24T13:48:57.800Z'), { deviation: -60 });
    expect(v).toEqual({ ...base, dayOfWeek: 7 });
  });

  it('defaults to deviation 0 and status 0; options override', () => {
    const instant = new Date('2024-03-04T00:00:00.009Z');
    expect(dateTimeFromInstant(instant)).toEqual({
      year: 2024,
      month: 3,
      dayOfMonth: 4,
      dayOfWeek: 1,
      hour: 0,
      minute: 0,
      second: 0,
      hundredths: 0,
      deviation: 0,
      clockStatus: 0,
    });
    const v = dateTimeFromInstant(instant, { deviation: null, clockStatus: 0x80, dayOfWeek: false });
    expect([v.deviation, v.clockStatus, v.dayOfWeek, v.hour]).toEqual([null, 0x80, 0xff, 0]);
  });

  it('rejects invalid dates and deviations', () => {
    expect(codeOf(() => dateTimeFromInstant(new Date(Number.NaN)))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => dateTimeFromInstant(new Date(0), { deviation: 1.5 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => dateTimeFromInstant(new Date('-000001-01-01T00:00:00Z')))).toBe(DlmsErrorCode.Encode);
  });

  const arbInstant = fc
    .integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) })
    .map((t) => new Date(t - (t % 10)));
  const arbDeviation = fc.integer({ min: -840, max: 840 });

  it('instant → date-time → instant is the identity (at 10 ms resolution)', () => {
    fc.assert(
      fc.property(arbInstant, arbDeviation, (instant, deviation) => {
        const v = dateTimeFromInstant(instant, { deviation });
        expect(dateTimeToInstant(v).getTime()).toBe(instant.getTime());
        expect(dateTimeFromOctets(dateTimeToOctets(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('date-time → instant → date-time keeps every field when the day of week is consistent', () => {
    fc.assert(
      fc.property(arbInstant, arbDeviation, fc.nat(0x7f), (instant, deviation, clockStatus) => {
        const v = dateTimeFromInstant(instant, { deviation, clockStatus });
        expect(dateTimeFromInstant(dateTimeToInstant(v), { deviation, clockStatus })).toEqual(v);
      }),
    );
  });

  it('any 12 bytes either convert to an instant or fail with Malformed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), (bytes) => {
        const v = dateTimeFromOctets(bytes);
        const t = tryDateTimeToInstant(v);
        if (t !== undefined) expect(Number.isFinite(t.getTime())).toBe(true);
      }),
    );
  });
});

describe('text', () => {
  it('formats wildcards and special values', () => {
    const v: CosemDateTime = {
      year: 0xffff,
      month: 0xfe,
      dayOfMonth: 0xfe,
      dayOfWeek: 7,
      hour: 2,
      minute: 0xff,
      second: 0xff,
      hundredths: 0xff,
      deviation: 0,
      clockStatus: 0x81,
    };
    expect(formatDateTime(v)).toBe(
      '*-dst-begin-last (dow 7) 02:*:*.* dev 0 status 0x81 (invalid-value, daylight-saving-active)',
    );
    expect(formatDateTime({ ...v, clockStatus: 0xff })).toMatch(/status 0xFF \(unspecified\)$/);
  });

  it('names clock status bits', () => {
    expect(clockStatusFlags(0)).toEqual([]);
    expect(clockStatusFlags(0x8f)).toEqual([
      'invalid-value',
      'doubtful-value',
      'different-clock-base',
      'invalid-clock-status',
      'daylight-saving-active',
    ]);
    expect(clockStatusFlags(0x10)).toEqual(['reserved-bit-4']);
  });
});
