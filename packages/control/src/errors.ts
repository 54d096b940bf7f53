import { CodedError, type CodedErrorOptions, type ErrorKind } from '@openhes/core';

/** Stable codes of meter control. */
export const ControlErrorCode = {
  /** Parameters break a rule (field named in detail.field). */
  Invalid: 'CONTROL_INVALID',
  /** The meter's model has no object for the operation (e.g. no relay on a CT meter). */
  Unsupported: 'CONTROL_UNSUPPORTED',
  /** The control mode (known before sending) does not allow the transition. */
  ModeForbids: 'CONTROL_MODE_FORBIDS',
  /** The meter refused the request (Data-Access-Result / Action-Result in detail). */
  MeterRefused: 'CONTROL_METER_REFUSED',
  /** The meter answered temporary-failure; trying later may succeed. */
  TemporaryFailure: 'CONTROL_TEMPORARY_FAILURE',
  /** What was read back does not match what was asked for. */
  NotConfirmed: 'CONTROL_NOT_CONFIRMED',
  /** Image verification failed; the meter stays on its old image. */
  VerifyFailed: 'CONTROL_VERIFY_FAILED',
  /** Activation did not lead to the image's identifier. */
  ActivationFailed: 'CONTROL_ACTIVATION_FAILED',
  /** Neither the new nor the old keys open an association. */
  KeysRefused: 'CONTROL_KEYS_REFUSED',
  /** The deadline passed. */
  Expired: 'CONTROL_EXPIRED',
  /** The two-person rule: approval by the requester or by a user without the approver right. */
  ApprovalRefused: 'CONTROL_APPROVAL_REFUSED',
  /** The meter, command, campaign or firmware image named does not exist (kind not-found). */
  NotFound: 'CONTROL_NOT_FOUND',
  /** The command or campaign is not in a state that allows the request. */
  WrongState: 'CONTROL_WRONG_STATE',
  /** Session failure (link, timeout) — retried. */
  Link: 'CONTROL_LINK',
  /**
   * Not a failure: the meter will act by itself at a time (e.g. a scheduled image activation);
   * the command goes back to the queue until `retryAt` without counting an attempt.
   */
  Waiting: 'CONTROL_WAITING',
  Internal: 'CONTROL_INTERNAL',
} as const;
export type ControlErrorCode = (typeof ControlErrorCode)[keyof typeof ControlErrorCode];

export interface ControlErrorOptions extends CodedErrorOptions {
  /**
   * The link failed after a non-idempotent request left: the meter may or may not have acted.
   * The runner reads the meter's state before anything is sent again.
   */
  outcomeUnknown?: boolean;
  /**
   * Run the command again not before this instant (ms): a wait the operation asks for, not a
   * failure (the runner requeues without counting an attempt and frees the runner slot).
   */
  retryAt?: number;
}

export class ControlError extends CodedError {
  readonly outcomeUnknown: boolean;
  readonly retryAt: number | undefined;

  constructor(kind: ErrorKind, code: ControlErrorCode, message: string, options: ControlErrorOptions = {}) {
    super(kind, code, message, options);
    this.name = 'ControlError';
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.retryAt = options.retryAt;
  }
}
