import type { CommandKind, Meter } from '@openhes/core';
import { capabilitiesOf, type DriverProfile } from '@openhes/drivers';

/**
 * The driver capability (drivers' `Capability`, by name) each kind drives: a meter whose
 * device profile lacks it is refused at request time (CONTROL_UNSUPPORTED).
 */
export const KIND_CAPABILITY: Readonly<Record<CommandKind, string>> = {
  connect: 'supply',
  disconnect: 'supply',
  'load-limit': 'limiter',
  'emergency-activate': 'limiter',
  'emergency-clear': 'limiter',
  'set-calendar': 'tariff',
  'set-special-days': 'tariff',
  'time-sync': 'clock',
  'clock-config': 'clock',
  'firmware-update': 'firmware',
  'key-rotation': 'keys',
  'security-activate': 'keys',
  'push-setup': 'push',
};

/** Kinds that move the relay: a relay change within a window of one of these was ordered. */
export const RELAY_KINDS: readonly CommandKind[] = ['connect', 'disconnect'];

/**
 * What a meter can do, from its device profile (drivers' `capabilitiesOf`); undefined when its
 * profile is not loaded (not knowable: the request is not refused for it, the session will say).
 */
export function profileCapabilities(
  profiles: ReadonlyMap<string, DriverProfile>,
): (meter: Meter) => ReadonlySet<string> | undefined {
  const cache = new Map<string, ReadonlySet<string>>();
  return (meter) => {
    let caps = cache.get(meter.deviceProfile);
    if (caps === undefined) {
      const p = profiles.get(meter.deviceProfile);
      if (p === undefined) return undefined;
      caps = capabilitiesOf(p);
      cache.set(meter.deviceProfile, caps);
    }
    return caps;
  };
}
