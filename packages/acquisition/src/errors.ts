/** One error base for the acquisition layer; `code` is stable. */
export const AcquisitionErrorCode = {
  /** The master key is missing, malformed or cannot be created. */
  MasterKey: 'ACQ_MASTER_KEY',
  /** A wrapped meter key does not open with the master key. */
  KeyUnwrap: 'ACQ_KEY_UNWRAP',
  /** A meter list line or field is invalid. */
  InvalidMeterList: 'ACQ_INVALID_METER_LIST',
  /** A reading plan is invalid. */
  InvalidPlan: 'ACQ_INVALID_PLAN',
  /** The meter does not exist (a stored meter whose record is unusable is ACQ_METER_RECORD_INVALID). */
  UnknownMeter: 'ACQ_UNKNOWN_METER',
  /**
   * The meter's stored record is one no driver can use: `detail.field` (address, protocol,
   * deviceProfile) and `detail.reason` (IMPORT_BAD_ADDRESS, IMPORT_NO_DRIVER,
   * IMPORT_UNKNOWN_PROFILE) name it; the message starts with the field.
   */
  MeterRecordInvalid: 'ACQ_METER_RECORD_INVALID',
  /** A scheduled task was skipped because the meter is flagged and backing off. */
  MeterFlagged: 'ACQ_METER_FLAGGED',
  /** Another process holds the meter's session lease. */
  MeterBusy: 'ACQ_METER_BUSY',
  /** A push could not be attributed to a meter. */
  UnknownSender: 'ACQ_UNKNOWN_SENDER',
  /** A ciphered push whose invocation counter is not above every one accepted before. */
  Replayed: 'ACQ_PUSH_REPLAYED',
  /** A push refused for its protection, sender or content (`detail.reason`, see PushRefusalReason). */
  PushRefused: 'ACQ_PUSH_REFUSED',
} as const;
export type AcquisitionErrorCode = (typeof AcquisitionErrorCode)[keyof typeof AcquisitionErrorCode];

export class AcquisitionError extends Error {
  readonly code: AcquisitionErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: AcquisitionErrorCode,
    message: string,
    options: { retryable?: boolean; detail?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'AcquisitionError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
  }
}
