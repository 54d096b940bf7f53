import {
  ClassId,
  type DeviceProfile,
  type HdlcSetupSpec,
  type ProfileFile,
  ProfileInvalidError,
  validateProfile as validateDeviceProfile,
} from '@openhes/cosem';
import { defaultProfilesDirectory, loadDeviceProfiles } from '@openhes/cosem/node';
import { SOURCES } from './truth/sources.ts';

/**
 * Device profiles for the simulator: the one schema, resolver and validator of
 * @openhes/cosem. The simulator uses the whole profile (nameplate, sources, wire types, HDLC
 * setup, associations and their object lists); on top of cosem's validation it checks that it
 * can compute every value a profile asks for (`source`, its truth vocabulary).
 */
export type {
  AssociationSpec,
  CaptureRef,
  ControlRole,
  ControlSection,
  ControlSpec,
  DeviceProfile,
  EventLogSpec,
  Framing,
  HdlcSetupSpec,
  MeterSpec,
  ObjectSpec,
  ProfileFile,
  ProfileKind,
  ProfileSpec,
  PushKind,
  PushProtection,
  PushSpec,
  Quirks,
  Rights,
} from '@openhes/cosem';
export { isDataType, ProfileInvalidError as ProfileError } from '@openhes/cosem';

/** The bundled profiles (packages/cosem/profiles). */
export function profilesDirectory(): string {
  return defaultProfilesDirectory();
}

/** Loads every concrete profile of a directory (cosem's rule and validator) and checks it can be simulated. */
export function loadProfiles(dir: string = profilesDirectory()): Map<string, DeviceProfile> {
  const profiles = loadDeviceProfiles(dir);
  for (const p of profiles.values()) checkSimulated(p);
  return profiles;
}

/** Checks a resolved profile; throws ProfileError (cosem's ProfileInvalidError) naming the first problem. */
export function validateProfile(p: ProfileFile): DeviceProfile {
  return checkSimulated(validateDeviceProfile(p));
}

/** Every value object names a source the truth computes. */
function checkSimulated(p: DeviceProfile): DeviceProfile {
  p.objects.forEach((o, i) => {
    const valued =
      o.class === ClassId.Data || o.class === ClassId.Register || o.class === ClassId.ExtendedRegister;
    if (valued && o.source === undefined)
      throw new ProfileInvalidError(
        p.id,
        `objects[${i}].source`,
        `object ${o.obis}: class ${o.class} needs source and type`,
      );
    if (o.source !== undefined && !SOURCES.has(o.source))
      throw new ProfileInvalidError(
        p.id,
        `objects[${i}].source`,
        `object ${o.obis}: unknown source ${o.source}`,
      );
  });
  return p;
}

/** The HDLC setup a profile declares, if it has one. */
export function hdlcSetupOf(p: DeviceProfile): HdlcSetupSpec | undefined {
  return p.objects.find((o) => o.class === ClassId.IecHdlcSetup)?.hdlc;
}
