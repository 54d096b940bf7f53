import type { Instant } from '@openhes/core';
import { type CosemDateTime, dateTimeFromInstant, tryDateTimeToInstant } from '@openhes/dlms';
import type { DriverProfile } from '../profile.ts';

/**
 * A date-time as the meter wrote it, as an instant. Deviation is UTC − local in minutes;
 * an unspecified deviation means the model's own zone; a model with the local − UTC quirk
 * writes its zone offset with the sign flipped.
 */
export function meterInstant(dt: CosemDateTime, p: DriverProfile): Instant | undefined {
  const offset = p.meter.utcOffsetMinutes;
  let deviation = dt.deviation;
  if (deviation === null) deviation = -offset;
  else if (p.quirks.deviationLocalMinusUtc && offset !== 0 && deviation === offset) deviation = -offset;
  return tryDateTimeToInstant({ ...dt, deviation })?.getTime();
}

/** An instant as this model writes it: local fields of its zone, deviation in its convention. */
export function meterDateTime(at: Instant, p: DriverProfile): CosemDateTime {
  const offset = p.meter.utcOffsetMinutes;
  const dt = dateTimeFromInstant(new Date(at), { deviation: -offset });
  if (p.quirks.deviationLocalMinusUtc) dt.deviation = offset;
  return dt;
}

/**
 * Whether two date-times the meter holds are the same moment: compared as instants in the
 * model's convention (a meter may write back the deviation in its own sign), field by field
 * when either has wildcards.
 */
export function sameMeterTime(a: CosemDateTime, b: CosemDateTime, p: DriverProfile): boolean {
  const x = meterInstant(a, p);
  const y = meterInstant(b, p);
  if (x !== undefined && y !== undefined) return x === y;
  return JSON.stringify(a) === JSON.stringify(b);
}
