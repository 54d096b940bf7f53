import type { DataTypeName } from '@openhes/dlms';
import { ClassId } from '../classes/ids.ts';
import type { UnitName } from '../units.ts';

/**
 * The device profile: everything a head end and a simulator need to know about one meter
 * model, as data (packages/cosem/profiles/*.json). This file is the one schema; the resolver
 * (resolve.ts) merges `extends` chains, the validator (validate.ts) refuses what cannot be
 * used. Drivers and the simulator take narrower views of the same resolved profile.
 *
 * Control objects and who may use them
 * ------------------------------------
 * `control` maps a control role to the object that plays it and the association that may
 * write it or call its methods:
 *
 *   "control": {
 *     "disconnect":    { "obis": "0.0.96.3.10.255", "association": "management" },
 *     "limiter":       { "obis": "0.0.17.0.0.255",  "association": "management" },
 *     "calendar":      { "obis": "0.0.13.0.0.255",  "association": "management" },
 *     "imageTransfer": { "obis": "0.0.44.0.0.255",  "association": "management" },
 *     "securitySetup": { "obis": "0.0.43.0.3.255",  "association": "management" },
 *     "clock":         { "obis": "0.0.1.0.0.255",   "association": "management" }
 *   }
 *
 * Each role has one interface class (CONTROL_ROLE_CLASS): disconnect → Disconnect control
 * (70), limiter → Limiter (71), calendar → Activity calendar (20), specialDays → Special
 * days table (11), imageTransfer → Image transfer (18), securitySetup → Security setup (64)
 * holding the global keys that key transfer replaces, clock → Clock (8) for time sync,
 * mdReset → Script table (9) whose script resets maximum demand. The validator checks that
 * the object is in `objects` with that class, that the association is one of
 * `associations`, has `rights: "full"` and lists the object. A role absent from `control`
 * means the model cannot do that operation. With `extends`, roles merge by name (the
 * extending file wins) and a role whose object is named in `removeObjects` is dropped.
 */

/** Wire framing of the model's DLMS link. */
export type Framing = 'hdlc' | 'wrapper';

/** The kind of site a model is made for; the simulator draws its consumption from it. */
export const LOAD_CLASSES = ['residential', 'commercial', 'industrial'] as const;
export type LoadClass = (typeof LOAD_CLASSES)[number];

/** [class_id, logical name, attribute_index, data_index?] as in capture_objects and push_object_list. */
export type CaptureRef = readonly [classId: number, obis: string, attribute: number, dataIndex?: number];

export const PROFILE_KINDS = [
  'instantaneous',
  'block',
  'daily',
  'billing',
  'event',
  'nameplate',
  'scaler',
] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** A profile generic (class 7) object's buffer as the model keeps it. */
export interface ProfileSpec {
  kind: ProfileKind;
  /** Seconds; 0 = captured on demand or by a trigger. */
  capturePeriod: number;
  /** profile_entries. */
  depth: number;
  capture: CaptureRef[];
  /** Event log key (`eventLogs`) for kind 'event'. */
  log?: string;
}

export const PUSH_KINDS = ['alarm', 'instantaneous', 'block', 'daily'] as const;
export type PushKind = (typeof PUSH_KINDS)[number];

export type SecurityPolicyName = 'none' | 'auth' | 'enc' | 'auth+enc';

/**
 * How a push setup protects its DataNotifications: the security policy, the ciphered APDU
 * form, and the association whose security setup holds the keys (global unicast EK/AK). The
 * sender system title is the meter's; the invocation counter is the meter's one send counter,
 * shared with the ciphered responses of its associations.
 */
export interface PushProtection {
  policy: Exclude<SecurityPolicyName, 'none'>;
  /** data-notification has no glo- service tag: general-glo-ciphering (0xDB) is its only global form. */
  style: 'general-glo';
  association: string;
}

/** A push setup (class 40): what it sends. */
export interface PushSpec {
  kind: PushKind;
  objects: CaptureRef[];
  /** Absent: pushed in clear. */
  protection?: PushProtection;
}

/**
 * IEC HDLC setup (class 23) attributes 2..9. The served HDLC link negotiates with the receive
 * window and maximum information field length.
 */
export interface HdlcSetupSpec {
  /** comm_speed enum: 0 = 300 … 5 = 9600 … 9 = 115200 baud. */
  commSpeed: number;
  windowSizeTransmit: number;
  windowSizeReceive: number;
  maxInfoFieldLengthTransmit: number;
  maxInfoFieldLengthReceive: number;
  /** ms. */
  interOctetTimeOut: number;
  /** s. */
  inactivityTimeOut: number;
  deviceAddress: number;
}

/** One COSEM object of the model. */
export interface ObjectSpec {
  class: number;
  obis: string;
  /** Class version; default: the version the serving side implements. */
  version?: number;
  /** Quantity the value attribute holds, in the simulator's vocabulary (its truth/sources.ts). */
  source?: string;
  /** Wire type of the value attribute. */
  type?: DataTypeName;
  /** Scaler of the value attribute as the model defines it (pushes carry raw values). */
  scaler?: number;
  unit?: UnitName;
  profile?: ProfileSpec;
  /** Association key of a class-15 object or of a class-64 security setup. */
  association?: string;
  push?: PushSpec;
  hdlc?: HdlcSetupSpec;
  note?: string;
}

export type Authentication = 'none' | 'low' | 'hls-gmac';
export type Rights = 'read' | 'full';

/** A client association the model accepts. */
export interface AssociationSpec {
  key: string;
  clientSap: number;
  /** The class-15 object of this association. */
  logicalName: string;
  authentication: Authentication;
  policy: SecurityPolicyName;
  /** '*' = every object; otherwise the OBIS codes this association lists in its object_list. */
  objects: '*' | string[];
  /** read: attributes read-only, no methods; full: the access the interface class allows. */
  rights: Rights;
  /**
   * The data object (class 1) holding the meter's invocation counter under this association's
   * key, where the model has one (IS 15959 / DLMS: the frame counter 0.0.43.1.e.255 beside the
   * security setup 0.0.43.0.e.255, device-profiles.md §1.1). The head end reads it, over this
   * association, to resync its replay floor after a meter's counter legitimately went back
   * (replacement, factory reset). Only on an authenticated association that lists the object.
   */
  invocationCounter?: string;
}

/**
 * Event categories of the head end's domain (the same values as core's EventCategory; a
 * drivers test keeps the two lists equal, cosem imports nothing but dlms).
 */
export const EVENT_CATEGORIES = [
  'power-quality',
  'power-failure',
  'tamper',
  'disconnector',
  'clock',
  'firmware',
  'security',
  'communication',
  'standard',
  'other',
] as const;
export type ProfileEventCategory = (typeof EVENT_CATEGORIES)[number];

/** An event log: its profile generic, the object holding the last code, and its code table. */
export interface EventLogSpec {
  obis: string;
  codeObject: string;
  codes: Record<string, string>;
  /** Category of every code of this log; default by the log's key (drivers' LOG_CATEGORY). */
  category?: ProfileEventCategory;
}

export interface MeterSpec {
  /** Meter type 0.0.94.91.9.255: 6 = 1-ph, 7 = 3-ph, 8 = CT. */
  type: number;
  category: string;
  currentRating: string;
  phases: 1 | 3;
  ctOperated: boolean;
  relay: boolean;
  nominalVoltage: number;
  nominalFrequency: number;
  maxCurrent: number;
  manufacturer: string;
  serialPrefix: string;
  firmware: string;
  yearOfManufacture: number;
  /** Standard offset of the meter's local time from UTC. */
  utcOffsetMinutes: number;
  ctRatio?: number;
  ptRatio?: number;
  /**
   * The communication module runs on its own battery: the meter still answers (and reads 0 V,
   * 0 W, 0 Hz) while its supply is off. Default false: an unpowered meter does not answer.
   */
  batteryBackedModem?: boolean;
}

export interface Quirks {
  /** IS 15959 vendors send the deviation as local − UTC (+330 for IST); the Blue Book has UTC − local. */
  deviationLocalMinusUtc?: boolean;
  /** The meter refuses range_descriptor on its load profiles: read by entries. */
  noRangeAccess?: boolean;
  /** Typical clock drift of a healthy meter, ± ppm. */
  clockDriftPpm?: number;
  /** Billing date: day of month, local midnight. */
  billingDay?: number;
  /**
   * Key purposes ('guek', 'gak' …) whose change makes the meter restart its own invocation
   * counter (and accept the client's from the start); default the unicast encryption key.
   */
  counterResetsOnKeyChange?: readonly string[];
}

/** The interface class each control role's object has (see the comment at the top). */
export const CONTROL_ROLE_CLASS = {
  disconnect: ClassId.DisconnectControl,
  limiter: ClassId.Limiter,
  calendar: ClassId.ActivityCalendar,
  specialDays: ClassId.SpecialDaysTable,
  imageTransfer: ClassId.ImageTransfer,
  securitySetup: ClassId.SecuritySetup,
  clock: ClassId.Clock,
  mdReset: ClassId.ScriptTable,
} as const;
export type ControlRole = keyof typeof CONTROL_ROLE_CLASS;
export const CONTROL_ROLES = Object.keys(CONTROL_ROLE_CLASS) as ControlRole[];

/** The object playing a control role and the association key that may write it / act on it. */
export interface ControlSpec {
  obis: string;
  association: string;
}

export type ControlSection = Partial<Record<ControlRole, ControlSpec>>;

/** A bit of the event status word reported in alarm pushes. */
export interface EventStatusBit {
  name: string;
  category: ProfileEventCategory;
}

/** A resolved, validated device profile. */
export interface DeviceProfile {
  id: string;
  description: string;
  loadClass: LoadClass;
  framing: Framing;
  /** Wrapper: server wPort; HDLC: upper (logical) server address. */
  serverAddress: number;
  meter: MeterSpec;
  objects: ObjectSpec[];
  associations: AssociationSpec[];
  eventLogs: Record<string, EventLogSpec>;
  quirks: Quirks;
  /** Control roles this model supports (empty: none). */
  control: ControlSection;
  /** Event status word bits reported in alarm pushes: bit → meaning. */
  eventStatusBits?: Record<string, EventStatusBit>;
  /** Explicit register / instantaneous lists for reading; default chosen by OBIS. */
  acquisition?: { registers?: string[]; instantaneous?: string[] };
}

/**
 * A profile file as stored. Every file is a concrete, usable profile unless it says
 * `"abstract": true` (a base that other files extend and that is never used alone). A file
 * may extend another: objects merge by OBIS (the extending file wins) after `removeObjects`
 * drops base objects; `meter`, `quirks`, `eventLogs` and `control` merge key by key;
 * `associations` and every other field are replaced as a whole.
 */
export type ProfileFile = Partial<Omit<DeviceProfile, 'meter'>> & {
  id: string;
  meter?: Partial<MeterSpec>;
  extends?: string;
  removeObjects?: string[];
  abstract?: boolean;
};
