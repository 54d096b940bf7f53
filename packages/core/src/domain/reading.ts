import type { Instant } from '../paging.ts';

/** Quality is a set of flags; no flag set means raw (as read from the meter). */
export const QualityFlag = {
  validated: 1,
  estimated: 2,
  edited: 4,
  suspect: 8,
  /**
   * A value that differs from the one already stored for its channel and instant and was kept
   * aside instead of replacing it (see ReadingBatch.onDifferent): never the current value. Set
   * by the store only; not a flag a caller may ingest (outside QUALITY_MASK).
   */
  conflict: 16,
} as const;
export type QualityFlag = (typeof QualityFlag)[keyof typeof QualityFlag];
export const QUALITY_RAW = 0;
/** The flags a reading may be ingested with. */
export const QUALITY_MASK = 15;

/** Reason id a store adds to a value it kept as a conflict. */
export const CONFLICT_REASON = 'conflict:differs-from-stored';

export const ReadingSource = {
  scheduled: 'scheduled',
  onDemand: 'on-demand',
  push: 'push',
  estimate: 'estimate',
} as const;
export type ReadingSource = (typeof ReadingSource)[keyof typeof ReadingSource];

export interface ReadingInput {
  channelId: number;
  /** UTC instant; for interval channels the end of the interval. */
  ts: Instant;
  value: number;
  /** Bit set of QualityFlag; 0 = raw. */
  quality?: number;
  /** Why a value is suspect/estimated/edited (validation rule ids). */
  reasons?: readonly string[];
  source?: ReadingSource;
}

/**
 * A stored reading. Versions >= 1 are the values of an instant in the order they replaced one
 * another (the highest is current); versions <= 0 are conflicts kept aside (quality has
 * QualityFlag.conflict): shown by `history` and `series({ versions: 'all' })`, never current,
 * never counted in aggregates.
 */
export interface Reading {
  channelId: number;
  ts: Instant;
  value: number;
  quality: number;
  reasons: string[];
  source: ReadingSource;
  receivedAt: Instant;
  /**
   * 1 for the first value stored at (channel, ts); each different value adds one. A conflict
   * kept aside has 0, -1, -2 … (the first conflict of an instant 0, then one less each).
   */
  version: number;
}

/**
 * What a store does with a reading whose (channel, ts) already holds a different value:
 * - `supersede` (default; reads of the meter itself): stored as a newer version, which becomes
 *   current;
 * - `keep-current` (pushes, and any source less trusted than a read): the stored value stays
 *   current and the new one is kept beside it as a conflict (QualityFlag.conflict,
 *   CONFLICT_REASON, a version <= 0). A value equal to the current one or to a conflict
 *   already kept counts as unchanged. An instant with nothing stored takes the value as usual.
 */
export type OnDifferent = 'supersede' | 'keep-current';

export interface ReadingBatch {
  /** Caller's id for the batch; re-sending a batch id already stored is a no-op. */
  id?: string;
  readings: readonly ReadingInput[];
  /** Defaults to the store's clock. */
  receivedAt?: Instant;
  /** Default `supersede`. */
  onDifferent?: OnDifferent;
}

export interface IngestResult {
  batchId: string;
  /** Readings stored as version 1. */
  inserted: number;
  /** Readings stored as a newer version of an existing (channel, ts). */
  versioned: number;
  /** Readings identical to the newest stored version (or to a conflict already kept). */
  unchanged: number;
  /** Readings kept as conflicts (`onDifferent: 'keep-current'`); stores always set it. */
  conflicts?: number;
  /** True when the batch id had already been stored and nothing was done. */
  duplicateBatch: boolean;
}

export function hasQuality(quality: number, flag: QualityFlag): boolean {
  return (quality & flag) !== 0;
}

export const Bucket = {
  min15: '15m',
  hour: 'hour',
  day: 'day',
  month: 'month',
} as const;
export type Bucket = (typeof Bucket)[keyof typeof Bucket];

export const AggregateFn = { sum: 'sum', avg: 'avg', min: 'min', max: 'max' } as const;
export type AggregateFn = (typeof AggregateFn)[keyof typeof AggregateFn];

export const BUCKET_MS: Readonly<Record<Exclude<Bucket, 'month'>, number>> = {
  '15m': 900_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Interval readings are stamped with the interval end, so the reading at 00:00 belongs to
 * the previous day: a bucket holds readings with start < ts <= end.
 */
export function bucketStart(ts: Instant, bucket: Bucket): Instant {
  const t = ts - 1;
  if (bucket === 'month') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const size = BUCKET_MS[bucket];
  return Math.floor(t / size) * size;
}

export interface AggregatePoint {
  bucketStart: Instant;
  value: number;
  count: number;
  /** Values of `count` whose current version is an estimate (QualityFlag.estimated); absent when none. */
  estimated?: number;
}

export interface MeterAggregatePoint extends AggregatePoint {
  meterId: number;
  channelId: number;
}

export interface CompletenessRow {
  meterId: number;
  /** UTC day start. */
  day: Instant;
  expected: number;
  present: number;
}
