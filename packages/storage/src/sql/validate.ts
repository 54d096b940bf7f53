import { isCoreError } from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';

/** Runs a core validator and re-throws its failure as a storage error keeping the core code. */
export function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isCoreError(e)) {
      throw new StorageError(StorageErrorCode.InvalidInput, e.message, {
        cause: e,
        detail: { reason: e.code, ...e.detail },
      });
    }
    throw e;
  }
}

export function notFound(what: string, detail: Record<string, unknown>): StorageError {
  return new StorageError(StorageErrorCode.NotFound, `${what} not found`, {
    detail: { reason: `STORAGE_UNKNOWN_${what.toUpperCase().replace(/ /g, '_')}`, ...detail },
  });
}

/** Query ranges are integer epoch ms with from <= to (not bound to the ingest window). */
export function checkRange(from: unknown, to: unknown): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || (to as number) < (from as number)) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'range needs integer from <= to (epoch ms)', {
      detail: { reason: 'CORE_INVALID_RANGE', from, to },
    });
  }
}

/** Completeness works on whole UTC days. */
export function checkDays(fromDay: unknown, toDay: unknown): void {
  checkRange(fromDay, toDay);
  if ((fromDay as number) % 86_400_000 !== 0 || (toDay as number) % 86_400_000 !== 0) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'fromDay and toDay must be UTC day starts', {
      detail: { reason: 'CORE_INVALID_RANGE', fromDay, toDay },
    });
  }
}
