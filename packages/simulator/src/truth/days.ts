import { DAY, type DayType, dayTypeOf, type Season, seasonOf } from './time.ts';

export interface DayInfo {
  year: number;
  month: number;
  day: number;
  dayOfWeek: number;
  dayOfYear: number;
  season: Season;
  dayType: DayType;
}

const cache = new Map<number, DayInfo>();

/** Calendar facts of local day number `n` (days since 1970-01-01 in local time). */
export function dayInfo(n: number): DayInfo {
  const hit = cache.get(n);
  if (hit !== undefined) return hit;
  const d = new Date(n * DAY);
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const dow = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
  const info: DayInfo = {
    year: d.getUTCFullYear(),
    month,
    day,
    dayOfWeek: dow,
    dayOfYear: Math.floor((n * DAY - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY) + 1,
    season: seasonOf(month, day),
    dayType: dayTypeOf(dow),
  };
  if (cache.size > 20_000) cache.clear();
  cache.set(n, info);
  return info;
}
