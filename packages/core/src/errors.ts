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

export interface CoreErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class CoreError extends Error {
  readonly code: CoreErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: CoreErrorCode, message: string, options: CoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CoreError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
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
