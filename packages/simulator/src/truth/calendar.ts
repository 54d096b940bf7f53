import type { ActivityCalendar, DayProfile } from '@openhes/cosem';
import type { SpecialDay } from './state.ts';
import { STEPS_PER_DAY } from './time.ts';

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const TARIFF_SCRIPT = [0, 0, 10, 0, 100, 255] as const;

function action(hour: number, rate: number): DayProfile['schedule'][number] {
  return {
    startTime: { hour, minute: 0, second: 0, hundredths: 0 },
    scriptLogicalName: TARIFF_SCRIPT,
    scriptSelector: rate,
  };
}

/** Factory TOU: T1 off-peak 22–06, T2 normal 06–18, T3 peak 18–22, every day of the year. */
export function defaultCalendar(): ActivityCalendar {
  return {
    calendarName: text('FACTORY'),
    seasonProfile: [
      {
        name: text('ALL'),
        start: {
          year: 0xffff,
          month: 1,
          dayOfMonth: 1,
          dayOfWeek: 0xff,
          hour: 0,
          minute: 0,
          second: 0,
          hundredths: 0,
          deviation: null,
          clockStatus: 0xff,
        },
        weekName: text('WEEK'),
      },
    ],
    weekProfileTable: [
      {
        name: text('WEEK'),
        monday: 1,
        tuesday: 1,
        wednesday: 1,
        thursday: 1,
        friday: 1,
        saturday: 1,
        sunday: 1,
      },
    ],
    dayProfileTable: [{ dayId: 1, schedule: [action(0, 1), action(6, 2), action(18, 3), action(22, 1)] }],
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const cache = new WeakMap<ActivityCalendar, Map<number, Uint8Array>>();

/**
 * Rate (script selector 1..8) for each 15-minute slot of a local day. The active season is the
 * one with the latest start (month, day) not after the date; wildcard years repeat yearly.
 * A special day (`specialDayId`, see specialDayOf) replaces the week profile's day id with its
 * own; a day id the day_profile_table does not hold gives T1 all day.
 */
export function dayRates(
  cal: ActivityCalendar,
  month: number,
  day: number,
  dayOfWeek: number,
  specialDayId?: number,
): Uint8Array {
  let perCal = cache.get(cal);
  if (perCal === undefined) {
    perCal = new Map();
    cache.set(cal, perCal);
  }
  // Ordinary days by date and weekday; special days by their day id alone (negative keys).
  const key = specialDayId === undefined ? month * 1000 + day * 10 + dayOfWeek : -1 - specialDayId;
  const hit = perCal.get(key);
  if (hit !== undefined) return hit;
  const dayId = specialDayId ?? weekDayId(cal, month, day, dayOfWeek);
  const profile = cal.dayProfileTable.find((d) => d.dayId === dayId);
  const rates = new Uint8Array(STEPS_PER_DAY).fill(1);
  if (profile !== undefined) {
    const sorted = [...profile.schedule].sort(
      (a, b) => a.startTime.hour * 60 + a.startTime.minute - (b.startTime.hour * 60 + b.startTime.minute),
    );
    for (let slot = 0; slot < STEPS_PER_DAY; slot++) {
      const minute = slot * 15;
      let rate = sorted[sorted.length - 1]?.scriptSelector ?? 1;
      for (const a of sorted)
        if (a.startTime.hour * 60 + a.startTime.minute <= minute) rate = a.scriptSelector;
      rates[slot] = Math.min(8, Math.max(1, rate));
    }
  }
  perCal.set(key, rates);
  return rates;
}

/** The day id the season's week profile gives a date (undefined: no season or week matches). */
function weekDayId(cal: ActivityCalendar, month: number, day: number, dayOfWeek: number): number | undefined {
  const md = month * 100 + day;
  let season = cal.seasonProfile[0];
  let best = -1;
  let latest = -1;
  for (const s of cal.seasonProfile) {
    const smd =
      (s.start.month > 12 ? 1 : s.start.month) * 100 + (s.start.dayOfMonth > 31 ? 1 : s.start.dayOfMonth);
    if (smd <= md && smd > best) {
      best = smd;
      season = s;
    }
    if (smd > latest) latest = smd;
  }
  if (best < 0)
    season = cal.seasonProfile.find((s) => s.start.month * 100 + s.start.dayOfMonth === latest) ?? season;
  const week = cal.weekProfileTable.find((w) => season !== undefined && sameBytes(w.name, season.weekName));
  return week === undefined ? undefined : week[WEEKDAYS[dayOfWeek - 1]!];
}

/** A local date as the special days table matches it. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
  dayOfWeek: number;
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Whether a special day's date (octet-string(5): year high, year low, month, day of month, day
 * of week) names this local date. Wildcards: year 0xFFFF, month/day/weekday 0xFF match any;
 * day 0xFE is the last and 0xFD the second last day of the month. Months 0xFD/0xFE (DST end
 * and begin) are not modelled and match no date.
 */
export function specialDateMatches(date: Uint8Array, d: LocalDate): boolean {
  if (date.length !== 5) return false;
  const year = (date[0]! << 8) | date[1]!;
  const month = date[2]!;
  const dom = date[3]!;
  const dow = date[4]!;
  if (year !== 0xffff && year !== d.year) return false;
  if (month !== 0xff && month !== d.month) return false;
  if (dom === 0xfe || dom === 0xfd) {
    if (d.day !== daysInMonth(d.year, d.month) - (dom === 0xfe ? 0 : 1)) return false;
  } else if (dom !== 0xff && dom !== d.day) return false;
  return dow === 0xff || dow === d.dayOfWeek;
}

/**
 * The day id a special days table gives a local date: the matching entry with the lowest
 * index whose day id the active calendar's day_profile_table holds (an entry naming no day
 * profile is passed over: the week profile then decides); undefined when none applies.
 */
export function specialDayOf(
  cal: ActivityCalendar,
  days: readonly SpecialDay[],
  d: LocalDate,
): number | undefined {
  let found: SpecialDay | undefined;
  for (const e of days) {
    if (found !== undefined && e.index >= found.index) continue;
    if (!specialDateMatches(e.date, d)) continue;
    if (!cal.dayProfileTable.some((p) => p.dayId === e.dayId)) continue;
    found = e;
  }
  return found?.dayId;
}
