import { type Command, ErrorKind } from '@openhes/core';
import {
  type CalendarActivation,
  DriverErrorCode,
  isDriverError,
  type MeterDriver,
  type TariffProgramming,
} from '@openhes/drivers';
import { ControlError, ControlErrorCode } from '../errors.ts';
import type { OperationContext } from '../operation.ts';
import type { SessionKeys } from '../ports.ts';

// Types the driver interface carries, named here without importing cosem or dlms (control
// imports core and drivers only).
export type ActivityCalendar = Parameters<TariffProgramming['programCalendar']>[0];
export type CosemDateTime = Exclude<Extract<CalendarActivation, { kind: 'at' }>['time'], number>;
export type SpecialDay = Parameters<NonNullable<TariffProgramming['setSpecialDays']>>[0][number];
export type CosemDate = SpecialDay['date'];
export type DayProfileAction = ActivityCalendar['dayProfileTable'][number]['schedule'][number];
export type CosemTime = DayProfileAction['startTime'];
export type Obis = DayProfileAction['scriptLogicalName'];

/** 0xFF / 0xFFFF: a date-time field "not specified" (a wildcard). */
export const NOT_SPECIFIED = 0xff;
export const YEAR_NOT_SPECIFIED = 0xffff;

/** The parameters of the command, as validated at request time. */
export function parametersOf<T>(command: Command): T {
  return command.parameters as T;
}

export function progressOf(command: Command): Record<string, unknown> {
  return command.progress ?? {};
}

export interface Failure {
  /**
   * A non-idempotent request may have left when the failure happened: a link failure then
   * leaves the outcome unknown (the next attempt reads the meter's state before resending).
   */
  sent?: boolean;
}

/**
 * A failure as ControlError. DriverErrors are mapped by code: a link or timeout failure is
 * retryable (outcomeUnknown when a non-idempotent request had left), temporary-failure is
 * retryable, a refusal is not. ControlErrors and anything else (store, collector errors)
 * pass through unchanged.
 */
export function controlError(e: unknown, failure: Failure = {}): unknown {
  if (e instanceof ControlError || !isDriverError(e)) return e;
  const detail = { driverCode: e.code, ...(e.detail ?? {}) };
  const make = (kind: ErrorKind, code: ControlErrorCode, retryable: boolean, outcomeUnknown = false) =>
    new ControlError(kind, code, e.message, { cause: e, detail, retryable, outcomeUnknown });
  switch (e.code) {
    case DriverErrorCode.Timeout:
    case DriverErrorCode.Transport:
      return make(ErrorKind.unavailable, ControlErrorCode.Link, true, failure.sent === true);
    case DriverErrorCode.TemporaryFailure:
      return make(ErrorKind.busy, ControlErrorCode.TemporaryFailure, true);
    case DriverErrorCode.ModeForbids:
      return make(ErrorKind.conflict, ControlErrorCode.ModeForbids, false);
    case DriverErrorCode.Unsupported:
      return make(ErrorKind.invalid, ControlErrorCode.Unsupported, false);
    case DriverErrorCode.Invalid:
      return make(ErrorKind.invalid, ControlErrorCode.Invalid, false);
    case DriverErrorCode.ReadbackMismatch:
      return make(ErrorKind.conflict, ControlErrorCode.NotConfirmed, false);
    case DriverErrorCode.Refused:
    case DriverErrorCode.AssociationRejected:
    case DriverErrorCode.Security:
    case DriverErrorCode.Replay:
      return make(ErrorKind.conflict, ControlErrorCode.MeterRefused, false);
    default:
      return make(ErrorKind.internal, ControlErrorCode.Internal, e.retryable);
  }
}

/** Runs a non-idempotent request: a link failure during it leaves the outcome unknown. */
export async function sending<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (e) {
    throw controlError(e, { sent: true });
  }
}

/** A session on the command's meter; driver failures leave as ControlError. */
export async function inSession<T>(
  ctx: OperationContext,
  work: (driver: MeterDriver) => Promise<T>,
  keys?: SessionKeys,
): Promise<T> {
  try {
    return await ctx.session(work, keys);
  } catch (e) {
    throw controlError(e);
  }
}

export function unsupported(message: string, detail: Record<string, unknown> = {}): ControlError {
  return new ControlError(ErrorKind.invalid, ControlErrorCode.Unsupported, message, {
    detail,
    retryable: false,
  });
}

export function notConfirmed(message: string, detail: Record<string, unknown> = {}): ControlError {
  return new ControlError(ErrorKind.conflict, ControlErrorCode.NotConfirmed, message, {
    detail,
    retryable: false,
  });
}

/** The capability, or CONTROL_UNSUPPORTED naming what the meter lacks. */
export function need<T>(capability: T | undefined, meterId: number, what: string): T {
  if (capability === undefined) throw unsupported(`meter ${meterId}: ${what}`, { meterId });
  return capability;
}

/** Same wall-clock fields (year … second), whatever deviation or status the meter adds. */
export function sameWallTime(a: CosemDateTime, b: CosemDateTime): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.dayOfMonth === b.dayOfMonth &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}
