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
