import { CodedError, ErrorKind, PortErrorCode, unavailableError } from '@openhes/core';

export const invalidError = (message: string, detail?: Record<string, unknown>): CodedError =>
  new CodedError(ErrorKind.invalid, PortErrorCode.Invalid, message, detail ? { detail } : {});

export const closedError = (what: string): CodedError => unavailableError(`${what} is closed`);

export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw invalidError('ttlMs must be a positive integer', { ttlMs });
  }
  return ttlMs;
}

export function checkText(field: string, v: unknown, max = 256): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw invalidError(`${field} must be a string of 1..${max} characters`, { field });
  }
  return v;
}
