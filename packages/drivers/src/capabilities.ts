import type { Capability, ControlCapabilities, ControlCapability, MeterDriver } from './driver.ts';
import { DriverError, DriverErrorCode } from './errors.ts';
import type { DriverProfile, ProfileObject } from './profile.ts';

/**
 * Interface classes (IEC 62056-6-2) of the objects each control capability drives.
 * TODO: switch to cosem's named class ids once they land.
 */
export const CONTROL_CLASS = {
  disconnectControl: 70,
  limiter: 71,
  activityCalendar: 20,
  specialDaysTable: 11,
  imageTransfer: 18,
  securitySetup: 64,
} as const;

const CLASS_OF: Readonly<Record<ControlCapability, number>> = {
  supply: CONTROL_CLASS.disconnectControl,
  limiter: CONTROL_CLASS.limiter,
  tariff: CONTROL_CLASS.activityCalendar,
  firmware: CONTROL_CLASS.imageTransfer,
  keys: CONTROL_CLASS.securitySetup,
};

export const CONTROL_CAPABILITIES: readonly ControlCapability[] = [
  'supply',
  'limiter',
  'tariff',
  'firmware',
  'keys',
];

/** The first object of an interface class in the device profile. */
export function objectOfClass(p: DriverProfile, classId: number): ProfileObject | undefined {
  return p.objects.find((o) => o.class === classId);
}

/** The object a control capability drives on this model, if the model has one. */
export function capabilityObject(p: DriverProfile, c: ControlCapability): ProfileObject | undefined {
  return objectOfClass(p, CLASS_OF[c]);
}

/**
 * What a meter of this model can do, from the objects of its device profile alone: reading
 * and clock always, each control capability when the model has the object it drives.
 */
export function capabilitiesOf(p: DriverProfile): ReadonlySet<Capability> {
  const out = new Set<Capability>(['reading']);
  for (const c of CONTROL_CAPABILITIES) if (capabilityObject(p, c) !== undefined) out.add(c);
  return out;
}

/** What this driver offers for its meter: the control accessors that are present. */
export function driverCapabilities(d: MeterDriver): ReadonlySet<Capability> {
  const out = new Set<Capability>(['reading']);
  for (const c of CONTROL_CAPABILITIES) if (d[c] !== undefined) out.add(c);
  return out;
}

/** The capability's interface, or DRIVER_UNSUPPORTED (not retryable) when the driver does not offer it. */
export function requireCapability<C extends ControlCapability>(d: MeterDriver, c: C): ControlCapabilities[C] {
  const found = d[c] as ControlCapabilities[C] | undefined;
  if (found === undefined)
    throw new DriverError(DriverErrorCode.Unsupported, `meter ${d.meterId} does not offer ${c}`, {
      detail: { capability: c },
    });
  return found;
}
