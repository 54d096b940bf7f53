import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * Invoke-Id-And-Priority: one byte. b0–b3 invoke-id, b4–b5 reserved (kept as received),
 * b6 service-class (1 = confirmed), b7 priority (1 = high). APDUs carry the raw byte.
 */
export const InvokeIdAndPriority = {
  invokeIdMask: 0x0f,
  serviceClassConfirmed: 0x40,
  priorityHigh: 0x80,
} as const;
export type InvokeIdAndPriority = number;

export interface InvokeIdAndPriorityFields {
  invokeId: number;
  confirmed: boolean;
  highPriority: boolean;
}

export function invokeIdAndPriority(
  invokeId: number,
  options: { confirmed?: boolean; highPriority?: boolean } = {},
): InvokeIdAndPriority {
  if (!Number.isInteger(invokeId) || invokeId < 0 || invokeId > 15) {
    throw new DlmsError(DlmsErrorCode.Encode, `invoke-id ${invokeId} out of range 0..15`);
  }
  return (
    invokeId |
    ((options.confirmed ?? true) ? InvokeIdAndPriority.serviceClassConfirmed : 0) |
    ((options.highPriority ?? true) ? InvokeIdAndPriority.priorityHigh : 0)
  );
}

export function parseInvokeIdAndPriority(b: InvokeIdAndPriority): InvokeIdAndPriorityFields {
  return {
    invokeId: b & InvokeIdAndPriority.invokeIdMask,
    confirmed: (b & InvokeIdAndPriority.serviceClassConfirmed) !== 0,
    highPriority: (b & InvokeIdAndPriority.priorityHigh) !== 0,
  };
}

export function invokeIdOf(b: InvokeIdAndPriority): number {
  return b & InvokeIdAndPriority.invokeIdMask;
}

/**
 * Long-Invoke-Id-And-Priority: Unsigned32. b0–b23 long-invoke-id, b24–b27 reserved,
 * b28 self-descriptive, b29 processing-option (1 = break on error), b30 service-class, b31 priority.
 */
export const LongInvokeIdAndPriority = {
  longInvokeIdMask: 0x00ffffff,
  selfDescriptive: 0x10000000,
  processingOptionBreakOnError: 0x20000000,
  serviceClassConfirmed: 0x40000000,
  priorityHigh: 0x80000000,
} as const;
export type LongInvokeIdAndPriority = number;

export interface LongInvokeIdAndPriorityFields {
  longInvokeId: number;
  selfDescriptive: boolean;
  breakOnError: boolean;
  confirmed: boolean;
  highPriority: boolean;
}

export function longInvokeIdAndPriority(
  fields: Partial<LongInvokeIdAndPriorityFields> & { longInvokeId: number },
): LongInvokeIdAndPriority {
  const id = fields.longInvokeId;
  if (!Number.isInteger(id) || id < 0 || id > LongInvokeIdAndPriority.longInvokeIdMask) {
    throw new DlmsError(DlmsErrorCode.Encode, `long-invoke-id ${id} out of range 0..16777215`);
  }
  let v = id;
  if (fields.selfDescriptive) v += LongInvokeIdAndPriority.selfDescriptive;
  if (fields.breakOnError) v += LongInvokeIdAndPriority.processingOptionBreakOnError;
  if (fields.confirmed) v += LongInvokeIdAndPriority.serviceClassConfirmed;
  if (fields.highPriority) v += LongInvokeIdAndPriority.priorityHigh;
  return v;
}

export function parseLongInvokeIdAndPriority(v: LongInvokeIdAndPriority): LongInvokeIdAndPriorityFields {
  return {
    longInvokeId: v & LongInvokeIdAndPriority.longInvokeIdMask,
    selfDescriptive: (v & LongInvokeIdAndPriority.selfDescriptive) !== 0,
    breakOnError: (v & LongInvokeIdAndPriority.processingOptionBreakOnError) !== 0,
    confirmed: (v & LongInvokeIdAndPriority.serviceClassConfirmed) !== 0,
    highPriority: v >>> 31 === 1,
  };
}
