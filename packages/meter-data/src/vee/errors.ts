import { CodedError, type ErrorKind } from '@openhes/core';

/** Error codes of VEE (kind in parentheses). */
export const VeeErrorCode = {
  /** Bad input (invalid); `detail.field` names the field. */
  Invalid: 'VEE_INVALID',
  /** Unknown meter, channel or exception (not-found). */
  NotFound: 'VEE_NOT_FOUND',
  /** The value is final (billed) and may not be estimated or edited (conflict). */
  Final: 'VEE_FINAL_LOCKED',
} as const;
export type VeeErrorCode = (typeof VeeErrorCode)[keyof typeof VeeErrorCode];

export class VeeError extends CodedError {
  constructor(kind: ErrorKind, code: VeeErrorCode, message: string, detail?: Record<string, unknown>) {
    super(kind, code, message, detail === undefined ? {} : { detail });
    this.name = 'VeeError';
  }

  static invalid(field: string, message: string): VeeError {
    return new VeeError('invalid', VeeErrorCode.Invalid, message, { field });
  }

  static notFound(what: string, detail: Record<string, unknown>): VeeError {
    return new VeeError('not-found', VeeErrorCode.NotFound, `${what} not found`, detail);
  }
}
