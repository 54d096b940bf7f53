import type { EmergencyActivateParameters, LoadLimitParameters } from '@openhes/core';
import type { LimiterView, LoadLimiting } from '@openhes/drivers';
import type { Operation, OperationContext } from '../operation.ts';
import { inSession, need, notConfirmed, parametersOf } from './support.ts';

function limiter(ctx: OperationContext, l: LoadLimiting | undefined): LoadLimiting {
  return need(l, ctx.meter.id, 'no limiter');
}

/**
 * A physical threshold read back equals the one asked for within the monitored value's
 * resolution (raw × 10^scaler: 5,001 W on a scaler-1 register is stored as 5,000 W).
 */
export function sameThreshold(asked: number, read: number | undefined, scaler: number): boolean {
  if (read === undefined) return false;
  const step = 10 ** scaler;
  return Math.abs(asked - read) <= step / 2 + 1e-9 * Math.max(1, Math.abs(asked));
}

function view(v: LimiterView): Record<string, unknown> {
  return {
    unit: v.unit,
    thresholdActive: v.thresholdActive,
    thresholdNormal: v.thresholdNormal,
    thresholdEmergency: v.thresholdEmergency,
    minOverThresholdSeconds: v.raw.minOverThresholdDuration,
    minUnderThresholdSeconds: v.raw.minUnderThresholdDuration,
    emergencyProfileId: v.emergencyProfile.id,
    emergencyDurationSeconds: v.emergencyProfile.duration,
    emergencyProfileGroupIds: v.emergencyProfileGroupIds,
    emergencyProfileActive: v.emergencyProfileActive,
  };
}

function mismatch(ctx: OperationContext, field: string, asked: unknown, read: unknown): never {
  throw notConfirmed(`meter ${ctx.meter.id}: ${field} reads ${String(read)} after writing ${String(asked)}`, {
    field,
    asked,
    read,
  });
}

/** Thresholds (physical units) and durations written, read back, compared. */
export const loadLimit: Operation = async (ctx) => {
  const p = parametersOf<LoadLimitParameters>(ctx.command);
  return inSession(ctx, async (driver) => {
    const v = await limiter(ctx, driver.limiter).setLimits({
      ...(p.thresholdNormal !== undefined ? { thresholdNormal: p.thresholdNormal } : {}),
      ...(p.thresholdEmergency !== undefined ? { thresholdEmergency: p.thresholdEmergency } : {}),
      ...(p.minOverThresholdSeconds !== undefined
        ? { minOverThresholdDuration: p.minOverThresholdSeconds }
        : {}),
      ...(p.minUnderThresholdSeconds !== undefined
        ? { minUnderThresholdDuration: p.minUnderThresholdSeconds }
        : {}),
    });
    if (p.thresholdNormal !== undefined && !sameThreshold(p.thresholdNormal, v.thresholdNormal, v.scaler))
      mismatch(ctx, 'thresholdNormal', p.thresholdNormal, v.thresholdNormal);
    if (
      p.thresholdEmergency !== undefined &&
      !sameThreshold(p.thresholdEmergency, v.thresholdEmergency, v.scaler)
    )
      mismatch(ctx, 'thresholdEmergency', p.thresholdEmergency, v.thresholdEmergency);
    if (
      p.minOverThresholdSeconds !== undefined &&
      v.raw.minOverThresholdDuration !== p.minOverThresholdSeconds
    )
      mismatch(ctx, 'minOverThresholdSeconds', p.minOverThresholdSeconds, v.raw.minOverThresholdDuration);
    if (
      p.minUnderThresholdSeconds !== undefined &&
      v.raw.minUnderThresholdDuration !== p.minUnderThresholdSeconds
    )
      mismatch(ctx, 'minUnderThresholdSeconds', p.minUnderThresholdSeconds, v.raw.minUnderThresholdDuration);
    return { result: view(v) };
  });
};

/**
 * An emergency profile written (threshold, profile, group list) and read back. Active at once
 * when it starts now and the meter belongs to its group; a later start is confirmed by the
 * profile read back, its activity reported.
 */
export const emergencyActivate: Operation = async (ctx) => {
  const p = parametersOf<EmergencyActivateParameters>(ctx.command);
  const groupIds = p.groupIds ?? [p.profileId];
  const start = p.activateAt ?? ctx.now();
  // In force now: started, not yet over (a start in the past may already have run out).
  const inForce = start <= ctx.now() && ctx.now() < start + p.durationSeconds * 1000;
  return inSession(ctx, async (driver) => {
    const v = await limiter(ctx, driver.limiter).activateEmergency({
      profileId: p.profileId,
      activateAt: start,
      durationSeconds: p.durationSeconds,
      groupIds,
      ...(p.thresholdEmergency !== undefined ? { thresholdEmergency: p.thresholdEmergency } : {}),
    });
    if (v.emergencyProfile.id !== p.profileId) mismatch(ctx, 'profileId', p.profileId, v.emergencyProfile.id);
    if (v.emergencyProfile.duration !== p.durationSeconds)
      mismatch(ctx, 'durationSeconds', p.durationSeconds, v.emergencyProfile.duration);
    const read = [...v.emergencyProfileGroupIds].sort((a, b) => a - b);
    const asked = [...groupIds].sort((a, b) => a - b);
    if (read.join(',') !== asked.join(',')) mismatch(ctx, 'groupIds', asked, read);
    if (
      p.thresholdEmergency !== undefined &&
      !sameThreshold(p.thresholdEmergency, v.thresholdEmergency, v.scaler)
    )
      mismatch(ctx, 'thresholdEmergency', p.thresholdEmergency, v.thresholdEmergency);
    if (inForce && groupIds.includes(p.profileId) && !v.emergencyProfileActive)
      mismatch(ctx, 'emergencyProfileActive', true, false);
    return { result: view(v) };
  });
};

/** The emergency group list emptied; confirmed when the list reads empty and no profile is active. */
export const emergencyClear: Operation = async (ctx) =>
  inSession(ctx, async (driver) => {
    const v = await limiter(ctx, driver.limiter).clearEmergency();
    if (v.emergencyProfileGroupIds.length > 0)
      mismatch(ctx, 'emergencyProfileGroupIds', [], v.emergencyProfileGroupIds);
    if (v.emergencyProfileActive) mismatch(ctx, 'emergencyProfileActive', false, true);
    return { result: view(v) };
  });
