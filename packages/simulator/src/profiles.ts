import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getInterfaceClass, parseObis, Unit, type UnitName } from '@openhes/cosem';
import { DataTag, type DataTypeName } from '@openhes/dlms';
import type { LoadClass } from './truth/shapes.ts';
import { SOURCES, type Source } from './truth/sources.ts';

export type Framing = 'hdlc' | 'wrapper';

/** [class_id, logical name, attribute_index, data_index?] as in capture_objects and push_object_list. */
export type CaptureRef = readonly [classId: number, obis: string, attribute: number, dataIndex?: number];

export type ProfileKind = 'instantaneous' | 'block' | 'daily' | 'billing' | 'event' | 'nameplate' | 'scaler';

export interface ProfileSpec {
  kind: ProfileKind;
  /** Seconds; 0 = captured on demand or by a trigger. */
  capturePeriod: number;
  /** profile_entries. */
  depth: number;
  capture: CaptureRef[];
  /** Event log key (eventLogs) for kind 'event'. */
  log?: string;
}

export type PushKind = 'alarm' | 'instantaneous' | 'block' | 'daily';

/**
 * How a push setup protects its DataNotifications: the security policy, the ciphered APDU
 * form, and the association whose security setup holds the keys (global unicast EK/AK). The
 * sender system title is the meter's; the invocation counter is the meter's one send counter,
 * shared with the ciphered responses of its associations.
 */
export interface PushProtection {
  policy: 'auth' | 'enc' | 'auth+enc';
  /** data-notification has no glo- service tag: general-glo-ciphering (0xDB) is its only global form. */
  style: 'general-glo';
  association: string;
}

export interface PushSpec {
  kind: PushKind;
  objects: CaptureRef[];
  /** Absent: pushed in clear. */
  protection?: PushProtection;
}

/**
 * IEC HDLC setup (class 23) attributes 2..9. The served HDLC link negotiates with the receive
 * window and maximum information field length (one value for both directions in our link).
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

export interface ObjectSpec {
  class: number;
  obis: string;
  version?: number;
  /** Where attribute 2 (value) comes from; see truth/sources.ts. */
  source?: Source;
  /** Wire type of the value attribute. */
  type?: DataTypeName;
  scaler?: number;
  unit?: UnitName;
  profile?: ProfileSpec;
  /** Association key of a class-15 object or of a class-64 security setup. */
  association?: string;
  push?: PushSpec;
  hdlc?: HdlcSetupSpec;
  note?: string;
}

export type Rights = 'read' | 'full';

export interface AssociationSpec {
  key: string;
  clientSap: number;
  logicalName: string;
  authentication: 'none' | 'low' | 'hls-gmac';
  policy: 'none' | 'auth' | 'enc' | 'auth+enc';
  /** '*' = every object; otherwise the OBIS codes this association lists in its object_list. */
  objects: '*' | string[];
  /** read: attributes read-only, no methods; full: the access the interface class allows. */
  rights: Rights;
}

export interface EventLogSpec {
  obis: string;
  codeObject: string;
  codes: Record<string, string>;
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
  utcOffsetMinutes: number;
  ctRatio?: number;
  ptRatio?: number;
}

export interface Quirks {
  /** IS 15959 vendors send the deviation as local − UTC (+330 for IST); the Blue Book has UTC − local. */
  deviationLocalMinusUtc?: boolean;
  /** Typical clock drift of a healthy meter, ± ppm. */
  clockDriftPpm?: number;
  /** Billing date: day of month, local midnight. */
  billingDay?: number;
}

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
}

/** A profile file may extend another: objects merge by OBIS (later wins), other fields override. */
type ProfileFile = Partial<DeviceProfile> & { id: string; extends?: string; removeObjects?: string[] };

export class ProfileError extends Error {
  readonly code = 'SIM_PROFILE_INVALID';
  readonly profile: string;
  constructor(profile: string, message: string) {
    super(`profile ${profile}: ${message}`);
    this.profile = profile;
  }
}

export function profilesDirectory(): string {
  const cosemEntry = createRequire(import.meta.url).resolve('@openhes/cosem');
  return join(dirname(cosemEntry), '..', 'profiles');
}

function readFiles(dir: string): Map<string, ProfileFile> {
  const files = new Map<string, ProfileFile>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const json = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProfileFile;
    files.set(json.id, json);
  }
  return files;
}

function resolve(id: string, files: ReadonlyMap<string, ProfileFile>, seen: string[] = []): ProfileFile {
  const f = files.get(id);
  if (f === undefined) throw new ProfileError(id, `not found (extended by ${seen.join(' ← ') || 'nobody'})`);
  if (seen.includes(id)) throw new ProfileError(id, `extends cycle ${[...seen, id].join(' → ')}`);
  if (f.extends === undefined) return f;
  const base = resolve(f.extends, files, [...seen, id]);
  const removed = new Set(f.removeObjects ?? []);
  const objects = new Map<string, ObjectSpec>();
  for (const o of base.objects ?? []) if (!removed.has(o.obis)) objects.set(o.obis, o);
  for (const o of f.objects ?? []) objects.set(o.obis, o);
  return {
    ...base,
    ...f,
    meter: { ...base.meter, ...f.meter } as MeterSpec,
    quirks: { ...base.quirks, ...f.quirks },
    eventLogs: { ...base.eventLogs, ...f.eventLogs },
    associations: f.associations ?? base.associations ?? [],
    objects: [...objects.values()],
  };
}

/** Loads every concrete profile (one with a loadClass) from a directory and validates it. */
export function loadProfiles(dir: string = profilesDirectory()): Map<string, DeviceProfile> {
  const files = readFiles(dir);
  const out = new Map<string, DeviceProfile>();
  for (const [id, f] of files) {
    if (f.loadClass === undefined) continue;
    out.set(id, validateProfile(resolve(id, files)));
  }
  return out;
}

const DATA_TYPES = new Set(Object.keys(DataTag));
const CLASSES_WITHOUT_MODEL = new Set([9, 22, 23]);

/** Checks a resolved profile; throws ProfileError naming the first problem. */
export function validateProfile(p: ProfileFile): DeviceProfile {
  const fail = (m: string): never => {
    throw new ProfileError(p.id, m);
  };
  for (const k of ['description', 'loadClass', 'framing', 'serverAddress', 'meter', 'objects'] as const) {
    if (p[k] === undefined) fail(`missing ${k}`);
  }
  if (p.framing !== 'hdlc' && p.framing !== 'wrapper') fail(`framing ${String(p.framing)}`);
  const objects = p.objects ?? [];
  const byObis = new Map<string, ObjectSpec>();
  for (const o of objects) {
    try {
      parseObis(o.obis);
    } catch {
      fail(`object ${o.obis}: invalid OBIS`);
    }
    if (byObis.has(o.obis)) fail(`object ${o.obis} listed twice`);
    byObis.set(o.obis, o);
    if (getInterfaceClass(o.class) === undefined && !CLASSES_WITHOUT_MODEL.has(o.class)) {
      fail(`object ${o.obis}: class ${o.class} is not modelled`);
    }
    if (o.source !== undefined && !SOURCES.has(o.source))
      fail(`object ${o.obis}: unknown source ${o.source}`);
    if (o.type !== undefined && !DATA_TYPES.has(o.type)) fail(`object ${o.obis}: unknown type ${o.type}`);
    if (o.unit !== undefined && !(o.unit in Unit)) fail(`object ${o.obis}: unknown unit ${o.unit}`);
    if (
      (o.class === 1 || o.class === 3 || o.class === 4) &&
      (o.source === undefined || o.type === undefined)
    ) {
      fail(`object ${o.obis}: class ${o.class} needs source and type`);
    }
    if ((o.class === 3 || o.class === 4) && (o.scaler === undefined || o.unit === undefined)) {
      fail(`object ${o.obis}: register needs scaler and unit`);
    }
    if (o.class === 7 && o.profile === undefined) fail(`object ${o.obis}: profile generic needs profile`);
    if (o.class === 40 && o.push === undefined) fail(`object ${o.obis}: push setup needs push`);
    if (o.class === 23) checkHdlcSetup(o, fail);
  }
  const checkRef = (where: string, r: CaptureRef): void => {
    const target = byObis.get(r[1]);
    if (target === undefined) fail(`${where}: captures ${r[1]}, which is not an object`);
    if (target!.class !== r[0])
      fail(`${where}: captures ${r[1]} as class ${r[0]}, object is class ${target!.class}`);
  };
  const logs = p.eventLogs ?? {};
  for (const o of objects) {
    for (const r of o.profile?.capture ?? []) checkRef(`profile ${o.obis}`, r);
    for (const r of o.push?.objects ?? []) checkRef(`push ${o.obis}`, r);
    if (o.profile?.kind === 'event' && (o.profile.log === undefined || logs[o.profile.log] === undefined)) {
      fail(`profile ${o.obis}: event log ${String(o.profile.log)} has no code table`);
    }
  }
  for (const [key, log] of Object.entries(logs)) {
    if (!byObis.has(log.obis)) fail(`event log ${key}: ${log.obis} is not an object`);
    if (!byObis.has(log.codeObject)) fail(`event log ${key}: ${log.codeObject} is not an object`);
  }
  const assocs = p.associations ?? [];
  if (assocs.length === 0) fail('no associations');
  for (const o of objects) {
    const pr = o.push?.protection;
    if (pr === undefined) continue;
    if (!['auth', 'enc', 'auth+enc'].includes(pr.policy))
      fail(`push ${o.obis}: protection policy ${pr.policy}`);
    if (pr.style !== 'general-glo') fail(`push ${o.obis}: protection style ${pr.style}`);
    if (!assocs.some((a) => a.key === pr.association))
      fail(`push ${o.obis}: protection keys of unknown association ${pr.association}`);
  }
  for (const a of assocs) {
    const lnObject = byObis.get(a.logicalName);
    if (lnObject?.class !== 15) fail(`association ${a.key}: ${a.logicalName} is not a class-15 object`);
    if (a.objects !== '*')
      for (const ln of a.objects) if (!byObis.has(ln)) fail(`association ${a.key}: lists unknown ${ln}`);
  }
  return {
    id: p.id,
    description: p.description!,
    loadClass: p.loadClass!,
    framing: p.framing!,
    serverAddress: p.serverAddress!,
    meter: p.meter!,
    objects,
    associations: assocs,
    eventLogs: logs,
    quirks: p.quirks ?? {},
  };
}

const HDLC_SETUP_RANGES: Record<keyof HdlcSetupSpec, readonly [number, number]> = {
  commSpeed: [0, 9],
  windowSizeTransmit: [1, 7],
  windowSizeReceive: [1, 7],
  maxInfoFieldLengthTransmit: [32, 2030],
  maxInfoFieldLengthReceive: [32, 2030],
  interOctetTimeOut: [20, 6000],
  inactivityTimeOut: [0, 65535],
  deviceAddress: [0, 0x3fff],
};

function checkHdlcSetup(o: ObjectSpec, fail: (m: string) => never): void {
  if (o.hdlc === undefined) fail(`object ${o.obis}: HDLC setup needs hdlc`);
  for (const [k, [lo, hi]] of Object.entries(HDLC_SETUP_RANGES)) {
    const v = o.hdlc![k as keyof HdlcSetupSpec];
    if (!Number.isInteger(v) || v < lo || v > hi)
      fail(`object ${o.obis}: hdlc.${k} ${v} not in ${lo}..${hi}`);
  }
}

/** The HDLC setup a profile declares, if it has one. */
export function hdlcSetupOf(p: DeviceProfile): HdlcSetupSpec | undefined {
  return p.objects.find((o) => o.class === 23)?.hdlc;
}

export function isDataType(name: string): name is DataTypeName {
  return DATA_TYPES.has(name);
}
