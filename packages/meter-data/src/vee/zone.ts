import type { Instant } from '@openhes/core';
import { unknownZoneMessage, zoneFormatter } from '../time-zone.ts';
import { VeeError } from './errors.ts';

/** A customer-local day: its date and the UTC instants of its start and end (23, 24 or 25 h). */
export interface LocalDay {
  day: string;
  start: Instant;
  end: Instant;
  /** 1 = Monday … 7 = Sunday. */
  dayOfWeek: number;
}

function formatOf(timeZone: string): Intl.DateTimeFormat {
  const f = zoneFormatter(timeZone);
  if (f === undefined) throw VeeError.invalid('timeZone', unknownZoneMessage(timeZone));
  return f;
}

/** Checks an IANA zone name; throws a VeeError naming the field otherwise. */
export function checkTimeZone(timeZone: string, field = 'timeZone'): string {
  if (typeof timeZone !== 'string' || timeZone === '')
    throw VeeError.invalid(field, `${field} must be an IANA zone`);
  try {
    formatOf(timeZone);
  } catch {
    throw VeeError.invalid(
      field,
      `unknown time zone ${JSON.stringify(timeZone)} (an IANA name, e.g. Europe/Berlin)`,
    );
  }
  return timeZone;
}

/** The wall-clock time of `t` in the zone, as if it were UTC (epoch ms). */
function wallClock(t: Instant, timeZone: string): number {
  const parts = formatOf(timeZone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** Offset of the zone at `t` in ms (local = UTC + offset). */
export function zoneOffset(t: Instant, timeZone: string): number {
  return wallClock(Math.floor(t / 1000) * 1000, timeZone) - Math.floor(t / 1000) * 1000;
}

const DAY_MS = 86_400_000;

function dateOf(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}

/** The local date of instant `t`. */
export function localDate(t: Instant, timeZone: string): string {
  return dateOf(t + zoneOffset(t, timeZone));
}

/** UTC instant of local midnight starting `day` (YYYY-MM-DD). */
export function localMidnight(day: string, timeZone: string): Instant {
  const wall = Date.parse(`${day}T00:00:00Z`);
  if (!Number.isFinite(wall)) throw VeeError.invalid('day', `not a day YYYY-MM-DD: ${day}`);
  let t = wall - zoneOffset(wall, timeZone);
  // Two passes settle the offset on either side of a transition.
  for (let i = 0; i < 2; i++) t = wall - zoneOffset(t, timeZone);
  return t;
}

export function nextDate(day: string, n = 1): string {
  return dateOf(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

const dayCache = new Map<string, LocalDay>();

export function localDay(day: string, timeZone: string): LocalDay {
  const key = `${timeZone}|${day}`;
  const hit = dayCache.get(key);
  if (hit !== undefined) return hit;
  const d = computeDay(day, timeZone);
  if (dayCache.size > 100_000) dayCache.clear();
  dayCache.set(key, d);
  return d;
}

function computeDay(day: string, timeZone: string): LocalDay {
  const start = localMidnight(day, timeZone);
  const end = localMidnight(nextDate(day), timeZone);
  const dow = new Date(Date.parse(`${day}T00:00:00Z`)).getUTCDay();
  return { day, start, end, dayOfWeek: dow === 0 ? 7 : dow };
}

/**
 * The local days holding interval ends in (from, to]: interval readings are stamped with the
 * interval end, so the value at local midnight belongs to the day before.
 */
export function daysCovering(from: Instant, to: Instant, timeZone: string): LocalDay[] {
  if (to <= from) return [];
  const out: LocalDay[] = [];
  let day = localDate(from, timeZone);
  let d = localDay(day, timeZone);
  if (d.end <= from) {
    day = nextDate(day);
    d = localDay(day, timeZone);
  }
  while (d.start < to) {
    out.push(d);
    day = nextDate(day);
    d = localDay(day, timeZone);
  }
  return out;
}

/** Intervals of `intervalMs` a local day should hold (92 / 96 / 100 for 15 min on DST days). */
export function expectedIntervals(d: LocalDay, intervalMs: number): number {
  return Math.round((d.end - d.start) / intervalMs);
}

/**
 * Like-day class of a weekday (WA Metering Code App. 3 method 14): Monday, Friday, Saturday and
 * Sunday stand alone; Tuesday, Wednesday and Thursday are alike.
 */
export function dayType(dayOfWeek: number): string {
  return dayOfWeek >= 2 && dayOfWeek <= 4 ? 'tue-thu' : String(dayOfWeek);
}
