import { BUCKET_MS, type Bucket, type CompletenessRow } from '@openhes/core';
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
