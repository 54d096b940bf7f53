import { normalizeObis } from '@openhes/core';
import type { EventTextLookup } from '../context.ts';

/** The event status word of alarm pushes (drivers' EVENT_STATUS_WORD_OBIS): its codes are bit numbers. */
const EVENT_STATUS_WORD = '0.0.94.91.18.255';

/** The part of a device profile that names events (drivers' DriverProfile has it). */
export interface ProfileEventNames {
  eventLogs: Readonly<Record<string, { obis: string; codes: Readonly<Record<string, string>> }>>;
  eventStatusBits?: Readonly<Record<string, { name: string }>>;
}

/**
 * The event texts of device profiles as the API takes them (`eventText` of buildApi): the
 * code table of the log with that OBIS code, or for the event status word the bit's name.
 */
export function eventTextLookup(profiles: ReadonlyMap<string, ProfileEventNames>): EventTextLookup {
  const byProfile = new Map<string, Map<string, Readonly<Record<string, string>>>>();
  for (const [id, p] of profiles) {
    const logs = new Map<string, Readonly<Record<string, string>>>();
    // Events store their log's OBIS code dotted (core's normalizeObis); profiles may write it either way.
    for (const log of Object.values(p.eventLogs)) logs.set(normalizeObis('obis', log.obis), log.codes);
    if (p.eventStatusBits !== undefined) {
      const bits: Record<string, string> = {};
      for (const [bit, b] of Object.entries(p.eventStatusBits)) bits[bit] = b.name;
      logs.set(EVENT_STATUS_WORD, bits);
    }
    byProfile.set(id, logs);
  }
  return (profile, log, code) => {
    const codes = byProfile.get(profile)?.get(log);
    return codes !== undefined && Object.hasOwn(codes, String(code)) ? codes[String(code)] : undefined;
  };
}
