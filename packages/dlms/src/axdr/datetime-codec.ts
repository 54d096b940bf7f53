import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { CosemDate, CosemDateTime, CosemTime } from './types.ts';

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
