import { StorageError, StorageErrorCode } from '../errors.ts';

/** Cursors are opaque to callers: base64url of the JSON key of the last item returned. */
export function encodeCursor(key: readonly (number | string)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, arity: number): (number | string)[] | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k) => (typeof k === 'number' && Number.isFinite(k)) || typeof k === 'string')
    ) {
      return key as (number | string)[];
    }
  } catch {
    // fall through to the error below
  }
  throw new StorageError(StorageErrorCode.InvalidInput, 'malformed page cursor', {
    detail: { reason: 'STORAGE_BAD_CURSOR' },
  });
}

export function cursorNumbers(cursor: string | null | undefined, arity: number): number[] | null {
  const key = decodeCursor(cursor, arity);
  if (key === null) return null;
  if (key.some((k) => typeof k !== 'number')) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'malformed page cursor', {
      detail: { reason: 'STORAGE_BAD_CURSOR' },
    });
  }
  return key as number[];
}

/** Builds a page from `limit + 1` fetched rows. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  keyOf: (last: T) => readonly (number | string)[],
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1] as T)) };
}
