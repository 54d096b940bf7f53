import type { Instant } from '@openhes/core';

/** Granularity of reading storage periods (tables in SQLite, partitions in PostgreSQL). */
export type PeriodSize = 'day' | 'month';

export interface Period {
  start: Instant;
  end: Instant;
  /** `YYYYMM` or `YYYYMMDD`, used in table names. */
  label: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function periodOf(ts: Instant, size: PeriodSize): Period {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (size === 'month') {
    return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1), label: `${y}${pad(m + 1)}` };
  }
  const day = d.getUTCDate();
  return { start: Date.UTC(y, m, day), end: Date.UTC(y, m, day + 1), label: `${y}${pad(m + 1)}${pad(day)}` };
}

/** Every period overlapping [from, to). */
export function periodsBetween(from: Instant, to: Instant, size: PeriodSize): Period[] {
  const out: Period[] = [];
  for (let p = periodOf(from, size); p.start < to; p = periodOf(p.end, size)) out.push(p);
  return out;
}
