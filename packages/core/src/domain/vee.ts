import type { Instant, Page, PageRequest } from '../paging.ts';

/**
 * Validation, estimation and editing (VEE) of interval data. Raw readings are never changed:
 * estimates and edits are newer versions in the readings store (QualityFlag.estimated /
 * edited, with the rule id and an IEC 61968-9 style quality code in `reasons`); what VEE
 * finds (exceptions), what it ran (a summary per channel and customer-local day), edit records
 * and final (billed) marks live in the VeeStore.
 */

/** Validation rule ids (stable: stored with every exception). */
export const VeeRule = {
  missing: 'missing',
  highLimit: 'high-limit',
  lowLimit: 'low-limit',
  spike: 'spike',
  zeroRun: 'zero-run',
  flatLine: 'flat-line',
  negative: 'negative',
  registerBackwards: 'register-backwards',
  registerRollover: 'register-rollover',
  sumCheck: 'sum-check',
  meterFlag: 'meter-flag',
  eventFlag: 'event-flag',
  usageWhileOpen: 'usage-while-open',
  intervalLength: 'interval-length',
  unit: 'unit',
} as const;
export type VeeRule = (typeof VeeRule)[keyof typeof VeeRule];

/** Estimation method ids (stored in an estimate's reasons as `vee:est:<method>`). */
export const EstimationMethod = {
  linear: 'linear',
  /** Interpolation through two values on each side of a short gap (follows the load's curve). */
  cubic: 'cubic',
  likeDay: 'like-day',
  registerScaled: 'register-scaled',
  dailyFlat: 'daily-flat',
} as const;
export type EstimationMethod = (typeof EstimationMethod)[keyof typeof EstimationMethod];

export type VeeExceptionStatus = 'open' | 'resolved';

/** How a user closed an exception. */
export const VeeResolution = {
  accepted: 'accepted',
  estimated: 'estimated',
  edited: 'edited',
  dismissed: 'dismissed',
} as const;
export type VeeResolution = (typeof VeeResolution)[keyof typeof VeeResolution];

/** One failed rule over one interval or run of intervals of a channel. */
export interface VeeException {
  id: number;
  meterId: number;
  channelId: number;
  rule: VeeRule;
  /** Interval-end instants of the first and last value concerned (both included). */
  from: Instant;
  to: Instant;
  /** Customer-local day (YYYY-MM-DD) of `from`. */
  day: string;
  groupId: string;
  /** IEC 61968-9 style ReadingQualityType, e.g. `3.6.0`, `3.5.259`. */
  qualityCode: string;
  detail: Record<string, unknown> | null;
  status: VeeExceptionStatus;
  resolution: VeeResolution | null;
  note: string | null;
  resolvedBy: string | null;
  resolvedAt: Instant | null;
  createdAt: Instant;
  updatedAt: Instant;
}

export type NewVeeException = Pick<
  VeeException,
  'meterId' | 'channelId' | 'rule' | 'from' | 'to' | 'day' | 'groupId' | 'qualityCode' | 'detail'
>;

export interface VeeExceptionQuery extends PageRequest {
  meterId?: number;
  channelId?: number;
  rule?: VeeRule;
  status?: VeeExceptionStatus;
  groupId?: string;
  /** Exceptions whose `from` lies in [from, to). */
  from?: Instant;
  to?: Instant;
}

/** What VEE found for one channel on one customer-local day at its last run. */
export interface VeeDaySummary {
  meterId: number;
  channelId: number;
  groupId: string;
  /** Customer-local day, YYYY-MM-DD. */
  day: string;
  /** UTC instants of the local day's start and end (23, 24 or 25 hours apart). */
  dayStart: Instant;
  dayEnd: Instant;
  /** Intervals the day should hold (92 / 96 / 100 for 15 minutes on DST days). */
  expected: number;
  /** Intervals holding real data (read from the meter, possibly edited). */
  actual: number;
  estimated: number;
  edited: number;
  /** Intervals still without a value (explicit gaps). */
  missing: number;
  /** Intervals under an open validation exception. */
  suspect: number;
  exceptions: number;
  /** Intervals with a value not under an open exception after the last run. */
  validated: number;
  /** The largest `validated` reached by runs before the day-1, day-2 and final deadlines. */
  validatedByDay1: number;
  validatedByDay2: number;
  validatedByFinal: number;
  firstRunAt: Instant;
  lastRunAt: Instant;
}

export interface VeeDayQuery extends PageRequest {
  meterId?: number;
  channelId?: number;
  groupId?: string;
  /** Local days in [fromDay, toDay) (YYYY-MM-DD). */
  fromDay: string;
  toDay: string;
}

/** Share of interval data validated by each deadline (0..1; null when nothing was expected). */
export interface TimelinessFigures {
  /** Group id, or null for the whole fleet. */
  groupId: string | null;
  fromDay: string;
  toDay: string;
  days: number;
  channels: number;
  expected: number;
  validatedByDay1: number;
  validatedByDay2: number;
  validatedByFinal: number;
  shareByDay1: number | null;
  shareByDay2: number | null;
  shareByFinal: number | null;
}

export interface TimelinessQuery {
  fromDay: string;
  toDay: string;
  /** One group; omitted: one row per group plus the fleet row (groupId null). */
  groupId?: string;
}

/** An edit of one interval value by a user (the value itself is a reading version). */
export interface VeeEdit {
  id: number;
  meterId: number;
  channelId: number;
  ts: Instant;
  /** Current value before the edit (null when the interval was a gap). */
  oldValue: number | null;
  newValue: number;
  /** Reading version the edit created. */
  version: number;
  reason: string;
  actor: string;
  at: Instant;
}

export type NewVeeEdit = Omit<VeeEdit, 'id' | 'at'>;

/** A final mark: values of [from, to] (interval ends) are billed; estimates and edits refused. */
export interface VeeLock {
  id: number;
  channelId: number;
  from: Instant;
  to: Instant;
  label: string;
  lockedBy: string;
  lockedAt: Instant;
}

export type NewVeeLock = Omit<VeeLock, 'id' | 'lockedAt'>;

/** The result of one VEE run over one channel and a range of local days. */
export interface VeeChannelRunWrite {
  channelId: number;
  /** UTC range the run covered: exceptions of the channel with `from` in it are replaced. */
  from: Instant;
  to: Instant;
  exceptions: readonly NewVeeException[];
  days: readonly Omit<
    VeeDaySummary,
    'validatedByDay1' | 'validatedByDay2' | 'validatedByFinal' | 'firstRunAt' | 'lastRunAt'
  >[];
  /** Deadlines are per day: `dayEnd + n days`, final `dayEnd + finalDays`. */
  finalDays: number;
}

export interface VeeStore {
  /**
   * Stores a run in one transaction: open exceptions of the channel in the range that no
   * longer fire are removed, new ones added, ones that still fire kept (a resolved one keeps its
   * resolution); day summaries replaced, their timeliness counters raised by the store's clock.
   */
  saveRun(run: VeeChannelRunWrite): Promise<{ opened: number; kept: number; cleared: number }>;
  exception(id: number): Promise<VeeException | null>;
  exceptions(query: VeeExceptionQuery): Promise<Page<VeeException>>;
  /** Not-found for an unknown id; conflict when already resolved. */
  resolve(id: number, resolution: VeeResolution, by: string, note?: string | null): Promise<VeeException>;
  days(query: VeeDayQuery): Promise<Page<VeeDaySummary>>;
  timeliness(query: TimelinessQuery): Promise<TimelinessFigures[]>;
  addEdit(edit: NewVeeEdit): Promise<VeeEdit>;
  /** Edits of a channel with ts in [from, to), oldest first. */
  edits(channelId: number, from: Instant, to: Instant): Promise<VeeEdit[]>;
  lock(lock: NewVeeLock): Promise<VeeLock>;
  /** Final marks of a channel overlapping [from, to]. */
  locks(channelId: number, from: Instant, to: Instant): Promise<VeeLock[]>;
}
