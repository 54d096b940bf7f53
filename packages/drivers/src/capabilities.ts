import { ClassId, CONTROL_ROLE_CLASS, type ControlRole, controlObject } from '@openhes/cosem';
import type { Capability, ControlCapabilities, ControlCapability, MeterDriver } from './driver.ts';
import { DriverError, DriverErrorCode } from './errors.ts';
import type { DriverProfile, ProfileAssociation } from './profile.ts';

/**
 * The device-profile control role whose object each control capability drives. `push` has no
 * role: the profile's control section has none for it, so its objects are the push setups
 * (class 40) of the profile's object list.
 */
export const CAPABILITY_ROLE: Readonly<Record<Exclude<ControlCapability, 'push'>, ControlRole>> = {
  supply: 'disconnect',
  limiter: 'limiter',
  tariff: 'calendar',
  clock: 'clock',
  firmware: 'imageTransfer',
  keys: 'securitySetup',
};

export const CONTROL_CAPABILITIES: readonly ControlCapability[] = [
  'supply',
  'limiter',
  'tariff',
  'clock',
  'firmware',
  'keys',
  'push',
];

/** Where a capability's object is, and the association that may use it when the profile names one. */
export interface CapabilityObject {
  obis: string;
  classId: number;
  association: ProfileAssociation | undefined;
}

/**
 * The object a control capability drives on this model, if the model can do it. A profile
 * with a control section (every loaded profile) declares it there: object and association,
 * a role absent means the model cannot do it. One built without (a test's or a fake's) takes
 * the first object of the role's interface class.
 */
export function capabilityObject(p: DriverProfile, c: ControlCapability): CapabilityObject | undefined {
  if (c === 'push') {
    const o = p.objects.find((x) => x.class === ClassId.PushSetup);
    return o === undefined ? undefined : { obis: o.obis, classId: ClassId.PushSetup, association: undefined };
  }
  return roleObject(p, CAPABILITY_ROLE[c]);
}

/** The object playing a control role (special days has no capability of its own: it rides on tariff). */
export function roleObject(p: DriverProfile, role: ControlRole): CapabilityObject | undefined {
  const control = p.control;
  if (control !== undefined) {
    const o = controlObject({ control, associations: p.associations }, role);
    return o === undefined ? undefined : { obis: o.obis, classId: o.classId, association: o.association };
  }
  const classId = CONTROL_ROLE_CLASS[role];
  const o = p.objects.find((x) => x.class === classId);
  return o === undefined ? undefined : { obis: o.obis, classId, association: undefined };
}

/**
 * What a meter of this model can do, from its device profile alone: reading and clock
 * always, each control capability when the model has the object it drives.
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
