/**
 * One error base for the COSEM model layer. `code` is stable; `retryable` is false for every
 * code here, because a malformed OBIS or a value of the wrong shape does not heal on retry.
 */
export const CosemErrorCode = {
  /** An OBIS code that does not parse or has a value group outside 0..255. */
  InvalidObis: 'COSEM_INVALID_OBIS',
  /** A DlmsData value whose shape does not match the attribute's type (`path` says where). */
  Shape: 'COSEM_SHAPE',
  /** A value that cannot be encoded into the attribute's type. */
  Encode: 'COSEM_ENCODE',
} as const;
export type CosemErrorCode = (typeof CosemErrorCode)[keyof typeof CosemErrorCode];

export interface CosemErrorOptions {
  retryable?: boolean;
  /** Where in the value the mismatch is, e.g. `object_list[3].access_rights`. */
  path?: string;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class CosemError extends Error {
  readonly code: CosemErrorCode;
  readonly retryable: boolean;
  readonly path: string | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: CosemErrorCode, message: string, options: CosemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CosemError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.path = options.path;
    this.detail = options.detail;
  }
}

export function isCosemError(e: unknown): e is CosemError {
  return e instanceof CosemError;
}
