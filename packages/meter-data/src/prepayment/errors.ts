import { CodedError, type ErrorKind } from '@openhes/core';

/** Error codes of prepayment (kind in parentheses). */
export const PrepaymentErrorCode = {
  /** Bad input (invalid): an amount, reference, setting or query; `detail.field` names it. */
  Invalid: 'PREPAY_INVALID',
  /** Unknown account or meter (not-found). */
  NotFound: 'PREPAY_NOT_FOUND',
  /** Not allowed in the account's state (conflict): e.g. emergency credit not offered now. */
  State: 'PREPAY_STATE',
} as const;
export type PrepaymentErrorCode = (typeof PrepaymentErrorCode)[keyof typeof PrepaymentErrorCode];

export class PrepaymentError extends CodedError {
  constructor(kind: ErrorKind, code: PrepaymentErrorCode, message: string, detail?: Record<string, unknown>) {
    super(kind, code, message, detail === undefined ? {} : { detail });
    this.name = 'PrepaymentError';
  }

  /** Bad input at `field`. */
  static invalid(field: string, message: string, detail: Record<string, unknown> = {}): PrepaymentError {
    return new PrepaymentError('invalid', PrepaymentErrorCode.Invalid, `${field}: ${message}`, {
      field,
      ...detail,
    });
  }

  static notFound(what: string, detail: Record<string, unknown>): PrepaymentError {
    return new PrepaymentError('not-found', PrepaymentErrorCode.NotFound, `${what} not found`, detail);
  }

  static state(message: string, detail: Record<string, unknown>): PrepaymentError {
    return new PrepaymentError('conflict', PrepaymentErrorCode.State, message, detail);
  }
}
