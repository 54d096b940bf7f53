import { CodedError, type CodedErrorOptions, ErrorKind } from '@openhes/core';

/**
 * One error base for the storage layer. `code` is stable; `retryable` says whether the same
 * operation may succeed if tried again (lock contention, lost connection); `kind` is the
 * port-level vocabulary of core (`CodedError`), derived from the code, so callers (the API)
 * map kinds and never import this package.
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
  /**
   * The disk (or the database's quota) is full: the write was not stored. Not retryable:
   * trying again at once cannot succeed until an operator frees space; what the caller was
   * given to store is still the caller's (nothing was acknowledged).
   */
  Full: 'STORAGE_FULL',
  /** The disk failed under a write (I/O error, read-only file system): the write was not stored. */
  Io: 'STORAGE_IO',
  /** The database schema is newer than this code knows. */
  SchemaTooNew: 'STORAGE_SCHEMA_TOO_NEW',
  /** A migration failed; the schema is left at the last good version. */
  MigrationFailed: 'STORAGE_MIGRATION_FAILED',
  /** The store was closed. */
  Closed: 'STORAGE_CLOSED',
  /** The master (key-encryption) key is missing or malformed. */
  MasterKey: 'STORAGE_MASTER_KEY',
  /** A stored secret does not open with this master key (wrong key, or moved/tampered). */
  SecretUnreadable: 'STORAGE_SECRET_UNREADABLE',
  /** Anything else the engine reported. */
  Internal: 'STORAGE_INTERNAL',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

const RETRYABLE: ReadonlySet<StorageErrorCode> = new Set<StorageErrorCode>([
  StorageErrorCode.Busy,
  StorageErrorCode.Unavailable,
]);

const KIND: Readonly<Partial<Record<StorageErrorCode, ErrorKind>>> = {
  [StorageErrorCode.InvalidInput]: ErrorKind.invalid,
  [StorageErrorCode.MasterKey]: ErrorKind.invalid,
  [StorageErrorCode.NotFound]: ErrorKind.notFound,
  [StorageErrorCode.Conflict]: ErrorKind.conflict,
  [StorageErrorCode.Busy]: ErrorKind.busy,
  [StorageErrorCode.Unavailable]: ErrorKind.unavailable,
  [StorageErrorCode.Full]: ErrorKind.unavailable,
  [StorageErrorCode.Io]: ErrorKind.unavailable,
  [StorageErrorCode.Closed]: ErrorKind.unavailable,
};

/** The port-level kind of a storage code; codes without their own kind are `internal`. */
export function storageErrorKind(code: StorageErrorCode): ErrorKind {
  return KIND[code] ?? ErrorKind.internal;
}

export type StorageErrorOptions = CodedErrorOptions;

export class StorageError extends CodedError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(storageErrorKind(code), code, message, {
      ...options,
      retryable: options.retryable ?? RETRYABLE.has(code),
    });
    this.name = 'StorageError';
  }
}

export function isStorageError(e: unknown): e is StorageError {
  return e instanceof StorageError;
}
