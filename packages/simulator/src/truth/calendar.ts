import type { ActivityCalendar, DayProfile } from '@openhes/cosem';
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
 */
export function dayRates(cal: ActivityCalendar, month: number, day: number, dayOfWeek: number): Uint8Array {
  let perCal = cache.get(cal);
  if (perCal === undefined) {
    perCal = new Map();
    cache.set(cal, perCal);
  }
  const key = month * 1000 + day * 10 + dayOfWeek;
  const hit = perCal.get(key);
  if (hit !== undefined) return hit;
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
  const dayId = week === undefined ? undefined : week[WEEKDAYS[dayOfWeek - 1]!];
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
