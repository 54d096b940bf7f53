import {
  type AggregateFn,
  type AggregatePoint,
  type ApiToken,
  type AuditEntry,
  BUCKET_MS,
  type Bucket,
  type Channel,
  type CollectionOutcome,
  type MeterEvent,
  type Reading,
  type ReadingPlan,
  type User,
} from '@openhes/core';
import { iso, isoOrNull } from './time.ts';

/**
 * A value without binary floating-point noise (0.1 + 0.2 = 0.30000000000000004): 15
 * significant digits, more than any meter register has, so nothing a meter sent is changed.
 */
export function tidy(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(15)) : v;
}

/** `v` rounded to `decimals` places (negative: to tens, hundreds …), noise-free. */
export function roundTo(v: number, decimals: number): number {
  if (!Number.isFinite(v)) return v;
  if (decimals >= 0) return tidy(Number(v.toFixed(Math.min(decimals, 100))));
  const step = 10 ** -decimals;
  return tidy(Math.round(v / step) * step);
}

/** Decimal places averages carry beyond the channel's resolution. */
export const AVERAGE_EXTRA_DECIMALS = 3;

/**
 * An aggregate's value as answered: sum, min and max at the channel's resolution (10^scaler:
 * they are made of values at that resolution), averages with {@link AVERAGE_EXTRA_DECIMALS}
 * more decimal places (249.825 V for a channel of 0.1 V, never 249.82500000000002).
 */
export function aggregateValue(value: number, fn: AggregateFn, scaler: number): number {
  const decimals = -scaler + (fn === 'avg' ? AVERAGE_EXTRA_DECIMALS : 0);
  return roundTo(value, decimals);
}

export function presentReading(r: Reading) {
  return {
    ts: iso(r.ts),
    value: tidy(r.value),
    quality: r.quality,
    reasons: r.reasons,
    source: r.source,
    version: r.version,
    receivedAt: iso(r.receivedAt),
  };
}

export function presentLatest(r: Reading, c: Channel | undefined) {
  return {
    channelId: r.channelId,
    obis: c?.obis ?? null,
    attribute: c?.attribute ?? null,
    unit: c?.unit ?? null,
    ts: iso(r.ts),
    value: tidy(r.value),
    quality: r.quality,
    source: r.source,
  };
}

/** A bucket of an aggregate: it holds the readings with bucketStart < ts <= bucketEnd. */
export function presentPoint(p: AggregatePoint, bucket: Bucket, fn: AggregateFn, scaler: number) {
  return {
    bucketStart: iso(p.bucketStart),
    bucketEnd: iso(bucketEnd(p.bucketStart, bucket)),
    value: aggregateValue(p.value, fn, scaler),
    count: p.count,
  };
}

function bucketEnd(start: number, bucket: Bucket): number {
  if (bucket !== 'month') return start + BUCKET_MS[bucket];
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function presentEvent(e: MeterEvent, text: string | null = null) {
  return {
    id: e.id,
    meterId: e.meterId,
    ts: iso(e.ts),
    meterTime: iso(e.meterTime),
    log: e.log,
    code: e.code,
    text,
    category: e.category,
    receivedAt: iso(e.receivedAt),
  };
}

export function presentOutcome(o: CollectionOutcome) {
  return {
    meterId: o.meterId,
    taskId: o.taskId,
    startedAt: iso(o.startedAt),
    finishedAt: iso(o.finishedAt),
    status: o.status,
    errorCode: o.errorCode,
    readingsStored: o.readingsStored,
    attempt: o.attempt,
  };
}

export function presentUser(u: User) {
  return {
    id: u.id,
    name: u.name,
    displayName: u.displayName,
    role: u.role,
    disabled: u.disabled,
    hasPassword: u.passwordHash !== null,
    createdAt: iso(u.createdAt),
  };
}

export function presentToken(t: ApiToken) {
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    scopes: t.scopes,
    createdAt: iso(t.createdAt),
    expiresAt: isoOrNull(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
  };
}

export function presentAudit(a: AuditEntry) {
  return {
    id: a.id,
    at: iso(a.at),
    actor: a.actor,
    action: a.action,
    target: a.target,
    outcome: a.outcome,
    detail: a.detail,
  };
}

export function presentPlan(p: ReadingPlan, selection: { activeMeters: number; notes: string[] }) {
  return {
    id: p.id,
    name: p.name,
    cron: p.cron,
    reads: p.reads,
    meters: p.meters,
    windowSeconds: p.windowSeconds,
    enabled: p.enabled,
    selection,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}
