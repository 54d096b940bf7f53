import { type ClockConfigParameters, ErrorKind, type Meter, type TimeSyncParameters } from '@openhes/core';
import type { ClockReading, ClockSettings, MeterDriver } from '@openhes/drivers';
import { ControlError, ControlErrorCode } from '../errors.ts';
import type { Operation } from '../operation.ts';
import { parseLocalDateTime, TIME_SYNC_DEFAULTS } from '../validate.ts';
import {
  type CosemDateTime,
  inSession,
  NOT_SPECIFIED,
  need,
  notConfirmed,
  parametersOf,
  sameWallTime,
  sending,
} from './support.ts';

/** The block profile's capture period when the meter's profile does not say (s). */
export const DEFAULT_CAPTURE_PERIOD_SECONDS = 900;
/** Residual drift accepted after an adjustment (shift_time moves whole seconds; a set lands within the round trip). */
export const CONFIRM_DRIFT_MS = 2000;
/** Waits for a moment away from a capture boundary before giving up (retryable). */
const BOUNDARY_ROUNDS = 3;

export interface ClockOptions {
  /** The meter's block-profile capture period in seconds (from its device profile); default 900. */
  capturePeriodSeconds?: (meter: Meter) => number | undefined;
}

/**
 * How long to wait until `at` is more than `guardMs` away from a multiple of `periodMs`
 * (a capture boundary), 0 when it already is.
 */
export function boundaryWait(at: number, periodMs: number, guardMs: number): number {
  if (guardMs <= 0 || periodMs <= 0) return 0;
  const pos = ((at % periodMs) + periodMs) % periodMs;
  if (pos < guardMs) return guardMs - pos + 1;
  if (periodMs - pos <= guardMs) return periodMs - pos + guardMs + 1;
  return 0;
}

type SyncStep = { wait: number } | { result: Record<string, unknown> };

/**
 * Clock read (drift against the head end); within tolerance nothing is sent; up to
 * maxShiftSeconds shift_time, beyond it set; never within the guard of a capture boundary
 * (meter time or target time): the operation waits past it, outside the session. Re-read to
 * confirm. shift_time is not idempotent: every attempt reads the clock first and shifts by
 * what it reads now, so a shift that happened before a dropped link is never repeated.
 */
export function timeSync(options: ClockOptions = {}): Operation {
  return async (ctx) => {
    const p = parametersOf<TimeSyncParameters>(ctx.command);
    const toleranceMs = (p.toleranceSeconds ?? TIME_SYNC_DEFAULTS.toleranceSeconds) * 1000;
    const maxShiftMs = (p.maxShiftSeconds ?? TIME_SYNC_DEFAULTS.maxShiftSeconds) * 1000;
    const guardMs = (p.boundaryGuardSeconds ?? TIME_SYNC_DEFAULTS.boundaryGuardSeconds) * 1000;
    const periodMs = (options.capturePeriodSeconds?.(ctx.meter) ?? DEFAULT_CAPTURE_PERIOD_SECONDS) * 1000;
    let waitedMs = 0;
    for (let round = 0; round < BOUNDARY_ROUNDS; round++) {
      const step = await inSession(ctx, async (driver): Promise<SyncStep> => {
        const before = await driver.readClock();
        if (Math.abs(before.driftMs) <= toleranceMs)
          return { result: { driftMs: before.driftMs, action: 'none', waitedMs } };
        const elapsed = ctx.now() - before.localTime;
        const wait = Math.max(
          boundaryWait(before.meterTime + elapsed, periodMs, guardMs),
          boundaryWait(ctx.now(), periodMs, guardMs),
        );
        if (wait > 0) return { wait };
        const shiftSeconds = -Math.round(before.driftMs / 1000);
        const shift =
          Math.abs(before.driftMs) <= maxShiftMs && shiftSeconds !== 0 && driver.clock !== undefined;
        await ctx.saveProgress({
          step: 'time-sending',
          action: shift ? 'shift' : 'set',
          driftMs: before.driftMs,
          ...(shift ? { shiftSeconds } : {}),
        });
        const after = await sending(() => adjust(driver, shift ? shiftSeconds : null, ctx.now()));
        await ctx.saveProgress({ step: 'time-sent' });
        if (Math.abs(after.driftMs) > Math.max(toleranceMs, CONFIRM_DRIFT_MS))
          throw notConfirmed(
            `meter ${ctx.meter.id}: the clock still drifts ${after.driftMs} ms after the adjustment`,
            {
              driftMs: before.driftMs,
              driftAfterMs: after.driftMs,
            },
          );
        return {
          result: {
            driftMs: before.driftMs,
            action: shift ? 'shift' : 'set',
            ...(shift ? { shiftSeconds } : {}),
            driftAfterMs: after.driftMs,
            waitedMs,
          },
        };
      });
      if ('result' in step) return { result: step.result };
      await ctx.sleep(step.wait);
      waitedMs += step.wait;
    }
    throw new ControlError(
      ErrorKind.busy,
      ControlErrorCode.TemporaryFailure,
      `meter ${ctx.meter.id}: no moment away from a capture boundary found; retried later`,
      { retryable: true, detail: { waitedMs } },
    );
  };
}

async function adjust(driver: MeterDriver, shiftSeconds: number | null, now: number): Promise<ClockReading> {
  if (shiftSeconds !== null && driver.clock !== undefined) return driver.clock.shiftTime(shiftSeconds);
  if (driver.clock !== undefined) return driver.clock.setTime(now);
  await driver.setClock(now);
  return driver.readClock();
}

/** An ISO local date-time as a COSEM date-time in the meter's own zone (deviation and weekday not specified). */
export function localDateTime(text: string, field: string): CosemDateTime {
  const t = parseLocalDateTime(field, text);
  return {
    year: t.year,
    month: t.month,
    dayOfMonth: t.day,
    dayOfWeek: NOT_SPECIFIED,
    hour: t.hour,
    minute: t.minute,
    second: t.second,
    hundredths: 0,
    deviation: null,
    clockStatus: NOT_SPECIFIED,
  };
}

/** Time zone and DST settings written (attributes 3, 5, 6, 7, 8), read back, compared. */
export const clockConfig: Operation = async (ctx) => {
  const p = parametersOf<ClockConfigParameters>(ctx.command);
  const settings: Partial<ClockSettings> = {
    ...(p.timeZoneMinutes !== undefined ? { timeZone: p.timeZoneMinutes } : {}),
    ...(p.dstEnabled !== undefined ? { daylightSavingsEnabled: p.dstEnabled } : {}),
    ...(p.dstDeviationMinutes !== undefined ? { daylightSavingsDeviation: p.dstDeviationMinutes } : {}),
    ...(p.dstBegin !== undefined ? { daylightSavingsBegin: localDateTime(p.dstBegin, 'dstBegin') } : {}),
    ...(p.dstEnd !== undefined ? { daylightSavingsEnd: localDateTime(p.dstEnd, 'dstEnd') } : {}),
  };
  return inSession(ctx, async (driver) => {
    const clock = need(driver.clock, ctx.meter.id, 'no writable clock settings');
    const s = await clock.setClockSettings(settings);
    const wrong: string[] = [];
    if (settings.timeZone !== undefined && s.timeZone !== settings.timeZone) wrong.push('timeZoneMinutes');
    if (
      settings.daylightSavingsEnabled !== undefined &&
      s.daylightSavingsEnabled !== settings.daylightSavingsEnabled
    )
      wrong.push('dstEnabled');
    if (
      settings.daylightSavingsDeviation !== undefined &&
      s.daylightSavingsDeviation !== settings.daylightSavingsDeviation
    )
      wrong.push('dstDeviationMinutes');
    if (
      settings.daylightSavingsBegin !== undefined &&
      !sameWallTime(settings.daylightSavingsBegin, s.daylightSavingsBegin)
    )
      wrong.push('dstBegin');
    if (
      settings.daylightSavingsEnd !== undefined &&
      !sameWallTime(settings.daylightSavingsEnd, s.daylightSavingsEnd)
    )
      wrong.push('dstEnd');
    if (wrong.length > 0)
      throw notConfirmed(`meter ${ctx.meter.id}: ${wrong.join(', ')} read back differently`, {
        fields: wrong,
      });
    return {
      result: {
        timeZoneMinutes: s.timeZone,
        dstEnabled: s.daylightSavingsEnabled,
        dstDeviationMinutes: s.daylightSavingsDeviation,
      },
    };
  });
};
