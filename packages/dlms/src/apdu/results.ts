/**
 * Data-Access-Result (Green Book ENUMERATED, one byte on the wire). Decoders keep values
 * outside this table as plain numbers: meters send vendor values.
 */
export const DataAccessResult = {
  success: 0,
  'hardware-fault': 1,
  'temporary-failure': 2,
  'read-write-denied': 3,
  'object-undefined': 4,
  'object-class-inconsistent': 9,
  'object-unavailable': 11,
  'type-unmatched': 12,
  'scope-of-access-violated': 13,
  'data-block-unavailable': 14,
  'long-get-aborted': 15,
  'no-long-get-in-progress': 16,
  'long-set-aborted': 17,
  'no-long-set-in-progress': 18,
  'data-block-number-invalid': 19,
  'other-reason': 250,
} as const;
export type DataAccessResultName = keyof typeof DataAccessResult;
export type DataAccessResult = (typeof DataAccessResult)[DataAccessResultName];

/** Action-Result (ENUMERATED, one byte). */
export const ActionResult = {
  success: 0,
  'hardware-fault': 1,
  'temporary-failure': 2,
  'read-write-denied': 3,
  'object-undefined': 4,
  'object-class-inconsistent': 9,
  'object-unavailable': 11,
  'type-unmatched': 12,
  'scope-of-access-violated': 13,
  'data-block-unavailable': 14,
  'long-action-aborted': 15,
  'no-long-action-in-progress': 16,
  'other-reason': 250,
} as const;
export type ActionResultName = keyof typeof ActionResult;
export type ActionResult = (typeof ActionResult)[ActionResultName];

/** Exception-Response state-error (ENUMERATED). */
export const ExceptionStateError = { 'service-not-allowed': 1, 'service-unknown': 2 } as const;
export type ExceptionStateErrorName = keyof typeof ExceptionStateError;
export type ExceptionStateError = (typeof ExceptionStateError)[ExceptionStateErrorName];

/** Exception-Response service-error CHOICE tag; only invocation-counter-error carries a value (Unsigned32). */
export const ExceptionServiceError = {
  'operation-not-possible': 1,
  'service-not-supported': 2,
  'other-reason': 3,
  'pdu-too-long': 4,
  'deciphering-error': 5,
  'invocation-counter-error': 6,
} as const;
export type ExceptionServiceErrorName = keyof typeof ExceptionServiceError;
export type ExceptionServiceError = (typeof ExceptionServiceError)[ExceptionServiceErrorName];

function nameOf(table: Record<string, number>, n: number): string {
  for (const k in table) if (table[k] === n) return k;
  return `unknown(${n})`;
}

/** Standard name of a data-access-result, or `unknown(n)`. */
export function dataAccessResultName(n: number): string {
  return nameOf(DataAccessResult, n);
}

export function actionResultName(n: number): string {
  return nameOf(ActionResult, n);
}

export function exceptionStateErrorName(n: number): string {
  return nameOf(ExceptionStateError, n);
}

export function exceptionServiceErrorName(n: number): string {
  return nameOf(ExceptionServiceError, n);
}
