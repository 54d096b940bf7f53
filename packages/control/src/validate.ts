import { type CommandKind, ErrorKind, CommandKind as Kinds, MAX_INSTANT, MIN_INSTANT } from '@openhes/core';
import { ControlError, ControlErrorCode } from './errors.ts';

/**
 * Request-time checks of a command's parameters, per kind: every field known, typed and in
 * range, and the calendar's cross-references sound, before anything is stored or sent. Pure.
 * The first problem found is thrown as ControlError CONTROL_INVALID with `detail.field` the
 * path of the offending value (`calendar.weeks[1].days[3]`).
 */

/** Limits of ours (not the standard's) that keep a calendar within what meters store. */
export const CALENDAR_LIMITS = {
  calendarNameBytes: 32,
  /** Season, week names. */
  nameBytes: 16,
  seasons: 32,
  weeks: 32,
  days: 32,
  actionsPerDay: 48,
  specialDays: 256,
} as const;

/** shift_time takes −900 … +900 s (Clock method 6). */
export const MAX_SHIFT_SECONDS = 900;
export const TIME_SYNC_DEFAULTS = {
  maxShiftSeconds: 900,
  boundaryGuardSeconds: 10,
  toleranceSeconds: 1,
} as const;
/** Our bounds for time-sync parameters. */
export const TIME_SYNC_LIMITS = { boundaryGuardSeconds: 120, toleranceSeconds: 60 } as const;
export const DEFAULT_SCRIPT_TABLE = '0.0.10.0.100.255';

function invalid(field: string, message: string, detail: Record<string, unknown> = {}): ControlError {
  return new ControlError(ErrorKind.invalid, ControlErrorCode.Invalid, `${field}: ${message}`, {
    detail: { field, ...detail },
  });
}

type Obj = Record<string, unknown>;

function object(field: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, 'must be an object');
  return v as Obj;
}

/** Refuses any field not in `known` (a typo is never silently ignored). */
function only(field: string, o: Obj, known: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k))
      throw invalid(at(field, k), `unknown field (expected one of ${known.join(', ')})`);
}

function at(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(field, 'must be an integer');
  if (v < min || v > max) throw invalid(field, `must be within ${min}..${max}`, { value: v });
  return v;
}

function finite(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(field, 'must be a finite number');
  if (v < min || v > max) throw invalid(field, `must be within ${min}..${max}`, { value: v });
  return v;
}

function boolean(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
}

function instant(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw invalid(field, 'must be an instant (integer epoch ms)');
  if (v < MIN_INSTANT || v >= MAX_INSTANT) throw invalid(field, 'must lie in [2000, 2100)', { value: v });
  return v;
}

function array(field: string, v: unknown, min: number, max: number): unknown[] {
  if (!Array.isArray(v)) throw invalid(field, 'must be an array');
  if (v.length < min || v.length > max)
    throw invalid(field, `must hold ${min}..${max} entries`, { count: v.length });
  return v;
}

const PRINTABLE = /^[\x20-\x7e]+$/;

/** Names become octet-strings on the meter: printable ASCII, one byte per character. */
function name(field: string, v: unknown, maxBytes: number): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(field, 'must be a non-empty string');
  if (!PRINTABLE.test(v)) throw invalid(field, 'must be printable ASCII');
  if (v.length > maxBytes)
    throw invalid(field, `must be at most ${maxBytes} characters`, { length: v.length });
  return v;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` → minutes of the day. */
export function parseHhMm(field: string, v: unknown): number {
  const m = typeof v === 'string' ? HH_MM.exec(v) : null;
  if (m === null) throw invalid(field, `must be HH:MM (00:00..23:59), got ${JSON.stringify(v)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** A calendar date, every year (`MM-DD`) or once (`YYYY-MM-DD`). */
export interface SpecDate {
  year: number | null;
  month: number;
  day: number;
}

const MM_DD = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseSpecDate(field: string, v: unknown): SpecDate {
  const m = typeof v === 'string' ? MM_DD.exec(v) : null;
  if (m === null) throw invalid(field, `must be MM-DD or YYYY-MM-DD, got ${JSON.stringify(v)}`);
  const year = m[1] === undefined ? null : Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year !== null && (year < 2000 || year > 2099)) throw invalid(field, 'year must lie in 2000..2099');
  if (month < 1 || month > 12) throw invalid(field, 'month must be 01..12');
  const leap = year === null || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  const last = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > last) throw invalid(field, `day must be 01..${last} in month ${m[2]}`);
  return { year, month, day };
}

function dateKey(d: SpecDate): number {
  return (d.year ?? 0) * 10_000 + d.month * 100 + d.day;
}

const OBIS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function obis(field: string, v: unknown): string {
  const m = typeof v === 'string' ? OBIS.exec(v) : null;
  if (m === null || m.slice(1).some((g) => Number(g) > 255))
    throw invalid(field, `must be an OBIS code a.b.c.d.e.f, got ${JSON.stringify(v)}`);
  return v as string;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** An ISO local date-time without offset (`2027-03-28T02:00[:00]`): the meter's wall time. */
export function parseLocalDateTime(
  field: string,
  v: unknown,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const m = typeof v === 'string' ? LOCAL_DATE_TIME.exec(v) : null;
  if (m === null)
    throw invalid(field, `must be a local date-time YYYY-MM-DDTHH:MM[:SS], got ${JSON.stringify(v)}`);
  const d = parseSpecDate(field, `${m[1]}-${m[2]}-${m[3]}`);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) throw invalid(field, 'time of day out of range');
  return { year: d.year ?? 0, month: d.month, day: d.day, hour, minute, second };
}

const OFFSET = /(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * A push window bound: an ISO date-time with an offset (`Z`, `+05:30`) is an instant; without
 * one it is the meter's local wall time. `at` orders bounds of the same form.
 */
export function parseWindowTime(field: string, v: unknown): { zoned: boolean; at: number } {
  if (typeof v === 'string' && OFFSET.test(v)) {
    const local = v.replace(OFFSET, '');
    parseLocalDateTime(field, local);
    const at = Date.parse(v);
    if (!Number.isFinite(at) || at < MIN_INSTANT || at >= MAX_INSTANT)
      throw invalid(field, 'must lie in [2000, 2100)');
    return { zoned: true, at };
  }
  const t = parseLocalDateTime(field, v);
  return { zoned: false, at: Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) };
}

const U16 = 0xffff;
const U32 = 0xffff_ffff;

// ---------------------------------------------------------------------------------------

function none(field: string, p: Obj): void {
  only(field, p, []);
}

function disconnect(p: Obj): void {
  only('', p, ['finalRead']);
  if (p.finalRead !== undefined) boolean('finalRead', p.finalRead);
}

function threshold(field: string, v: unknown): void {
  finite(field, v, 0, Number.MAX_SAFE_INTEGER);
}

function loadLimit(p: Obj): void {
  const fields = [
    'thresholdNormal',
    'thresholdEmergency',
    'minOverThresholdSeconds',
    'minUnderThresholdSeconds',
  ];
  only('', p, fields);
  if (!fields.some((f) => p[f] !== undefined))
    throw invalid('parameters', `give at least one of ${fields.join(', ')}`);
  if (p.thresholdNormal !== undefined) threshold('thresholdNormal', p.thresholdNormal);
  if (p.thresholdEmergency !== undefined) threshold('thresholdEmergency', p.thresholdEmergency);
  if (p.minOverThresholdSeconds !== undefined)
    integer('minOverThresholdSeconds', p.minOverThresholdSeconds, 0, U32);
  if (p.minUnderThresholdSeconds !== undefined)
    integer('minUnderThresholdSeconds', p.minUnderThresholdSeconds, 0, U32);
}

function emergencyActivate(p: Obj): void {
  only('', p, ['profileId', 'activateAt', 'durationSeconds', 'groupIds', 'thresholdEmergency']);
  if (p.profileId === undefined) throw invalid('profileId', 'is required');
  integer('profileId', p.profileId, 0, U16);
  if (p.durationSeconds === undefined) throw invalid('durationSeconds', 'is required');
  integer('durationSeconds', p.durationSeconds, 1, U32);
  if (p.activateAt !== undefined) instant('activateAt', p.activateAt);
  if (p.groupIds !== undefined) {
    const ids = array('groupIds', p.groupIds, 1, 64);
    const seen = new Set<number>();
    ids.forEach((id, i) => {
      const n = integer(`groupIds[${i}]`, id, 0, U16);
      if (seen.has(n)) throw invalid(`groupIds[${i}]`, `duplicate group id ${n}`);
      seen.add(n);
    });
  }
  if (p.thresholdEmergency !== undefined) threshold('thresholdEmergency', p.thresholdEmergency);
}

/** The calendar's own rules; `field` is where it sits in the parameters. */
export function validateCalendar(v: unknown, field = 'calendar'): void {
  const c = object(field, v);
  only(field, c, ['name', 'seasons', 'weeks', 'days']);
  name(at(field, 'name'), c.name, CALENDAR_LIMITS.calendarNameBytes);

  const dayIds = new Set<number>();
  array(at(field, 'days'), c.days, 1, CALENDAR_LIMITS.days).forEach((d, i) => {
    const f = `${field}.days[${i}]`;
    const day = object(f, d);
    only(f, day, ['id', 'schedule']);
    const id = integer(`${f}.id`, day.id, 0, 255);
    if (dayIds.has(id)) throw invalid(`${f}.id`, `duplicate day id ${id}`);
    dayIds.add(id);
    let previous = -1;
    array(`${f}.schedule`, day.schedule, 1, CALENDAR_LIMITS.actionsPerDay).forEach((a, j) => {
      const af = `${f}.schedule[${j}]`;
      const action = object(af, a);
      only(af, action, ['start', 'tariff', 'script']);
      const start = parseHhMm(`${af}.start`, action.start);
      if (j === 0 && start !== 0)
        throw invalid(`${af}.start`, 'the first switch of a day must start at 00:00');
      if (start <= previous) throw invalid(`${af}.start`, 'switch times must be sorted and distinct');
      previous = start;
      integer(`${af}.tariff`, action.tariff, 0, U16);
      if (action.script !== undefined) obis(`${af}.script`, action.script);
    });
  });

  const weekNames = new Set<string>();
  array(at(field, 'weeks'), c.weeks, 1, CALENDAR_LIMITS.weeks).forEach((w, i) => {
    const f = `${field}.weeks[${i}]`;
    const week = object(f, w);
    only(f, week, ['name', 'days']);
    const n = name(`${f}.name`, week.name, CALENDAR_LIMITS.nameBytes);
    if (weekNames.has(n)) throw invalid(`${f}.name`, `duplicate week name ${JSON.stringify(n)}`);
    weekNames.add(n);
    array(`${f}.days`, week.days, 7, 7).forEach((id, j) => {
      const dayId = integer(`${f}.days[${j}]`, id, 0, 255);
      if (!dayIds.has(dayId)) throw invalid(`${f}.days[${j}]`, `unknown day id ${dayId}`);
    });
  });

  const seasonNames = new Set<string>();
  let previous: { key: number; dated: boolean } | null = null;
  array(at(field, 'seasons'), c.seasons, 1, CALENDAR_LIMITS.seasons).forEach((s, i) => {
    const f = `${field}.seasons[${i}]`;
    const season = object(f, s);
    only(f, season, ['name', 'start', 'week']);
    const n = name(`${f}.name`, season.name, CALENDAR_LIMITS.nameBytes);
    if (seasonNames.has(n)) throw invalid(`${f}.name`, `duplicate season name ${JSON.stringify(n)}`);
    seasonNames.add(n);
    const start = parseSpecDate(`${f}.start`, season.start);
    const dated = start.year !== null;
    if (previous !== null && previous.dated !== dated)
      throw invalid(`${f}.start`, 'seasons must all start on MM-DD (every year) or all on YYYY-MM-DD');
    const key = dateKey(start);
    if (previous !== null && key <= previous.key)
      throw invalid(`${f}.start`, 'seasons must be sorted by start, without two on one date');
    previous = { key, dated };
    const week = name(`${f}.week`, season.week, CALENDAR_LIMITS.nameBytes);
    if (!weekNames.has(week)) throw invalid(`${f}.week`, `unknown week name ${JSON.stringify(week)}`);
  });
}

function setCalendar(p: Obj): void {
  only('', p, ['calendar', 'activateAt']);
  if (p.calendar === undefined) throw invalid('calendar', 'is required');
  validateCalendar(p.calendar);
  if (p.activateAt !== undefined) instant('activateAt', p.activateAt);
}

function setSpecialDays(p: Obj): void {
  only('', p, ['days']);
  if (p.days === undefined) throw invalid('days', 'is required');
  const dates = new Set<number>();
  array('days', p.days, 0, CALENDAR_LIMITS.specialDays).forEach((d, i) => {
    const f = `days[${i}]`;
    const day = object(f, d);
    only(f, day, ['date', 'dayId']);
    const key = dateKey(parseSpecDate(`${f}.date`, day.date));
    if (dates.has(key)) throw invalid(`${f}.date`, `duplicate date ${String(day.date)}`);
    dates.add(key);
    integer(`${f}.dayId`, day.dayId, 0, 255);
  });
}

function timeSync(p: Obj): void {
  only('', p, ['maxShiftSeconds', 'boundaryGuardSeconds', 'toleranceSeconds']);
  const maxShift =
    p.maxShiftSeconds === undefined
      ? TIME_SYNC_DEFAULTS.maxShiftSeconds
      : integer('maxShiftSeconds', p.maxShiftSeconds, 1, MAX_SHIFT_SECONDS);
  if (p.boundaryGuardSeconds !== undefined)
    integer('boundaryGuardSeconds', p.boundaryGuardSeconds, 0, TIME_SYNC_LIMITS.boundaryGuardSeconds);
  const tolerance =
    p.toleranceSeconds === undefined
      ? TIME_SYNC_DEFAULTS.toleranceSeconds
      : finite('toleranceSeconds', p.toleranceSeconds, 0, TIME_SYNC_LIMITS.toleranceSeconds);
  if (tolerance >= maxShift)
    throw invalid(
      p.toleranceSeconds === undefined ? 'maxShiftSeconds' : 'toleranceSeconds',
      'toleranceSeconds must be below maxShiftSeconds',
    );
}

function clockConfig(p: Obj): void {
  const fields = ['timeZoneMinutes', 'dstEnabled', 'dstDeviationMinutes', 'dstBegin', 'dstEnd'];
  only('', p, fields);
  if (!fields.some((f) => p[f] !== undefined))
    throw invalid('parameters', `give at least one of ${fields.join(', ')}`);
  if (p.timeZoneMinutes !== undefined) integer('timeZoneMinutes', p.timeZoneMinutes, -720, 720);
  if (p.dstEnabled !== undefined) boolean('dstEnabled', p.dstEnabled);
  if (p.dstDeviationMinutes !== undefined) integer('dstDeviationMinutes', p.dstDeviationMinutes, -120, 120);
  if (p.dstBegin !== undefined) parseLocalDateTime('dstBegin', p.dstBegin);
  if (p.dstEnd !== undefined) parseLocalDateTime('dstEnd', p.dstEnd);
  if ((p.dstBegin === undefined) !== (p.dstEnd === undefined))
    throw invalid(p.dstBegin === undefined ? 'dstBegin' : 'dstEnd', 'dstBegin and dstEnd go together');
}

function firmwareUpdate(p: Obj): void {
  only('', p, ['imageId', 'activateAt']);
  if (p.imageId === undefined) throw invalid('imageId', 'is required');
  integer('imageId', p.imageId, 1, Number.MAX_SAFE_INTEGER);
  if (p.activateAt !== undefined) instant('activateAt', p.activateAt);
}

function keyRotation(p: Obj): void {
  only('', p, ['keys']);
  if (p.keys === undefined) return;
  const seen = new Set<string>();
  array('keys', p.keys, 1, 2).forEach((k, i) => {
    if (k !== 'authentication' && k !== 'encryption')
      throw invalid(`keys[${i}]`, `must be 'authentication' or 'encryption', got ${JSON.stringify(k)}`);
    if (seen.has(k)) throw invalid(`keys[${i}]`, `duplicate key ${k}`);
    seen.add(k);
  });
}

function securityActivate(p: Obj): void {
  only('', p, ['policy']);
  if (p.policy === undefined) throw invalid('policy', 'is required');
  integer('policy', p.policy, 0, 255);
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** `host:port` as the push setup's destination takes it for TCP/UDP. */
export function parseDestination(field: string, v: unknown): { host: string; port: number } {
  if (typeof v !== 'string') throw invalid(field, 'must be host:port');
  const colon = v.lastIndexOf(':');
  if (colon <= 0) throw invalid(field, `must be host:port, got ${JSON.stringify(v)}`);
  const host = v.slice(0, colon);
  const portText = v.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText))
    throw invalid(field, `port must be a number 1..65535, got ${JSON.stringify(portText)}`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw invalid(field, `port must be 1..65535, got ${port}`);
  const v4 = IPV4.exec(host);
  if (v4 !== null) {
    if (v4.slice(1).some((o) => Number(o) > 255)) throw invalid(field, `not an IPv4 address: ${host}`);
  } else if (!IPV6.test(host) && !(HOSTNAME.test(host) && /[A-Za-z-]/.test(host))) {
    throw invalid(field, `not a host name or address: ${JSON.stringify(host)}`);
  }
  return { host, port };
}

function pushSetup(p: Obj): void {
  const settings = ['destination', 'windows', 'randomisationSeconds', 'retries', 'repetitionDelaySeconds'];
  only('', p, ['pushObis', ...settings]);
  if (!settings.some((f) => p[f] !== undefined))
    throw invalid('parameters', `give at least one of ${settings.join(', ')}`);
  if (p.pushObis !== undefined) obis('pushObis', p.pushObis);
  if (p.destination !== undefined) parseDestination('destination', p.destination);
  if (p.windows !== undefined) {
    array('windows', p.windows, 0, 16).forEach((w, i) => {
      const f = `windows[${i}]`;
      const win = object(f, w);
      only(f, win, ['start', 'end']);
      const start = parseWindowTime(`${f}.start`, win.start);
      const end = parseWindowTime(`${f}.end`, win.end);
      if (start.zoned !== end.zoned)
        throw invalid(`${f}.end`, 'start and end must both be local or both carry an offset');
      if (end.at <= start.at) throw invalid(`${f}.end`, 'must be after start');
    });
  }
  if (p.randomisationSeconds !== undefined) integer('randomisationSeconds', p.randomisationSeconds, 0, U16);
  if (p.retries !== undefined) integer('retries', p.retries, 0, 255);
  if (p.repetitionDelaySeconds !== undefined)
    integer('repetitionDelaySeconds', p.repetitionDelaySeconds, 0, U16);
}

const VALIDATORS: Readonly<Record<CommandKind, (p: Obj) => void>> = {
  connect: (p) => none('', p),
  disconnect,
  'load-limit': loadLimit,
  'emergency-activate': emergencyActivate,
  'emergency-clear': (p) => none('', p),
  'set-calendar': setCalendar,
  'set-special-days': setSpecialDays,
  'time-sync': timeSync,
  'clock-config': clockConfig,
  'firmware-update': firmwareUpdate,
  'key-rotation': keyRotation,
  'security-activate': securityActivate,
  'push-setup': pushSetup,
};

/**
 * Checks a command's parameters for its kind; returns them unchanged when sound, throws
 * ControlError CONTROL_INVALID (detail.field: the path; `kind` for an unknown kind) otherwise.
 */
export function validateCommand(kind: unknown, parameters: unknown): Record<string, unknown> {
  if (typeof kind !== 'string' || !Object.values(Kinds).includes(kind as CommandKind))
    throw invalid('kind', `unknown command kind ${JSON.stringify(kind)}`);
  const p = parameters === undefined || parameters === null ? {} : parameters;
  if (typeof p !== 'object' || Array.isArray(p)) throw invalid('parameters', 'must be an object');
  VALIDATORS[kind as CommandKind](p as Obj);
  return p as Record<string, unknown>;
}
