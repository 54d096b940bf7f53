import { BUCKET_MS, type Bucket, type CompletenessRow, type MeterAggregatePoint } from '@openhes/core';
import { finish, type Partial } from './codes.ts';
import { encodeCursor } from './cursor.ts';

export const DAY = 86_400_000;

/** Upper bound of buckets one channel yields in [from, to), used to size group pages. */
export function bucketCount(from: number, to: number, bucket: Bucket): number {
  return bucket === 'month'
    ? Math.ceil((to - from) / (28 * DAY)) + 1
    : Math.ceil((to - from) / BUCKET_MS[bucket]);
}

/** Meters of a completeness page: rows are meters × days, so a page holds whole meters. */
export function completenessMeters(
  meterIds: readonly number[],
  after: number,
  fromDay: number,
  toDay: number,
  limit: number,
): { take: number[]; more: boolean } {
  const days = Math.max(1, Math.ceil((toDay - fromDay) / DAY));
  const meters = [...new Set(meterIds)].filter((m) => m > after).sort((a, b) => a - b);
  const take = meters.slice(0, Math.max(1, Math.floor(limit / days)));
  return { take, more: take.length < meters.length };
}

export interface IntervalChannel {
  id: number;
  meterId: number;
  intervalSeconds: number;
}

/** Expected counts come from each interval channel's length; present from distinct instants. */
export function completenessPage(
  take: readonly number[],
  more: boolean,
  fromDay: number,
  toDay: number,
  channels: readonly IntervalChannel[],
  present: readonly { channelId: number; day: number; n: number }[],
): { items: CompletenessRow[]; nextCursor: string | null } {
  const expectedPerDay = new Map<number, number>();
  const meterOf = new Map<number, number>();
  for (const c of channels) {
    meterOf.set(c.id, c.meterId);
    expectedPerDay.set(c.meterId, (expectedPerDay.get(c.meterId) ?? 0) + 86_400 / c.intervalSeconds);
  }
  const counts = new Map<string, number>();
  for (const p of present) {
    const key = `${meterOf.get(p.channelId)}:${p.day}`;
    counts.set(key, (counts.get(key) ?? 0) + p.n);
  }
  const items: CompletenessRow[] = [];
  for (const meterId of take) {
    for (let day = fromDay; day < toDay; day += DAY) {
      items.push({
        meterId,
        day,
        expected: expectedPerDay.get(meterId) ?? 0,
        present: counts.get(`${meterId}:${day}`) ?? 0,
      });
    }
  }
  const last = take[take.length - 1];
  return { items, nextCursor: more && last !== undefined ? encodeCursor([last]) : null };
}

export interface DayRollup {
  c: number;
  day: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  dirty: boolean | number;
}

/** Day and month buckets over whole days can be answered from the channel-day rollup. */
export function rollupApplies(from: number, to: number, bucket: Bucket): boolean {
  return (bucket === 'day' || bucket === 'month') && from % DAY === 0 && to % DAY === 0;
}

/**
 * Folds day rollups into buckets keyed `channel:bucketStart`; null when a min/max is asked
 * for and some day had a value replaced (its min/max may be stale: read the readings).
 */
export function foldRollup(
  rows: readonly DayRollup[],
  bucket: Bucket,
  fn: 'sum' | 'avg' | 'min' | 'max',
): Map<string, { sum: number; count: number; min: number; max: number }> | null {
  if ((fn === 'min' || fn === 'max') && rows.some((r) => Boolean(r.dirty))) return null;
  const out = new Map<string, { sum: number; count: number; min: number; max: number }>();
  for (const r of rows) {
    const day = Number(r.day);
    let b = day;
    if (bucket === 'month') {
      const d = new Date(day);
      b = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    const key = `${r.c}:${b}`;
    const cur = out.get(key);
    const p = { sum: Number(r.sum), count: Number(r.count), min: Number(r.min), max: Number(r.max) };
    if (!cur) out.set(key, p);
    else {
      cur.sum += p.sum;
      cur.count += p.count;
      cur.min = Math.min(cur.min, p.min);
      cur.max = Math.max(cur.max, p.max);
    }
  }
  return out;
}

/** One page of a group aggregate: the points of the channels taken, ordered by meter. */
export function groupPage(
  parts: Map<string, Partial>,
  meterOf: Map<number, number>,
  take: readonly { meter_id: number }[],
  channelCount: number,
  fn: 'sum' | 'avg' | 'min' | 'max',
): { items: MeterAggregatePoint[]; nextCursor: string | null } {
  const items: MeterAggregatePoint[] = [...parts].map(([k, p]) => {
    const [c, b] = k.split(':').map(Number) as [number, number];
    return { meterId: meterOf.get(c)!, channelId: c, bucketStart: b, value: finish(p, fn), count: p.count };
  });
  items.sort((a, b) => a.meterId - b.meterId || a.channelId - b.channelId || a.bucketStart - b.bucketStart);
  const last = take[take.length - 1];
  return {
    items,
    nextCursor: take.length < channelCount && last ? encodeCursor([Number(last.meter_id)]) : null,
  };
}
