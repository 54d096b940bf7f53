import { isMeterRating, type MeterRating, type MeterStore } from '@openhes/core';
import type { DriverProfile } from '@openhes/drivers';
import type { MeterAccess } from './meter-access.ts';

/** The rating a device profile's `meter` section states (nominalVoltage, maxCurrent, phases, CT/PT ratios). */
export function ratingOfProfile(p: DriverProfile): MeterRating | undefined {
  const m = p.meter;
  const r = {
    nominalVoltage: m.nominalVoltage,
    maxCurrent: m.maxCurrent,
    phases: m.phases,
    ...(m.ctRatio === undefined ? {} : { ctRatio: m.ctRatio }),
    ...(m.ptRatio === undefined ? {} : { ptRatio: m.ptRatio }),
  };
  return isMeterRating(r) ? r : undefined;
}

/**
 * A meter's rating by id, for ReadingIngestService's `ratingOf` (reads and pushes alike):
 * undefined for an unknown meter or one whose profile states none.
 */
export function meterRatingLookup(
  meters: Pick<MeterStore, 'get'>,
  access: Pick<MeterAccess, 'profileOf'>,
): (meterId: number) => Promise<MeterRating | undefined> {
  return async (meterId) => {
    const m = await meters.get(meterId);
    if (m === null) return undefined;
    try {
      return ratingOfProfile(access.profileOf(m));
    } catch {
      return undefined;
    }
  };
}
