import { CodedError, type ErrorKind } from '@openhes/core';

/** Error codes of billing (kind in parentheses). */
export const BillingErrorCode = {
  /** Bad input (invalid): a tariff, cycle, group or query; `detail.field` names the place. */
  Invalid: 'BILLING_INVALID',
  /** Unknown tariff, group, meter or bill (not-found). */
  NotFound: 'BILLING_NOT_FOUND',
  /** A meter cannot be billed as configured (invalid): no tariff, no import channel, odd unit. */
  Unbillable: 'BILLING_UNBILLABLE',
} as const;
export type BillingErrorCode = (typeof BillingErrorCode)[keyof typeof BillingErrorCode];

export class BillingError extends CodedError {
  constructor(kind: ErrorKind, code: BillingErrorCode, message: string, detail?: Record<string, unknown>) {
    super(kind, code, message, detail === undefined ? {} : { detail });
    this.name = 'BillingError';
  }

  /** Bad input at `field` (a path such as `seasons[0].days[1].ranges[2]`). */
  static invalid(field: string, message: string): BillingError {
    return new BillingError('invalid', BillingErrorCode.Invalid, `${field}: ${message}`, { field });
  }

  static notFound(what: string, detail: Record<string, unknown>): BillingError {
    return new BillingError('not-found', BillingErrorCode.NotFound, `${what} not found`, detail);
  }

  static unbillable(meterId: number, message: string): BillingError {
    return new BillingError('invalid', BillingErrorCode.Unbillable, `meter ${meterId}: ${message}`, {
      meterId,
    });
  }
}
