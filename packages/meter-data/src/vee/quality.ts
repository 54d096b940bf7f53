import { type EstimationMethod, VeeRule } from '@openhes/core';

/**
 * IEC 61968-9 style ReadingQualityType codes `<system>.<category>.<index>` (system 1 end
 * device, 2 head end / data collection, 3 MDM: VEE's own findings use 3). See
 * meter-data-rules.md §1.5.
 */
export const QualityCode = {
  validated: '3.0.1',
  /** A value as read, not (yet) validated. */
  raw: '1.0.0',
  knownMissingRead: '3.5.259',
  outsideRange: '3.5.256',
  suspect: '3.5.258',
  validationGeneric: '3.6.0',
  zeroUsage: '3.6.1',
  usageOnInactive: '3.6.2',
  sumCheck: '3.6.9',
  staticData: '3.3.5',
  reverseRotation: '3.3.4',
  resetOccurred: '3.4.8',
  overflow: '3.4.1',
  configurationChanged: '3.4.6',
  meterPowerFail: '1.2.32',
  meterClockChanged: '1.4.9',
  meterDataInvalid: '1.5.258',
  eventPowerFail: '2.2.32',
  eventClockChanged: '2.4.9',
  edited: '3.7.0',
  added: '3.7.1',
  estimated: '3.8.0',
} as const;
export type QualityCode = (typeof QualityCode)[keyof typeof QualityCode];

/** The code an exception of each rule carries (meter and event flags choose theirs by cause). */
export const RULE_QUALITY: Readonly<Record<VeeRule, string>> = {
  [VeeRule.missing]: QualityCode.knownMissingRead,
  [VeeRule.highLimit]: QualityCode.outsideRange,
  [VeeRule.lowLimit]: QualityCode.outsideRange,
  [VeeRule.spike]: QualityCode.validationGeneric,
  [VeeRule.zeroRun]: QualityCode.zeroUsage,
  [VeeRule.flatLine]: QualityCode.staticData,
  [VeeRule.negative]: QualityCode.reverseRotation,
  [VeeRule.registerBackwards]: QualityCode.resetOccurred,
  [VeeRule.registerRollover]: QualityCode.overflow,
  [VeeRule.sumCheck]: QualityCode.sumCheck,
  [VeeRule.meterFlag]: QualityCode.meterDataInvalid,
  [VeeRule.eventFlag]: QualityCode.eventPowerFail,
  [VeeRule.usageWhileOpen]: QualityCode.usageOnInactive,
  [VeeRule.intervalLength]: QualityCode.configurationChanged,
  [VeeRule.unit]: QualityCode.configurationChanged,
};

/**
 * Rules whose finding leaves the value valid (kept and counted as validated, flagged only):
 * outage and clock flags, rollovers and gaps (a gap has no value).
 */
export const INFORMATIONAL_RULES: ReadonlySet<string> = new Set([
  VeeRule.missing,
  VeeRule.meterFlag,
  VeeRule.eventFlag,
  VeeRule.registerRollover,
]);

/** Reason ids written with an estimate: `vee:est:<method>` and `q:<code>`. */
export function estimateReasons(method: EstimationMethod): string[] {
  return [`vee:est:${method}`, `q:${QualityCode.estimated}`];
}

export const EDIT_REASON = 'vee:edit';
/** Reason id of a real value VEE made current again over an estimate (a late push). */
export const LATE_REAL_REASON = 'vee:late-real';

/** The estimation method named in a reading's reasons, if any. */
export function methodOf(reasons: readonly string[]): string | null {
  for (const r of reasons) if (r.startsWith('vee:est:')) return r.slice(8);
  return null;
}
