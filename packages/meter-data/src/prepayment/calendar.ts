import type { FriendlyCalendar, Instant } from '@openhes/core';
import { WallClock } from '../billing/zone.ts';
import { PrepaymentError } from './errors.ts';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const FIXED_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const YEARLY_DATE = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MINUTE = 60_000;
/** Longest friendly stretch searched for its end (a long holiday season is still found). */
const MAX_SEARCH_MS = 31 * 86_400_000;

const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** Checks a friendly-hours calendar; errors name the field (`friendly.windows[1].end`). */
export function validateFriendlyCalendar(input: unknown, field = 'friendly'): FriendlyCalendar {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw PrepaymentError.invalid(field, 'must be an object { timeZone, windows, weekdays, holidays }');
  }
  const c = input as Record<string, unknown>;
  const timeZone = c.timeZone;
  if (typeof timeZone !== 'string' || timeZone === '') {
    throw PrepaymentError.invalid(`${field}.timeZone`, 'must be an IANA time zone (e.g. Asia/Kolkata)');
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw PrepaymentError.invalid(`${field}.timeZone`, `unknown time zone ${JSON.stringify(timeZone)}`);
  }
  const list = (name: string): unknown[] => {
    const v = c[name] ?? [];
    if (!Array.isArray(v)) throw PrepaymentError.invalid(`${field}.${name}`, 'must be a list');
    return v;
  };
  const windows = list('windows').map((w, i) => {
    const at = `${field}.windows[${i}]`;
    if (w === null || typeof w !== 'object') throw PrepaymentError.invalid(at, 'must be { start, end }');
    const { start, end } = w as Record<string, unknown>;
    if (typeof start !== 'string' || !HHMM.test(start))
      throw PrepaymentError.invalid(`${at}.start`, 'must be HH:MM');
    if (typeof end !== 'string' || !HHMM.test(end))
      throw PrepaymentError.invalid(`${at}.end`, 'must be HH:MM');
    if (start === end) throw PrepaymentError.invalid(at, 'start and end must differ (an empty window)');
    return { start, end };
  });
  const weekdays = list('weekdays').map((d, i) => {
    if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > 7) {
      throw PrepaymentError.invalid(`${field}.weekdays[${i}]`, 'must be 1 (Monday) … 7 (Sunday)');
    }
    return d as number;
  });
  const holidays = list('holidays').map((h, i) => {
    if (typeof h !== 'string' || !(FIXED_DATE.test(h) || YEARLY_DATE.test(h))) {
      throw PrepaymentError.invalid(
        `${field}.holidays[${i}]`,
        'must be YYYY-MM-DD (once) or MM-DD (every year)',
      );
    }
    return h;
  });
  return { timeZone, windows, weekdays: [...new Set(weekdays)].sort(), holidays: [...new Set(holidays)] };
}

/**
 * Friendly hours and days (rules §3.3, §3.4 step 2): instants at which supply is never cut.
 * A window `start`–`end` covers [start, end) local time; one with end <= start wraps over
 * midnight (18:00–08:00 is the evening and the next morning). Whole weekdays and holidays
 * are friendly from their local 00:00 to the next 00:00.
 */
export class FriendlyHours {
  readonly calendar: FriendlyCalendar;
  readonly #clock: WallClock;
  readonly #ranges: [number, number][];
  readonly #weekdays: ReadonlySet<number>;
  readonly #holidays: ReadonlySet<string>;

  constructor(calendar: FriendlyCalendar) {
    this.calendar = validateFriendlyCalendar(calendar);
    this.#clock = new WallClock(this.calendar.timeZone);
    this.#ranges = [];
    for (const w of this.calendar.windows) {
      const s = minutes(w.start);
      const e = minutes(w.end);
      if (e > s) this.#ranges.push([s, e]);
      else {
        this.#ranges.push([s, 1440]);
        if (e > 0) this.#ranges.push([0, e]);
      }
    }
    this.#weekdays = new Set(this.calendar.weekdays);
    this.#holidays = new Set(this.calendar.holidays);
  }

  /** True when supply must not be cut at t. */
  isFriendly(t: Instant): boolean {
    const w = this.#clock.at(t);
    if (this.#weekdays.has(w.dayOfWeek)) return true;
    if (this.#holidays.has(w.date) || this.#holidays.has(w.date.slice(5))) return true;
    return this.#ranges.some(([s, e]) => w.minuteOfDay >= s && w.minuteOfDay < e);
  }

  /**
   * The first instant at or after t that is not friendly (the end of the friendly stretch
   * holding t; t itself when t is not friendly). Minute resolution, found within 31 days.
   */
  friendlyUntil(t: Instant): Instant {
    if (!this.isFriendly(t)) return t;
    let m = Math.floor(t / MINUTE) * MINUTE + MINUTE;
    const limit = t + MAX_SEARCH_MS;
    while (m < limit) {
      if (!this.isFriendly(m)) return m;
      m += MINUTE;
    }
    return limit;
  }
}
