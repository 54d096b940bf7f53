import type { KeyPurpose, Meter } from '@openhes/core';
import {
  blockCapturePeriodSeconds,
  counterResetKeys,
  DEFAULT_COUNTER_RESET_KEYS,
  type DriverProfile,
} from '@openhes/drivers';
import type { OperationOptions } from './operations/index.ts';

/** The device profile of a meter, or undefined when it is not loaded. */
export type ProfileLookup = (meter: Meter) => DriverProfile | undefined;

/** A lookup over loaded profiles by id (drivers' loadDriverProfiles). */
export function profileLookup(profiles: ReadonlyMap<string, DriverProfile>): ProfileLookup {
  return (meter) => profiles.get(meter.deviceProfile);
}

/**
 * The operations' options with per-meter defaults from its device profile: the time sync's
 * capture period from the block load profile (an explicit `capturePeriodSeconds` wins when it
 * answers; a meter without either gets the operation's 900 s), and which key changes restart
 * the meter's invocation counter from the profile's `counterResetsOnKeyChange` quirk (an
 * explicit `counterResetsOnKeyChange` replaces it; default the unicast encryption key).
 */
export function profileOperationOptions(
  profileOf: ProfileLookup | undefined,
  explicit: OperationOptions = {},
): OperationOptions {
  if (profileOf === undefined) return explicit;
  const given = explicit.capturePeriodSeconds;
  const capturePeriodSeconds = (meter: Meter): number | undefined => {
    const p = given?.(meter);
    if (p !== undefined) return p;
    const profile = profileOf(meter);
    return profile === undefined ? undefined : blockCapturePeriodSeconds(profile);
  };
  const counterResetsOnKeyChange =
    explicit.counterResetsOnKeyChange ??
    ((meter: Meter, purpose: KeyPurpose): boolean => {
      const profile = profileOf(meter);
      return (profile === undefined ? DEFAULT_COUNTER_RESET_KEYS : counterResetKeys(profile)).includes(
        purpose,
      );
    });
  return { ...explicit, capturePeriodSeconds, counterResetsOnKeyChange };
}
