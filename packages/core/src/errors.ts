/**
 * What kind of failure a port reports, whatever the adapter behind it: the API maps these
 * kinds (and never an adapter's own codes) to HTTP statuses, the acquisition layer retries
 * the retryable ones.
 * - invalid: the input breaks a rule (never retryable)
 * - not-found: a referenced entity does not exist
 * - conflict: a uniqueness rule or a compare-and-set precondition failed
 * - busy: contention (a lock, a lease, a full queue); trying later may succeed
 * - unavailable: the engine cannot be reached or was closed
 * - internal: anything else
 */
export const ErrorKind = {
  invalid: 'invalid',
  notFound: 'not-found',
  conflict: 'conflict',
  busy: 'busy',
  unavailable: 'unavailable',
  internal: 'internal',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface CodedErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

/**
 * The one coded-error shape of every layer: a stable `code` (prefixed by the layer), the
 * port-level `kind`, whether a retry can help, and structured `detail` (never secrets).
 */
export class CodedError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.kind = kind;
    this.code = code;
    this.retryable = options.retryable ?? (kind === ErrorKind.busy || kind === ErrorKind.unavailable);
    this.detail = options.detail;
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

/** Port-level codes for adapters that have no code of their own (in-process bus, leases, plans). */
export const PortErrorCode = {
  NotFound: 'PORT_NOT_FOUND',
  Conflict: 'PORT_CONFLICT',
  Busy: 'PORT_BUSY',
  Unavailable: 'PORT_UNAVAILABLE',
  Invalid: 'PORT_INVALID',
} as const;
export type PortErrorCode = (typeof PortErrorCode)[keyof typeof PortErrorCode];

export const notFoundError = (what: string, detail?: Record<string, unknown>): CodedError =>
  new CodedError(ErrorKind.notFound, PortErrorCode.NotFound, `${what} not found`, detail ? { detail } : {});
export const conflictError = (message: string, detail?: Record<string, unknown>): CodedError =>
  new CodedError(ErrorKind.conflict, PortErrorCode.Conflict, message, detail ? { detail } : {});
export const busyError = (message: string, detail?: Record<string, unknown>): CodedError =>
  new CodedError(ErrorKind.busy, PortErrorCode.Busy, message, detail ? { detail } : {});
export const unavailableError = (message: string, cause?: unknown): CodedError =>
  new CodedError(
    ErrorKind.unavailable,
    PortErrorCode.Unavailable,
    message,
    cause === undefined ? {} : { cause },
  );

/**
 * One error base for the core layer. `code` is stable; `retryable` tells callers whether
 * trying the same thing again can help. Validation failures are never retryable.
 */
export const CoreErrorCode = {
  InvalidValue: 'CORE_INVALID_VALUE',
  NonFiniteValue: 'CORE_NON_FINITE_VALUE',
  InstantOutOfRange: 'CORE_INSTANT_OUT_OF_RANGE',
  InvalidIdentifier: 'CORE_INVALID_IDENTIFIER',
  InvalidEnum: 'CORE_INVALID_ENUM',
  InvalidTransition: 'CORE_INVALID_TRANSITION',
  InvalidRange: 'CORE_INVALID_RANGE',
} as const;
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

export type CoreErrorOptions = CodedErrorOptions;

/** Core validation failures: always kind `invalid`, never retryable unless said. */
export class CoreError extends CodedError {
  declare readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options: CoreErrorOptions = {}) {
    super(ErrorKind.invalid, code, message, { ...options, retryable: options.retryable ?? false });
    this.name = 'CoreError';
  }
}

/** A value supplied by a caller breaks a domain rule; `field` names the offending input. */
export class ValidationError extends CoreError {
  readonly field: string;

  constructor(code: CoreErrorCode, field: string, message: string, detail?: Record<string, unknown>) {
    super(code, `${field}: ${message}`, { retryable: false, detail: { field, ...detail } });
    this.name = 'ValidationError';
    this.field = field;
  }
}

export function isCoreError(e: unknown): e is CoreError {
  return e instanceof CoreError;
}
