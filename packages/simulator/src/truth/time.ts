/** Simulated time: milliseconds since the Unix epoch (true, not the meter's drifting clock). */
export type Instant = number;

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** The truth grid: energy is integrated in 15-minute steps; profile periods are multiples of it. */
export const STEP_MS = 900_000;
export const STEPS_PER_DAY = 96;

export type Season = 'winter' | 'summer' | 'transition';
export type DayType = 'workday' | 'saturday' | 'sunday';

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  /** 1 = Monday … 7 = Sunday. */
  dayOfWeek: number;
  /** Day of year, 1-based. */
  dayOfYear: number;
  minuteOfDay: number;
}

export function localParts(t: Instant, utcOffsetMinutes: number): LocalParts {
  const d = new Date(t + utcOffsetMinutes * MINUTE);
  const year = d.getUTCFullYear();
  const start = Date.UTC(year, 0, 1);
  const dow = d.getUTCDay();
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    dayOfWeek: dow === 0 ? 7 : dow,
    dayOfYear: Math.floor((d.getTime() - start) / DAY) + 1,
    minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
  };
}

/** BDEW seasons: winter 1 Nov–20 Mar, summer 15 May–14 Sep, transition otherwise. */
export function seasonOf(month: number, day: number): Season {
  const md = month * 100 + day;
  if (md >= 1101 || md <= 320) return 'winter';
  if (md >= 515 && md <= 914) return 'summer';
  return 'transition';
}

export function dayTypeOf(dayOfWeek: number): DayType {
  return dayOfWeek === 7 ? 'sunday' : dayOfWeek === 6 ? 'saturday' : 'workday';
}

export function stepIndex(t: Instant): number {
  return Math.floor(t / STEP_MS);
}

/** Start of the local day containing t, as a true instant. */
export function localMidnight(t: Instant, utcOffsetMinutes: number): Instant {
  const off = utcOffsetMinutes * MINUTE;
  return Math.floor((t + off) / DAY) * DAY - off;
}

/** Local midnight on the given day of the given local month (month may overflow into years). */
export function localDate(year: number, month: number, day: number, utcOffsetMinutes: number): Instant {
  return Date.UTC(year, month - 1, day) - utcOffsetMinutes * MINUTE;
}

/** The latest instant ≤ t on a `period` grid anchored at local midnight. */
export function floorToPeriod(t: Instant, periodMs: number, utcOffsetMinutes: number): Instant {
  const off = utcOffsetMinutes * MINUTE;
  return Math.floor((t + off) / periodMs) * periodMs - off;
}
