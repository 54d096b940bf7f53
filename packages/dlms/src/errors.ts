/**
 * One error base for the DLMS layer. `code` is stable (tests and callers switch on it);
 * `retryable` tells the acquisition layer whether trying again can help.
 */
export const DlmsErrorCode = {
  /** Input ended before a complete value. */
  Truncated: 'DLMS_TRUNCATED',
  /** A tag, length or field value the standard does not allow. */
  Malformed: 'DLMS_MALFORMED',
  /** Well-formed, but a feature we do not implement (e.g. compression). */
  Unsupported: 'DLMS_UNSUPPORTED',
  /** A value cannot be encoded (out of range, wrong shape). */
  Encode: 'DLMS_ENCODE',
  /** Authentication tag mismatch or wrong key. */
  AuthenticationFailed: 'DLMS_AUTH_FAILED',
  /** Invocation counter not greater than the last one seen. */
  Replay: 'DLMS_REPLAY',
  /** Security material missing or inconsistent (no key, bad key length, bad system title). */
  Security: 'DLMS_SECURITY',
  /** Frame check sequence or header check sequence mismatch. */
  Checksum: 'DLMS_CHECKSUM',
  /** The peer broke the protocol (unexpected APDU or state). */
  Protocol: 'DLMS_PROTOCOL',
  /** Association refused by the peer (AARE result not accepted). */
  AssociationRejected: 'DLMS_ASSOCIATION_REJECTED',
  /** The peer answered with a data-access-result / action-result other than success. */
  AccessResult: 'DLMS_ACCESS_RESULT',
  /** The peer sent an ExceptionResponse or ConfirmedServiceError. */
  ServiceError: 'DLMS_SERVICE_ERROR',
  /** No answer in time (set by session drivers). */
  Timeout: 'DLMS_TIMEOUT',
  /** Transport failure (connection refused, reset, closed). */
  Transport: 'DLMS_TRANSPORT',
  /** The link layer failed (HDLC FRMR, DM, retries exhausted). */
  Link: 'DLMS_LINK',
} as const;
export type DlmsErrorCode = (typeof DlmsErrorCode)[keyof typeof DlmsErrorCode];

const RETRYABLE: ReadonlySet<DlmsErrorCode> = new Set<DlmsErrorCode>([
  DlmsErrorCode.Timeout,
  DlmsErrorCode.Transport,
  DlmsErrorCode.Link,
  DlmsErrorCode.Checksum,
]);

export interface DlmsErrorOptions {
  retryable?: boolean;
  offset?: number;
  cause?: unknown;
  /** Extra machine-readable detail (diagnostic codes, result enums). */
  detail?: Record<string, unknown>;
}

export class DlmsError extends Error {
  readonly code: DlmsErrorCode;
  readonly retryable: boolean;
  readonly offset: number | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: DlmsErrorCode, message: string, options: DlmsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DlmsError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.offset = options.offset;
    this.detail = options.detail;
  }
}

export function isDlmsError(e: unknown): e is DlmsError {
  return e instanceof DlmsError;
}
