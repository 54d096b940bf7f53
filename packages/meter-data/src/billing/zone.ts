import type { Instant } from '@openhes/core';
import { unknownZoneMessage, zoneFormatter } from '../time-zone.ts';
import { BillingError } from './errors.ts';

/** Local wall-clock time of IANA zones, exact over DST changes (23- and 25-hour days). */
function formatOf(timeZone: string, field = 'timeZone'): Intl.DateTimeFormat {
  const f = zoneFormatter(timeZone);
  if (f === undefined) throw BillingError.invalid(field, unknownZoneMessage(timeZone));
  return f;
}

export function checkTimeZone(field: string, timeZone: unknown): string {
  if (typeof timeZone !== 'string' || timeZone === '')
    throw BillingError.invalid(field, 'must be an IANA time zone');
  formatOf(timeZone, field);
  return timeZone;
}

/** Zone offset at t in ms (local = UTC + offset); whole seconds. */
export function zoneOffset(t: Instant, timeZone: string): number {
  const s = Math.floor(t / 1000) * 1000;
  const parts = formatOf(timeZone).formatToParts(new Date(s));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - s;
}

/** UTC instant of local midnight starting the local date `y-m-d` (month may overflow). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): Instant {
  const wall = Date.UTC(year, month - 1, day);
  let t = wall - zoneOffset(wall, timeZone);
  for (let i = 0; i < 2; i++) t = wall - zoneOffset(t, timeZone);
  return t;
}

/** Local wall-clock fields of t. */
export interface Wall {
  year: number;
  month: number;
  day: number;
  /** 1 = Monday … 7 = Sunday. */
  dayOfWeek: number;
  minuteOfDay: number;
  /** YYYY-MM-DD */
  date: string;
}

export function wallOf(t: Instant, timeZone: string, offset = zoneOffset(t, timeZone)): Wall {
  const d = new Date(t + offset);
  const dow = d.getUTCDay();
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    dayOfWeek: dow === 0 ? 7 : dow,
    minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
    date: d.toISOString().slice(0, 10),
  };
}

/**
 * Wall clock of many instants of one zone: the offset is looked up once per hour of UTC and
 * reused (zones change offset on whole or half hours at most once per hour).
 */
export class WallClock {
  private readonly offsets = new Map<number, number>();
  readonly timeZone: string;

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    formatOf(timeZone);
  }

  /** Zone offset (ms) at t. Offsets change on quarter hours at the finest: keyed by 15-minute slot. */
  offset(t: Instant): number {
    const slot = Math.floor(t / 900_000);
    let off = this.offsets.get(slot);
    if (off === undefined) {
      off = zoneOffset(slot * 900_000, this.timeZone);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(slot, off);
    }
    return off;
  }

  at(t: Instant): Wall {
    return wallOf(t, this.timeZone, this.offset(t));
  }
}
