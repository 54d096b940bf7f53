/**
 * One error base for the storage layer. `code` is stable; `retryable` says whether the same
 * operation may succeed if tried again (lock contention, lost connection).
 */
export const StorageErrorCode = {
  /** Input breaks a domain rule; `detail.reason` holds the core validation code. */
  InvalidInput: 'STORAGE_INVALID_INPUT',
  /** A referenced meter, channel, node or command does not exist. */
  NotFound: 'STORAGE_NOT_FOUND',
  /** A uniqueness rule or a compare-and-set precondition failed. */
  Conflict: 'STORAGE_CONFLICT',
  /** Lock contention, deadlock or serialization failure. */
  Busy: 'STORAGE_BUSY',
  /** The database cannot be reached or the connection was lost. */
  Unavailable: 'STORAGE_UNAVAILABLE',
  /** The database schema is newer than this code knows. */
  SchemaTooNew: 'STORAGE_SCHEMA_TOO_NEW',
  /** A migration failed; the schema is left at the last good version. */
  MigrationFailed: 'STORAGE_MIGRATION_FAILED',
  /** The store was closed. */
  Closed: 'STORAGE_CLOSED',
  /** Anything else the engine reported. */
  Internal: 'STORAGE_INTERNAL',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

const RETRYABLE: ReadonlySet<StorageErrorCode> = new Set<StorageErrorCode>([
  StorageErrorCode.Busy,
  StorageErrorCode.Unavailable,
]);

export interface StorageErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.detail = options.detail;
  }
}

export function isStorageError(e: unknown): e is StorageError {
  return e instanceof StorageError;
}
