import { DlmsError, type DlmsErrorCode } from '@openhes/dlms';

/**
 * One error base for the driver layer. `code` is stable; `retryable` says whether the same
 * read may succeed on another attempt (the acquisition layer retries by it alone).
 */
export const DriverErrorCode = {
  /** The driver or the meter model cannot do this (yet). */
  Unsupported: 'DRIVER_UNSUPPORTED',
  /** No answer in time (connect or response). */
  Timeout: 'DRIVER_TIMEOUT',
  /** The connection failed or broke. */
  Transport: 'DRIVER_TRANSPORT',
  /** The meter refused the association (wrong password or keys, unknown client). */
  AssociationRejected: 'DRIVER_ASSOCIATION_REJECTED',
  /** The meter refused one request (access denied, object undefined). */
  Refused: 'DRIVER_REFUSED',
  /** Keys, counters or ciphering failed. */
  Security: 'DRIVER_SECURITY',
  /**
   * The meter sent an authenticated APDU whose invocation counter is not above one accepted
   * before (in this session or, persisted, in an earlier one or a push): a replay, or a meter
   * whose counter went back. A security event; never retried.
   */
  Replay: 'DRIVER_REPLAY',
  /** The meter answered something we cannot understand. */
  Protocol: 'DRIVER_PROTOCOL',
  /** The device profile lacks what the read needs, or the meter record is incomplete. */
  Configuration: 'DRIVER_CONFIGURATION',
  /** The driver was used out of order (not open, already closed). */
  State: 'DRIVER_STATE',
  /** An argument the meter cannot take (out of range, wrong size); fix the request, do not retry. */
  Invalid: 'DRIVER_INVALID',
  /**
   * The disconnector's control_mode does not allow this transition; refused before anything
   * was sent. Not retryable; detail {mode, transition, controlState}.
   */
  ModeForbids: 'DRIVER_MODE_FORBIDS',
  /**
   * The meter answered a method with Action-Result temporary-failure (2): it is busy with it
   * (image verification or activation). Retryable: poll the object's status, then go on.
   */
  TemporaryFailure: 'DRIVER_TEMPORARY_FAILURE',
  /** What was read back after a write differs from what was written; detail {attribute}. */
  ReadbackMismatch: 'DRIVER_READBACK_MISMATCH',
} as const;
export type DriverErrorCode = (typeof DriverErrorCode)[keyof typeof DriverErrorCode];

export interface DriverErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: DriverErrorCode, message: string, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriverError';
    this.code = code;
    this.retryable =
      options.retryable ??
      (code === DriverErrorCode.Timeout ||
        code === DriverErrorCode.Transport ||
        code === DriverErrorCode.TemporaryFailure);
    this.detail = options.detail;
  }
}

export function isDriverError(e: unknown): e is DriverError {
  return e instanceof DriverError;
}

const FROM_DLMS: Readonly<Record<DlmsErrorCode, DriverErrorCode>> = {
  DLMS_TRUNCATED: DriverErrorCode.Protocol,
  DLMS_MALFORMED: DriverErrorCode.Protocol,
  DLMS_UNSUPPORTED: DriverErrorCode.Unsupported,
  DLMS_ENCODE: DriverErrorCode.Protocol,
  DLMS_AUTH_FAILED: DriverErrorCode.Security,
  DLMS_REPLAY: DriverErrorCode.Replay,
  DLMS_SECURITY: DriverErrorCode.Security,
  DLMS_CHECKSUM: DriverErrorCode.Transport,
  DLMS_PROTOCOL: DriverErrorCode.Protocol,
  DLMS_ASSOCIATION_REJECTED: DriverErrorCode.AssociationRejected,
  DLMS_ACCESS_RESULT: DriverErrorCode.Refused,
  DLMS_SERVICE_ERROR: DriverErrorCode.Refused,
  DLMS_TIMEOUT: DriverErrorCode.Timeout,
  DLMS_TRANSPORT: DriverErrorCode.Transport,
  DLMS_LINK: DriverErrorCode.Transport,
};

/**
 * Any failure as a DriverError. A DlmsError keeps its `retryable` and its code in
 * `detail.dlmsCode`; anything that is not ours is a bug and is rethrown unchanged.
 */
export function toDriverError(e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  if (e instanceof DlmsError) {
    const code = FROM_DLMS[e.code] ?? DriverErrorCode.Protocol;
    return new DriverError(code, e.message, {
      retryable: code !== DriverErrorCode.Replay && e.retryable,
      cause: e,
      detail: { dlmsCode: e.code, ...e.detail },
    });
  }
  if (isCodedError(e)) {
    return new DriverError(DriverErrorCode.Protocol, e.message, {
      retryable: e.retryable === true,
      cause: e,
      detail: { sourceCode: e.code },
    });
  }
  throw e;
}

function isCodedError(e: unknown): e is Error & { code: string; retryable?: boolean } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

export function unsupported(what: string): DriverError {
  return new DriverError(DriverErrorCode.Unsupported, `${what} is not supported yet`);
}
