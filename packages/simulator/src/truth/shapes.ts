import type { LoadClass } from '@openhes/cosem';
import type { DayType, Season } from './time.ts';

/** The kind of site a model is made for: one of the device profile's load classes. */
export type { LoadClass } from '@openhes/cosem';

/**
 * BDEW 1999 standard load profiles (device-profiles.md §3.4, source R1): average W per hour
 * for 1,000 kWh/a. Tables the reference does not give are derived below and marked so.
 */
const H0_WINTER_WORKDAY = [
  58.3, 43.1, 39.5, 38.5, 39.1, 46.9, 90.1, 129.4, 133.5, 123.2, 116.2, 118.3, 130.7, 129.5, 115.3, 104.8,
  105.2, 128.6, 166.2, 187.0, 168.2, 141.0, 116.7, 86.4,
];
const H0_SUMMER_WORKDAY = [
  73.6, 54.8, 49.8, 46.9, 48.8, 59.2, 97.9, 129.7, 141.6, 144.1, 139.2, 141.9, 157.8, 152.7, 131.8, 118.8,
  114.8, 122.5, 142.2, 165.2, 166.6, 157.5, 144.5, 112.1,
];
const H0_TRANSITION_WORKDAY = [
  66.6, 49.2, 44.3, 43.1, 44.1, 52.6, 92.9, 129.7, 137.5, 135.9, 132.1, 133.2, 149.6, 145.7, 126.8, 113.4,
  106.2, 116.3, 144.9, 171.9, 168.1, 155.9, 135.7, 100.2,
];
const H0_WINTER_SUNDAY = [
  78.2, 56.3, 45.1, 41.2, 38.7, 38.6, 40.9, 50.0, 88.5, 138.5, 174.2, 202.8, 206.7, 173.0, 136.1, 116.6,
  106.7, 125.7, 156.4, 176.3, 160.1, 135.5, 114.8, 84.6,
];
const G0_WINTER_WORKDAY = [
  61.2, 52.5, 48.4, 49.8, 59.5, 66.8, 80.5, 115.3, 188.5, 229.1, 232.4, 239.2, 219.8, 183.8, 172.8, 190.6,
  200.9, 204.0, 168.1, 116.8, 95.6, 83.8, 76.1, 71.2,
];
const G0_SUMMER_SUNDAY = [
  66.3, 56.9, 51.2, 48.1, 46.5, 46.2, 47.0, 53.1, 53.8, 58.6, 66.4, 72.2, 77.3, 79.1, 73.0, 64.1, 60.1, 67.5,
  75.4, 78.8, 83.1, 81.8, 74.3, 65.8,
];

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const scale = (xs: readonly number[], f: number): number[] => xs.map((x) => x * f);
const blend = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => (x + b[i]!) / 2);

type Table = Record<Season, Record<DayType, readonly number[]>>;

function h0(): Table {
  const workday: Record<Season, readonly number[]> = {
    winter: H0_WINTER_WORKDAY,
    summer: H0_SUMMER_WORKDAY,
    transition: H0_TRANSITION_WORKDAY,
  };
  const out = {} as Table;
  for (const s of ['winter', 'summer', 'transition'] as const) {
    // derived: Sunday scaled by the season's workday energy; Saturday = mean of the two.
    const sunday = scale(H0_WINTER_SUNDAY, sum(workday[s]) / sum(H0_WINTER_WORKDAY));
    out[s] = { workday: workday[s], sunday, saturday: blend(workday[s], sunday) };
  }
  return out;
}

function g0(): Table {
  // derived (no source): seasonal factors on the two G0 tables the reference gives.
  const work: Record<Season, number> = { winter: 1, transition: 0.95, summer: 0.9 };
  const rest: Record<Season, number> = { winter: 1.1, transition: 1.05, summer: 1 };
  const out = {} as Table;
  for (const s of ['winter', 'summer', 'transition'] as const) {
    const workday = scale(G0_WINTER_WORKDAY, work[s]);
    const sunday = scale(G0_SUMMER_SUNDAY, rest[s]);
    out[s] = { workday, sunday, saturday: blend(workday, sunday) };
  }
  return out;
}

function industrial(): Table {
  // ours (no source): a two-shift plant, 60 % flat base plus the G0 workday shape; weekends run the base.
  const mean = sum(G0_WINTER_WORKDAY) / 24;
  const workday = G0_WINTER_WORKDAY.map((w) => 0.6 * mean + 0.4 * w);
  const weekend = G0_WINTER_WORKDAY.map(() => 0.6 * mean);
  const norm = (xs: number[]): number[] => scale(xs, 2800 / sum(workday));
  const t = { workday: norm(workday), saturday: norm(blend(workday, weekend)), sunday: norm(weekend) };
  return { winter: t, summer: t, transition: t };
}

const TABLES: Record<LoadClass, Table> = { residential: h0(), commercial: g0(), industrial: industrial() };

function polynomial(t: number): number {
  return -3.916649251e-10 * t ** 4 + 3.2e-7 * t ** 3 - 7.02e-5 * t ** 2 + 0.0021 * t + 1.24;
}

/** The factor per day of year, computed once: every quarter-hour of a residential load asks. */
const DYNAMISATION = Float64Array.from({ length: 367 }, (_, t) => polynomial(t));

/** H0 dynamisation factor for day of year t (device-profiles.md §3.4, source R2). */
export function dynamisation(dayOfYear: number): number {
  return Number.isInteger(dayOfYear) && dayOfYear >= 0 && dayOfYear <= 366
    ? DYNAMISATION[dayOfYear]!
    : polynomial(dayOfYear);
}

/** Average W in the quarter-hour `slot` (0..95) for 1,000 kWh/a. */
export function shapeWatts(
  cls: LoadClass,
  season: Season,
  dayType: DayType,
  slot: number,
  dayOfYear: number,
): number {
  const w = TABLES[cls][season][dayType][Math.floor(slot / 4)] ?? 0;
  return cls === 'residential' ? w * dynamisation(dayOfYear) : w;
}
