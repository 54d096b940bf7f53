import { type ChannelDef, ChannelKind } from './domain/channel.ts';
import { EventCategory, type NewMeterEvent } from './domain/event.ts';
import { CustomerClass, MeterProtocol, MeterStatus, type NewMeter, PaymentMode } from './domain/meter.ts';
import { QUALITY_MASK, type ReadingInput, ReadingSource } from './domain/reading.ts';
import { CoreErrorCode, ValidationError } from './errors.ts';
import { DEFAULT_PAGE_LIMIT, type Instant, MAX_PAGE_LIMIT, type TimeRange } from './paging.ts';

/** Instants the head end accepts: meters older than 2000 or dated past 2100 are clock faults. */
export const MIN_INSTANT: Instant = Date.UTC(2000, 0, 1);
export const MAX_INSTANT: Instant = Date.UTC(2100, 0, 1);

export function validateInstant(field: string, ts: unknown): Instant {
  if (typeof ts !== 'number' || !Number.isInteger(ts)) {
    throw new ValidationError(CoreErrorCode.InvalidValue, field, 'instant must be integer epoch ms');
  }
  if (ts < MIN_INSTANT || ts >= MAX_INSTANT) {
    throw new ValidationError(CoreErrorCode.InstantOutOfRange, field, `instant ${ts} outside [2000, 2100)`, {
      value: ts,
    });
  }
  return ts;
}

export function validateRange(range: TimeRange, field = 'range'): TimeRange {
  validateInstant(`${field}.from`, range.from);
  if (typeof range.to !== 'number' || !Number.isInteger(range.to) || range.to < range.from) {
    throw new ValidationError(CoreErrorCode.InvalidRange, field, 'to must be an integer instant >= from');
  }
  return range;
}

export function validateId(field: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new ValidationError(CoreErrorCode.InvalidIdentifier, field, 'must be a positive integer id');
  }
  return id;
}

const enumSets = new WeakMap<object, ReadonlySet<string>>();

function enumSet(values: Record<string, string>): ReadonlySet<string> {
  let set = enumSets.get(values);
  if (!set) {
    set = new Set(Object.values(values));
    enumSets.set(values, set);
  }
  return set;
}

export function validateEnum<T extends string>(field: string, values: Record<string, T>, v: unknown): T {
  if (typeof v !== 'string' || !enumSet(values).has(v)) {
    throw new ValidationError(CoreErrorCode.InvalidEnum, field, `unknown value ${String(v)}`);
  }
  return v as T;
}

export function validateText(field: string, v: unknown, max = 256, allowEmpty = false): string {
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0) || v.length > max) {
    throw new ValidationError(CoreErrorCode.InvalidValue, field, `must be a string of 1..${max} characters`);
  }
  return v;
}

const OBIS = /^(\d{1,3})[-.](\d{1,3})[:.](\d{1,3})\.(\d{1,3})\.(\d{1,3})[.*](\d{1,3})$/;

/** Normalises `A-B:C.D.E.F`, `A-B:C.D.E*F` or `A.B.C.D.E.F` to the six-group dotted form. */
export function normalizeObis(field: string, obis: unknown): string {
  const m = typeof obis === 'string' ? OBIS.exec(obis) : null;
  const groups = m ? m.slice(1).map(Number) : [];
  if (!m || groups.some((g) => g > 255)) {
    throw new ValidationError(CoreErrorCode.InvalidValue, field, `not an OBIS code: ${String(obis)}`);
  }
  return groups.join('.');
}

function readingField(index: number, field: string): string {
  return `readings[${index}].${field}`;
}

/** Called once per stored reading: field names are only built for the error. */
export function validateReadingInput(r: ReadingInput, index: number): void {
  const id = r.channelId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0)
    validateId(readingField(index, 'channelId'), id);
  const ts = r.ts;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < MIN_INSTANT || ts >= MAX_INSTANT) {
    validateInstant(readingField(index, 'ts'), ts);
  }
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) {
    throw new ValidationError(
      CoreErrorCode.NonFiniteValue,
      readingField(index, 'value'),
      'value must be a finite number',
    );
  }
  if (r.quality !== undefined && (!Number.isInteger(r.quality) || (r.quality & ~QUALITY_MASK) !== 0)) {
    throw new ValidationError(
      CoreErrorCode.InvalidValue,
      readingField(index, 'quality'),
      'unknown quality flags',
    );
  }
  if (r.source !== undefined && !enumSet(ReadingSource).has(r.source)) {
    validateEnum(readingField(index, 'source'), ReadingSource, r.source);
  }
  const reasons = r.reasons;
  if (reasons !== undefined) {
    let ok = Array.isArray(reasons);
    if (ok) {
      for (const x of reasons) {
        if (typeof x !== 'string' || x.includes('\n')) {
          ok = false;
          break;
        }
      }
    }
    if (!ok) {
      throw new ValidationError(
        CoreErrorCode.InvalidValue,
        readingField(index, 'reasons'),
        'reasons must be single-line strings',
      );
    }
  }
}

export function validateNewMeter(m: NewMeter): void {
  validateText('serial', m.serial, 64);
  validateText('manufacturer', m.manufacturer, 64);
  validateText('model', m.model, 64);
  validateText('deviceProfile', m.deviceProfile, 128);
  validateEnum('protocol', MeterProtocol, m.protocol);
  validateText('address', m.address, 256);
  if (m.status !== undefined) validateEnum('status', MeterStatus, m.status);
  if (m.customerClass !== undefined) validateEnum('customerClass', CustomerClass, m.customerClass);
  if (m.paymentMode !== undefined) validateEnum('paymentMode', PaymentMode, m.paymentMode);
  if (m.servicePointId != null) validateId('servicePointId', m.servicePointId);
  if (m.sectionId != null) validateId('sectionId', m.sectionId);
}

export function validateChannelDef(d: ChannelDef): ChannelDef {
  const obis = normalizeObis('obis', d.obis);
  if (!Number.isInteger(d.attribute) || d.attribute < 1 || d.attribute > 127) {
    throw new ValidationError(CoreErrorCode.InvalidValue, 'attribute', 'attribute must be 1..127');
  }
  validateEnum('kind', ChannelKind, d.kind);
  validateText('unit', d.unit, 32, true);
  if (!Number.isInteger(d.scaler) || d.scaler < -128 || d.scaler > 127) {
    throw new ValidationError(CoreErrorCode.InvalidValue, 'scaler', 'scaler must be an integer -128..127');
  }
  const interval = d.intervalSeconds;
  if (d.kind === 'interval') {
    if (interval == null || !Number.isInteger(interval) || interval <= 0 || 86_400 % interval !== 0) {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'intervalSeconds', 'must divide a day evenly');
    }
  } else if (interval != null) {
    throw new ValidationError(
      CoreErrorCode.InvalidValue,
      'intervalSeconds',
      'only interval channels have one',
    );
  }
  return { ...d, obis, intervalSeconds: d.kind === 'interval' ? interval : null };
}

export function validateEvent(e: NewMeterEvent, index: number): void {
  const at = `events[${index}]`;
  validateId(`${at}.meterId`, e.meterId);
  validateInstant(`${at}.ts`, e.ts);
  validateInstant(`${at}.meterTime`, e.meterTime);
  normalizeObis(`${at}.log`, e.log);
  if (!Number.isInteger(e.code) || e.code < 0 || e.code > 0xffff_ffff) {
    throw new ValidationError(
      CoreErrorCode.InvalidValue,
      `${at}.code`,
      'code must be an unsigned 32-bit integer',
    );
  }
  validateEnum(`${at}.category`, EventCategory, e.category);
  if (e.raw !== null && !(e.raw instanceof Uint8Array)) {
    throw new ValidationError(CoreErrorCode.InvalidValue, `${at}.raw`, 'raw must be bytes or null');
  }
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError(CoreErrorCode.InvalidValue, 'limit', `limit must be 1..${MAX_PAGE_LIMIT}`);
  }
  return limit;
}
