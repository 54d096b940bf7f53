import type { EventCategory } from '@openhes/core';
import {
  type CaptureRef,
  ClassId,
  type ControlSection,
  isProfileInvalidError,
  type ProfileFile,
  parseObis,
  resolveProfiles as resolveDeviceProfiles,
} from '@openhes/cosem';
import { readProfileFiles } from '@openhes/cosem/node';
import { DriverError, DriverErrorCode } from './errors.ts';

export type { CaptureRef, ControlObject, ControlRole, ControlSection, ProfileFile } from '@openhes/cosem';
export { CONTROL_ROLE_CLASS, CONTROL_ROLES, controlObject, controlObjects } from '@openhes/cosem';
export { defaultProfilesDirectory } from '@openhes/cosem/node';

/**
 * The part of a device profile (packages/cosem/profiles/*.json, schema in @openhes/cosem) a
 * driver uses: which objects a model has, its load profiles, event logs, pushes,
 * associations, control objects and quirks. Profiles are loaded, resolved and validated by
 * cosem's one module; fields the simulator adds (sources, types, meter nameplate) are simply
 * not looked at here.
 */
export interface ProfileObject {
  class: number;
  obis: string;
  /** Scaler of the value attribute as the model defines it (used for pushes). */
  scaler?: number;
  unit?: string;
  /** What the value attribute holds (cosem's ObjectSpec.source), e.g. `firmware` for the firmware version object. */
  source?: string;
  /** What the object is for, in the profile's words (e.g. "image activation"). */
  note?: string;
  profile?: {
    kind: string;
    capturePeriod: number;
    depth: number;
    capture: CaptureRef[];
    log?: string;
  };
  push?: {
    kind: string;
    objects: CaptureRef[];
    /** Absent: pushed in clear (see cosem's PushProtection). */
    protection?: { policy: 'auth' | 'enc' | 'auth+enc'; association: string };
  };
}

export interface ProfileAssociation {
  key: string;
  clientSap: number;
  authentication: 'none' | 'low' | 'hls-gmac';
  policy: 'none' | 'auth' | 'enc' | 'auth+enc';
  rights: 'read' | 'full';
}

export interface ProfileEventLog {
  obis: string;
  codeObject: string;
  codes: Record<string, string>;
  /** Category of every code of this log; default by the log's key (see LOG_CATEGORY). */
  category?: EventCategory;
}

export interface DriverProfile {
  id: string;
  framing: 'hdlc' | 'wrapper';
  serverAddress: number;
  meter: {
    manufacturer?: string;
    utcOffsetMinutes: number;
    /** Rating (cosem MeterSpec): values beyond it are flagged as physically impossible. */
    nominalVoltage?: number;
    maxCurrent?: number;
    phases?: number;
    ctRatio?: number;
    ptRatio?: number;
  };
  objects: ProfileObject[];
  associations: ProfileAssociation[];
  eventLogs: Record<string, ProfileEventLog>;
  quirks: {
    /** Deviation sent as local − UTC (IS 15959 vendors) instead of UTC − local. */
    deviationLocalMinusUtc?: boolean;
    /** The meter refuses range_descriptor on its load profiles: read by entries. */
    noRangeAccess?: boolean;
    /**
     * Key purposes (core's KeyPurpose: 'guek', 'gak' …) whose change makes the meter restart its
     * own invocation counter; default DEFAULT_COUNTER_RESET_KEYS (the unicast encryption key).
     */
    counterResetsOnKeyChange?: readonly string[];
  };
  /** Control roles (disconnect, limiter, calendar …) and the association allowed to use them; see controlObject. */
  control?: ControlSection;
  /** Event status word bits reported in alarm pushes: bit → meaning. */
  eventStatusBits?: Record<string, { name: string; category: EventCategory }>;
  /** Explicit register / instantaneous lists; default chosen by OBIS (see below). */
  acquisition?: { registers?: string[]; instantaneous?: string[] };
}

/** Event categories by the IS 15959 log names used in the profiles. */
export const LOG_CATEGORY: Readonly<Record<string, EventCategory>> = {
  voltage: 'power-quality',
  current: 'power-quality',
  power: 'power-failure',
  transaction: 'standard',
  other: 'tamper',
  nonRollover: 'tamper',
  control: 'disconnector',
};

function bad(id: string, message: string): DriverError {
  return new DriverError(DriverErrorCode.Configuration, `device profile ${id}: ${message}`, {
    detail: { profile: id },
  });
}

/** cosem's COSEM_PROFILE_INVALID as the driver layer's configuration error (cause kept). */
function asDriverError<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (!isProfileInvalidError(e)) throw e;
    throw new DriverError(DriverErrorCode.Configuration, e.message, {
      cause: e,
      detail: { profile: e.profile, field: e.field, code: e.code },
    });
  }
}

/**
 * Resolves `extends` among parsed profile files and returns the concrete profiles by id,
 * validated by cosem's one validator (invalid: DRIVER_CONFIGURATION with the cosem error as cause).
 */
export function resolveProfiles(files: readonly ProfileFile[]): Map<string, DriverProfile> {
  return asDriverError(() => resolveDeviceProfiles(files));
}

export function loadDriverProfiles(dir?: string): Map<string, DriverProfile> {
  return asDriverError(() => resolveDeviceProfiles(readProfileFiles(dir)));
}

function obisParts(obis: string): number[] {
  return parseObis(obis) as unknown as number[];
}

/** Cumulative energies (D = 8) and maximum demands (D = 6) of electricity (A = 1). */
export function registerObjects(p: DriverProfile): ProfileObject[] {
  const listed = p.acquisition?.registers;
  return p.objects.filter((o) => {
    if (listed !== undefined) return listed.includes(o.obis);
    const [a, , , d] = obisParts(o.obis);
    return (
      (o.class === ClassId.Register || o.class === ClassId.ExtendedRegister) &&
      a === 1 &&
      (d === 8 || d === 6)
    );
  });
}

/** Instantaneous values (D = 7) of electricity (A = 1). */
export function instantaneousObjects(p: DriverProfile): ProfileObject[] {
  const listed = p.acquisition?.instantaneous;
  return p.objects.filter((o) => {
    if (listed !== undefined) return listed.includes(o.obis);
    const [a, , , d] = obisParts(o.obis);
    return o.class === ClassId.Register && a === 1 && d === 7;
  });
}

export function profileObject(p: DriverProfile, kind: string): ProfileObject | undefined {
  return p.objects.find((o) => o.class === ClassId.ProfileGeneric && o.profile?.kind === kind);
}

export interface EventLogObject {
  key: string;
  object: ProfileObject;
  log: ProfileEventLog;
  category: EventCategory;
}

export function eventLogObjects(p: DriverProfile): EventLogObject[] {
  const out: EventLogObject[] = [];
  for (const o of p.objects) {
    const key = o.profile?.kind === 'event' ? o.profile.log : undefined;
    const log = key === undefined ? undefined : p.eventLogs[key];
    if (key === undefined || log === undefined) continue;
    out.push({ key, object: o, log, category: log.category ?? LOG_CATEGORY[key] ?? 'other' });
  }
  return out;
}

/** The block load profile's capture period in seconds; undefined when the model has none (or says 0). */
export function blockCapturePeriodSeconds(p: DriverProfile): number | undefined {
  const s = profileObject(p, 'block')?.profile?.capturePeriod;
  return s !== undefined && s > 0 ? s : undefined;
}

/** Meters commonly restart their invocation counter when the unicast encryption key changes. */
export const DEFAULT_COUNTER_RESET_KEYS: readonly string[] = ['guek'];

/** Key purposes whose change restarts the meter's invocation counter (the profile's quirk, else the default). */
export function counterResetKeys(p: DriverProfile): readonly string[] {
  return p.quirks.counterResetsOnKeyChange ?? DEFAULT_COUNTER_RESET_KEYS;
}

/** The active firmware identifier's usual object (IS 15959, Blue Book: 1.0.0.2.0.255, a data object). */
export const FIRMWARE_VERSION_OBIS = '1.0.0.2.0.255';
/** The single-action schedule that activates a transferred image (IS 15959, device-profiles.md §1.2). */
export const IMAGE_ACTIVATION_SCHEDULE_OBIS = '0.0.15.0.2.255';

/**
 * The object holding the active firmware identifier: the data or register object the profile
 * marks with source `firmware`, else a data object at 1.0.0.2.0.255; undefined when neither.
 */
export function firmwareVersionObject(p: DriverProfile): ProfileObject | undefined {
  const value = (o: ProfileObject) => o.class === ClassId.Data || o.class === ClassId.Register;
  return (
    p.objects.find((o) => value(o) && o.source === 'firmware') ??
    p.objects.find((o) => o.class === ClassId.Data && o.obis === FIRMWARE_VERSION_OBIS)
  );
}

/** The image activation schedule (single-action schedule 0.0.15.0.2.255) when the model has it. */
export function imageActivationSchedule(p: DriverProfile): ProfileObject | undefined {
  return p.objects.find(
    (o) => o.class === ClassId.SingleActionSchedule && o.obis === IMAGE_ACTIVATION_SCHEDULE_OBIS,
  );
}

export function pushSetups(p: DriverProfile): ProfileObject[] {
  return p.objects.filter((o) => o.class === ClassId.PushSetup && o.push !== undefined);
}

/** What the head end holds for a meter; decides which association can be used. */
export interface MeterSecrets {
  password?: string;
  ek?: Uint8Array;
  ak?: Uint8Array;
}

/**
 * The association to read with: the named one, else the strongest the secrets allow
 * (HLS-GMAC with keys, then LLS with a password, then no authentication).
 */
export function chooseAssociation(p: DriverProfile, secrets: MeterSecrets, key?: string): ProfileAssociation {
  if (key !== undefined) {
    const a = p.associations.find((x) => x.key === key);
    if (a === undefined) throw bad(p.id, `no association ${key}`);
    return a;
  }
  const usable = (a: ProfileAssociation): boolean => {
    if (a.authentication === 'hls-gmac' || a.policy !== 'none') return !!secrets.ek && !!secrets.ak;
    if (a.authentication === 'low') return secrets.password !== undefined;
    return true;
  };
  const rank = { 'hls-gmac': 3, low: 2, none: 1 } as const;
  const best = p.associations
    .filter(usable)
    .sort((x, y) => rank[y.authentication] - rank[x.authentication])[0];
  if (best === undefined) throw bad(p.id, 'no association usable with the secrets held');
  return best;
}
