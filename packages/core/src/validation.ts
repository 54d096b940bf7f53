import { type ChannelDef, ChannelKind } from './domain/channel.ts';
import { EventCategory, type NewMeterEvent } from './domain/event.ts';
import { CustomerClass, MeterProtocol, MeterStatus, type NewMeter, PaymentMode } from './domain/meter.ts';
import { QUALITY_MASK, QualityFlag, type ReadingInput, ReadingSource } from './domain/reading.ts';
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

/**
 * The texts the head end takes for an instant (API queries and bodies, CLI options), as a
 * regular expression source: an ISO 8601 / RFC 3339 date-time with `Z` or an offset
 * (`+05:30`, `+0530`), or a date alone (`2025-01-31`, that day's 00:00 UTC). A space
 * before the offset's digits stands for `+`: in a URL query an unescaped `+` arrives as a space.
 * A date-time without a zone is refused (whose local time would it be?).
 */
export const INSTANT_TEXT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(?:[Tt]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:[Zz]|[+\\- ]\\d{2}:?\\d{2}))?$';

const INSTANT_TEXT = new RegExp(INSTANT_TEXT_PATTERN);
const INSTANT_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+\- ])(\d{2}):?(\d{2})))?$/;

/** How {@link parseInstantText} wants an instant written, for messages. */
export const INSTANT_TEXT_HINT =
  'an ISO 8601 date-time with Z or an offset (2025-01-31T10:00:00Z, 2025-01-31T15:30:00+05:30) or a date (2025-01-31, 00:00 UTC)';

/**
 * An instant from its text (see {@link INSTANT_TEXT_PATTERN}): calendar fields are checked
 * (no 31 April, no 24:00), fractions beyond milliseconds are cut. Throws a ValidationError
 * naming `field` otherwise.
 */
export function parseInstantText(field: string, text: unknown): Instant {
  const bad = (why: string): ValidationError =>
    new ValidationError(CoreErrorCode.InvalidValue, field, `${why}; expected ${INSTANT_TEXT_HINT}`, {
      value: typeof text === 'string' ? text.slice(0, 64) : String(text),
    });
  if (typeof text !== 'string' || !INSTANT_TEXT.test(text)) {
    if (typeof text === 'string' && /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text))
      throw bad(`${JSON.stringify(text)} has no time zone`);
    throw bad(`${JSON.stringify(typeof text === 'string' ? text.slice(0, 64) : text)} is not an instant`);
  }
  const m = INSTANT_PARTS.exec(text)!;
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (
    month < 1 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    throw bad(`${JSON.stringify(text)} is not a calendar date and time`);
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = n(10);
    const om = n(11);
    if (oh > 23 || om > 59) throw bad(`${JSON.stringify(text)} has an offset out of range`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return local - offsetMinutes * 60_000;
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

/**
 * What a meter can physically measure, from its device profile's `meter` section: nominal
 * voltage (V, phase to neutral), maximum current (A) and phases; a CT/PT-operated meter's
 * values may be primary values, so its ratios widen the limits.
 */
export interface MeterRating {
  nominalVoltage: number;
  maxCurrent: number;
  phases: number;
  ctRatio?: number;
  ptRatio?: number;
}

/** Reason id of a value beyond what the meter's rating allows (flagged suspect, kept). */
export const PHYSICAL_LIMIT_REASON = 'physical-limit';

/**
 * Headroom over the nameplate product Vnom × Imax × phases: voltage swells (+20 % is still a
 * supply a meter keeps measuring), the meter's accuracy class and rounding of stored values.
 */
export const PHYSICAL_MARGIN = 1.25;
/** A phase voltage above twice the nominal is not a measurement (IS 13779 withstands ~1.9 Vnom). */
const VOLTAGE_LIMIT = 2;

type Quantity = 'energy' | 'power' | 'current' | 'voltage';

const BASE_UNITS: Readonly<Record<string, Quantity>> = {
  Wh: 'energy',
  varh: 'energy',
  VAh: 'energy',
  W: 'power',
  var: 'power',
  VA: 'power',
  A: 'current',
  V: 'voltage',
};
const PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

/** The quantity a unit symbol measures and the factor to its base unit (kWh → energy, 1000). */
function quantityOf(unit: string): { q: Quantity; factor: number } | undefined {
  const base = BASE_UNITS[unit];
  if (base !== undefined) return { q: base, factor: 1 };
  const p = PREFIX[unit[0] ?? ''];
  const rest = BASE_UNITS[unit.slice(1)];
  return p === undefined || rest === undefined ? undefined : { q: rest, factor: p };
}

/** The highest power (W, var or VA) the meter can measure, with PHYSICAL_MARGIN. */
export function maxPower(r: MeterRating): number {
  return r.nominalVoltage * (r.ptRatio ?? 1) * r.maxCurrent * (r.ctRatio ?? 1) * r.phases * PHYSICAL_MARGIN;
}

/** True for a usable rating (every figure positive and finite). */
export function isMeterRating(r: Partial<MeterRating> | undefined): r is MeterRating {
  const ok = (n: unknown, optional = false) =>
    (optional && n === undefined) || (typeof n === 'number' && Number.isFinite(n) && n > 0);
  return (
    r !== undefined &&
    ok(r.nominalVoltage) &&
    ok(r.maxCurrent) &&
    ok(r.phases) &&
    ok(r.ctRatio, true) &&
    ok(r.ptRatio, true)
  );
}

/**
 * An energy channel holding a running total (OBIS group D 8 "time integral 1" or 9 "time
 * integral 2", and every register) is checked by its increase between two instants; other
 * energy channels of a profile (D 29 "time integral 5", IS 15959 block energy …) hold the energy
 * of one interval and are checked value by value.
 */
function cumulative(def: ChannelDef): boolean {
  if (def.kind === 'register') return true;
  const d = normalizedObisGroup(def.obis, 3);
  return d === 8 || d === 9;
}

function normalizedObisGroup(obis: string, index: number): number | undefined {
  const m = OBIS.exec(obis);
  return m ? Number(m[index + 1]) : undefined;
}

export interface PhysicalCheckValue {
  channel: ChannelDef;
  ts: Instant;
  value: number;
  quality?: number;
  reasons?: readonly string[];
}

/**
 * Whether one value is beyond what a meter of this rating can measure: energy of one interval
 * above maxPower × interval, power above maxPower, current above Imax (× CT ratio), voltage
 * above twice the nominal (× PT ratio), each with PHYSICAL_MARGIN. Running totals are judged
 * by `flagPhysicalLimits` from consecutive values. Units it does not know pass.
 */
export function beyondRating(v: PhysicalCheckValue, r: MeterRating): boolean {
  const u = quantityOf(v.channel.unit);
  if (u === undefined || !Number.isFinite(v.value)) return false;
  const x = Math.abs(v.value * u.factor);
  switch (u.q) {
    case 'power':
      return x > maxPower(r);
    case 'current':
      return x > r.maxCurrent * (r.ctRatio ?? 1) * PHYSICAL_MARGIN;
    case 'voltage':
      return x > r.nominalVoltage * (r.ptRatio ?? 1) * VOLTAGE_LIMIT;
    case 'energy': {
      if (cumulative(v.channel)) return false;
      const s = v.channel.intervalSeconds;
      return s != null && s > 0 && x > (maxPower(r) * s) / 3600;
    }
  }
}

/**
 * Flags (QualityFlag.suspect, reason PHYSICAL_LIMIT_REASON) every value beyond what the
 * meter's rating allows: `beyondRating`, and for running energy totals an increase between
 * consecutive instants of one channel faster than maxPower. Flagged values are kept (a
 * measurement is never dropped), returned as new objects; the others are returned as they came.
 * Pure: no clock, no I/O.
 */
export function flagPhysicalLimits<T extends PhysicalCheckValue>(values: readonly T[], r: MeterRating): T[] {
  const out = values.slice();
  const flag = (i: number) => {
    const v = out[i]!;
    if ((v.reasons ?? []).includes(PHYSICAL_LIMIT_REASON)) return;
    out[i] = {
      ...v,
      quality: (v.quality ?? 0) | QualityFlag.suspect,
      reasons: [...(v.reasons ?? []), PHYSICAL_LIMIT_REASON],
    };
  };
  const totals = new Map<ChannelDef, number[]>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (beyondRating(v, r)) flag(i);
    const u = quantityOf(v.channel.unit);
    if (u?.q === 'energy' && cumulative(v.channel)) {
      const list = totals.get(v.channel);
      if (list === undefined) totals.set(v.channel, [i]);
      else list.push(i);
    }
  }
  const limit = maxPower(r);
  for (const [def, idx] of totals) {
    if (idx.length < 2) continue;
    const factor = quantityOf(def.unit)!.factor;
    idx.sort((a, b) => values[a]!.ts - values[b]!.ts);
    for (let k = 1; k < idx.length; k++) {
      const a = values[idx[k - 1]!]!;
      const b = values[idx[k]!]!;
      const hours = (b.ts - a.ts) / 3_600_000;
      if (hours <= 0) continue;
      if ((b.value - a.value) * factor > limit * hours) flag(idx[k]!);
    }
  }
  return out;
}
