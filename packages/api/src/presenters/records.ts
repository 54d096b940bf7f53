import type {
  AggregatePoint,
  ApiToken,
  AuditEntry,
  Channel,
  CollectionOutcome,
  MeterEvent,
  Reading,
  ReadingPlan,
  User,
} from '@openhes/core';
import { iso, isoOrNull } from './time.ts';

export function presentReading(r: Reading) {
  return {
    ts: iso(r.ts),
    value: r.value,
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
    value: r.value,
    quality: r.quality,
    source: r.source,
  };
}

export function presentPoint(p: AggregatePoint) {
  return { bucketStart: iso(p.bucketStart), value: p.value, count: p.count };
}

export function presentEvent(e: MeterEvent) {
  return {
    id: e.id,
    meterId: e.meterId,
    ts: iso(e.ts),
    meterTime: iso(e.meterTime),
    log: e.log,
    code: e.code,
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

export function presentPlan(p: ReadingPlan) {
  return {
    id: p.id,
    name: p.name,
    cron: p.cron,
    reads: p.reads,
    meters: p.meters,
    windowSeconds: p.windowSeconds,
    enabled: p.enabled,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}
