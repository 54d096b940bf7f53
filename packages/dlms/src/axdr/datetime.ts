import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { CosemDate, CosemDateTime, CosemTime, DlmsData } from './types.ts';

/** Deviation 0x8000 on the wire means "not specified". */
export const DEVIATION_UNSPECIFIED = 0x8000;
export const DATE_LENGTH = 5;
export const TIME_LENGTH = 4;
export const DATE_TIME_LENGTH = 12;

/** date (5 bytes): year-hi, year-lo, month, day-of-month, day-of-week. */
export function decodeDate(r: ByteReader): CosemDate {
  r.need(DATE_LENGTH, 'date');
  const b = r.bytes;
  const o = r.offset;
  r.offset = o + DATE_LENGTH;
  return { year: (b[o]! << 8) | b[o + 1]!, month: b[o + 2]!, dayOfMonth: b[o + 3]!, dayOfWeek: b[o + 4]! };
}

/** time (4 bytes): hour, minute, second, hundredths. */
export function decodeTime(r: ByteReader): CosemTime {
  r.need(TIME_LENGTH, 'time');
  const b = r.bytes;
  const o = r.offset;
  r.offset = o + TIME_LENGTH;
  return { hour: b[o]!, minute: b[o + 1]!, second: b[o + 2]!, hundredths: b[o + 3]! };
}

/** date-time (12 bytes): date(5), time(4), deviation (signed 16, 0x8000 = none), clock-status. */
export function decodeDateTime(r: ByteReader): CosemDateTime {
  r.need(DATE_TIME_LENGTH, 'date-time');
  const b = r.bytes;
  const o = r.offset;
  r.offset = o + DATE_TIME_LENGTH;
  const dev = (b[o + 9]! << 8) | b[o + 10]!;
  return {
    year: (b[o]! << 8) | b[o + 1]!,
    month: b[o + 2]!,
    dayOfMonth: b[o + 3]!,
    dayOfWeek: b[o + 4]!,
    hour: b[o + 5]!,
    minute: b[o + 6]!,
    second: b[o + 7]!,
    hundredths: b[o + 8]!,
    deviation: dev === DEVIATION_UNSPECIFIED ? null : dev >= 0x8000 ? dev - 0x10000 : dev,
    clockStatus: b[o + 11]!,
  };
}

function checkByte(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new DlmsError(DlmsErrorCode.Encode, `${field} ${v} does not fit in one byte`);
  }
  return v;
}

function checkYear(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new DlmsError(DlmsErrorCode.Encode, `year ${v} out of range 0..65535`);
  }
  return v;
}

export function encodeDate(w: ByteWriter, v: CosemDate): void {
  w.u16(checkYear(v.year))
    .u8(checkByte(v.month, 'month'))
    .u8(checkByte(v.dayOfMonth, 'day-of-month'))
    .u8(checkByte(v.dayOfWeek, 'day-of-week'));
}

export function encodeTime(w: ByteWriter, v: CosemTime): void {
  w.u8(checkByte(v.hour, 'hour'))
    .u8(checkByte(v.minute, 'minute'))
    .u8(checkByte(v.second, 'second'))
    .u8(checkByte(v.hundredths, 'hundredths'));
}

export function encodeDateTime(w: ByteWriter, v: CosemDateTime): void {
  encodeDate(w, v);
  encodeTime(w, v);
  const dev = v.deviation;
  if (dev === null) {
    w.u16(DEVIATION_UNSPECIFIED);
  } else {
    if (!Number.isInteger(dev) || dev < -0x7fff || dev > 0x7fff) {
      throw new DlmsError(
        DlmsErrorCode.Encode,
        `deviation ${dev} out of range -32767..32767 (use null for not specified)`,
      );
    }
    w.i16(dev);
  }
  w.u8(checkByte(v.clockStatus, 'clock-status'));
}

function exactOctets(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) {
    throw new DlmsError(
      DlmsErrorCode.Malformed,
      `${what} octet-string must be ${n} bytes, got ${bytes.length}`,
    );
  }
}

/** A date-time carried in a 12-byte octet-string (clock attribute 2, profile captures). */
export function dateTimeFromOctets(bytes: Uint8Array): CosemDateTime {
  exactOctets(bytes, DATE_TIME_LENGTH, 'date-time');
  return decodeDateTime(new ByteReader(bytes));
}

/**
 * The date-time in a `Data`: a date-time (tag 25) or the 12-byte octet-string that clock
 * attribute 2 and profile captures use. Anything else is DlmsError(Malformed).
 */
export function dateTimeFromData(d: DlmsData): CosemDateTime {
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string') return dateTimeFromOctets(d.value);
  throw new DlmsError(DlmsErrorCode.Malformed, `expected a date-time or octet-string, got ${d.type}`);
}

export function dateFromOctets(bytes: Uint8Array): CosemDate {
  exactOctets(bytes, DATE_LENGTH, 'date');
  return decodeDate(new ByteReader(bytes));
}

export function timeFromOctets(bytes: Uint8Array): CosemTime {
  exactOctets(bytes, TIME_LENGTH, 'time');
  return decodeTime(new ByteReader(bytes));
}

export function dateTimeToOctets(v: CosemDateTime): Uint8Array {
  const w = new ByteWriter(DATE_TIME_LENGTH);
  encodeDateTime(w, v);
  return w.finish();
}

export function dateToOctets(v: CosemDate): Uint8Array {
  const w = new ByteWriter(DATE_LENGTH);
  encodeDate(w, v);
  return w.finish();
}

export function timeToOctets(v: CosemTime): Uint8Array {
  const w = new ByteWriter(TIME_LENGTH);
  encodeTime(w, v);
  return w.finish();
}

// ---------------------------------------------------------------------------
// instants: UTC = local + deviation (Blue Book), so UTC+01:00 is deviation -60.

export const ClockStatus = {
  invalidValue: 0x01,
  doubtfulValue: 0x02,
  differentClockBase: 0x04,
  invalidClockStatus: 0x08,
  daylightSavingActive: 0x80,
} as const;

/** Clock status 0xFF means "not specified" (1 source); the other values are bit fields. */
export const CLOCK_STATUS_UNSPECIFIED = 0xff;
export const YEAR_UNSPECIFIED = 0xffff;
/** Month values beyond 1..12. */
export const MONTH_DAYLIGHT_SAVINGS_END = 0xfd;
export const MONTH_DAYLIGHT_SAVINGS_BEGIN = 0xfe;
/** Day-of-month values beyond 1..31. */
export const DAY_SECOND_LAST = 0xfd;
export const DAY_LAST = 0xfe;
/** Byte value meaning "not specified" for month, day, day-of-week, hour, minute, second, hundredths. */
export const NOT_SPECIFIED = 0xff;

const STATUS_NAMES: readonly [number, string][] = [
  [0x01, 'invalid-value'],
  [0x02, 'doubtful-value'],
  [0x04, 'different-clock-base'],
  [0x08, 'invalid-clock-status'],
  [0x10, 'reserved-bit-4'],
  [0x20, 'reserved-bit-5'],
  [0x40, 'reserved-bit-6'],
  [0x80, 'daylight-saving-active'],
];

/** Names of the bits set in a clock-status byte, least significant first. */
export function clockStatusFlags(status: number): string[] {
  const out: string[] = [];
  for (const [mask, name] of STATUS_NAMES) if ((status & mask) !== 0) out.push(name);
  return out;
}

function unconvertible(what: string): never {
  throw new DlmsError(DlmsErrorCode.Malformed, `date-time cannot be converted to an instant: ${what}`);
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function field(v: number, max: number, name: string): number {
  if (v === NOT_SPECIFIED) unconvertible(`${name} not specified`);
  if (v > max) unconvertible(`${name} ${v} out of range 0..${max}`);
  return v;
}

/**
 * The UTC instant of a fully specified date-time. Hundredths 0xFF count as 0; day-of-week
 * and clock status are not consulted. Throws DlmsError(Malformed) naming the first field
 * that is unspecified, special (daylight-savings month, last day) or out of range.
 */
export function dateTimeToInstant(v: CosemDateTime): Date {
  const { year, month, dayOfMonth } = v;
  if (year === YEAR_UNSPECIFIED) unconvertible('year not specified');
  if (month === NOT_SPECIFIED) unconvertible('month not specified');
  if (month === MONTH_DAYLIGHT_SAVINGS_END) unconvertible('month is daylight_savings_end');
  if (month === MONTH_DAYLIGHT_SAVINGS_BEGIN) unconvertible('month is daylight_savings_begin');
  if (month < 1 || month > 12) unconvertible(`month ${month} out of range 1..12`);
  if (dayOfMonth === NOT_SPECIFIED) unconvertible('day-of-month not specified');
  if (dayOfMonth === DAY_LAST) unconvertible('day-of-month is last day of month');
  if (dayOfMonth === DAY_SECOND_LAST) unconvertible('day-of-month is 2nd last day of month');
  if (dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) {
    unconvertible(`day-of-month ${dayOfMonth} not in ${year}-${month}`);
  }
  const hour = field(v.hour, 23, 'hour');
  const minute = field(v.minute, 59, 'minute');
  const second = field(v.second, 59, 'second');
  const hundredths = v.hundredths === NOT_SPECIFIED ? 0 : field(v.hundredths, 99, 'hundredths');
  if (v.deviation === null) unconvertible('deviation not specified');
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, dayOfMonth);
  d.setUTCHours(hour, minute, second, hundredths * 10);
  return new Date(d.getTime() + v.deviation * 60_000);
}

export function tryDateTimeToInstant(v: CosemDateTime): Date | undefined {
  try {
    return dateTimeToInstant(v);
  } catch (e) {
    if (e instanceof DlmsError) return undefined;
    throw e;
  }
}

export interface DateTimeFromInstantOptions {
  /** Minutes, UTC = local + deviation; default 0. `null` writes 0x8000 and uses local = UTC. */
  deviation?: number | null;
  /** Raw clock-status byte; default 0. */
  clockStatus?: number;
  /** Fill day-of-week (1 = Monday); default true, false writes 0xFF. */
  dayOfWeek?: boolean;
}

/** Local fields = instant − deviation; milliseconds are truncated to hundredths. */
export function dateTimeFromInstant(instant: Date, opts: DateTimeFromInstantOptions = {}): CosemDateTime {
  const deviation = opts.deviation === undefined ? 0 : opts.deviation;
  const t = instant.getTime();
  if (!Number.isFinite(t)) throw new DlmsError(DlmsErrorCode.Encode, 'invalid Date');
  if (deviation !== null && (!Number.isInteger(deviation) || deviation < -0x7fff || deviation > 0x7fff)) {
    throw new DlmsError(DlmsErrorCode.Encode, `deviation ${deviation} out of range`);
  }
  const local = new Date(t - (deviation ?? 0) * 60_000);
  const year = local.getUTCFullYear();
  if (year < 0 || year >= YEAR_UNSPECIFIED) {
    throw new DlmsError(DlmsErrorCode.Encode, `year ${year} cannot be encoded in a date-time`);
  }
  return {
    year,
    month: local.getUTCMonth() + 1,
    dayOfMonth: local.getUTCDate(),
    dayOfWeek: opts.dayOfWeek === false ? NOT_SPECIFIED : ((local.getUTCDay() + 6) % 7) + 1,
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    hundredths: Math.floor(local.getUTCMilliseconds() / 10),
    deviation,
    clockStatus: opts.clockStatus ?? 0,
  };
}

// ---------------------------------------------------------------------------
// text

function pad(v: number, width: number): string {
  return v.toString().padStart(width, '0');
}

function part(v: number, width: number): string {
  return v === NOT_SPECIFIED ? '*' : pad(v, width);
}

/** `2021-01-24 (dow *)`; wildcards are `*`, special months/days are named. */
export function formatDate(v: CosemDate): string {
  const year = v.year === YEAR_UNSPECIFIED ? '*' : pad(v.year, 4);
  const month =
    v.month === MONTH_DAYLIGHT_SAVINGS_END
      ? 'dst-end'
      : v.month === MONTH_DAYLIGHT_SAVINGS_BEGIN
        ? 'dst-begin'
        : part(v.month, 2);
  const day =
    v.dayOfMonth === DAY_LAST
      ? 'last'
      : v.dayOfMonth === DAY_SECOND_LAST
        ? '2nd-last'
        : part(v.dayOfMonth, 2);
  return `${year}-${month}-${day} (dow ${part(v.dayOfWeek, 1)})`;
}

/** `14:48:57.80`; wildcards are `*`. */
export function formatTime(v: CosemTime): string {
  return `${part(v.hour, 2)}:${part(v.minute, 2)}:${part(v.second, 2)}.${part(v.hundredths, 2)}`;
}

/** `2021-01-24 (dow *) 14:48:57.80 dev -60 status 0x00`: every field, wildcards as `*`. */
export function formatDateTime(v: CosemDateTime): string {
  const dev = v.deviation === null ? 'dev unspecified' : `dev ${v.deviation}`;
  let status = `status 0x${v.clockStatus.toString(16).toUpperCase().padStart(2, '0')}`;
  if (v.clockStatus === CLOCK_STATUS_UNSPECIFIED) status += ' (unspecified)';
  else if (v.clockStatus !== 0) status += ` (${clockStatusFlags(v.clockStatus).join(', ')})`;
  return `${formatDate(v)} ${formatTime(v)} ${dev} ${status}`;
}
