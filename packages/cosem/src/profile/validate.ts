import { DataTag, type DataTypeName } from '@openhes/dlms';
import { ClassId } from '../classes/ids.ts';
import { attributeName, getInterfaceClass } from '../classes/index.ts';
import { ProfileInvalidError } from '../errors.ts';
import { parseObis } from '../obis.ts';
import { Unit } from '../units.ts';
import {
  type AssociationSpec,
  type CaptureRef,
  CONTROL_ROLE_CLASS,
  type ControlRole,
  type DeviceProfile,
  EVENT_CATEGORIES,
  type HdlcSetupSpec,
  LOAD_CLASSES,
  type MeterSpec,
  type ObjectSpec,
  PROFILE_KINDS,
  type ProfileFile,
  PUSH_KINDS,
} from './schema.ts';

const DATA_TYPES: ReadonlySet<string> = new Set(Object.keys(DataTag));

export function isDataType(name: string): name is DataTypeName {
  return DATA_TYPES.has(name);
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

const METER_NUMBERS = [
  'type',
  'nominalVoltage',
  'nominalFrequency',
  'maxCurrent',
  'yearOfManufacture',
  'utcOffsetMinutes',
] as const satisfies readonly (keyof MeterSpec)[];
const METER_STRINGS = [
  'category',
  'currentRating',
  'manufacturer',
  'serialPrefix',
  'firmware',
] as const satisfies readonly (keyof MeterSpec)[];

const AUTHENTICATIONS = ['none', 'low', 'hls-gmac'];
const POLICIES = ['none', 'auth', 'enc', 'auth+enc'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, lo = -Infinity, hi = Infinity): v is number =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/**
 * Checks a resolved profile (resolveProfile) and returns it typed. Throws a
 * ProfileInvalidError naming the profile and the field of the first problem.
 */
export function validateProfile(p: ProfileFile): DeviceProfile {
  const id = typeof p?.id === 'string' ? p.id : '?';
  const fail = (field: string, message: string): never => {
    throw new ProfileInvalidError(id, field, message);
  };

  for (const k of ['description', 'loadClass', 'framing', 'serverAddress', 'meter', 'objects'] as const)
    if (p[k] === undefined) fail(k, `missing ${k}`);
  if (typeof p.description !== 'string') fail('description', 'description is not text');
  if (!(LOAD_CLASSES as readonly unknown[]).includes(p.loadClass))
    fail('loadClass', `loadClass ${String(p.loadClass)} is not one of ${LOAD_CLASSES.join(', ')}`);
  if (p.framing !== 'hdlc' && p.framing !== 'wrapper') fail('framing', `framing ${String(p.framing)}`);
  // HDLC: 14-bit upper (logical device) address; wrapper: 16-bit wPort.
  if (!isInt(p.serverAddress, 0, p.framing === 'hdlc' ? 0x3fff : 0xffff))
    fail('serverAddress', `serverAddress ${String(p.serverAddress)}`);
  checkMeter(p.meter, fail);
  if (!Array.isArray(p.objects)) fail('objects', 'objects is not an array');
  const objects = p.objects as ObjectSpec[];

  const byObis = new Map<string, ObjectSpec>();
  objects.forEach((o, i) => {
    const at = `objects[${i}]`;
    if (!isObject(o)) fail(at, `${at} is not an object`);
    try {
      parseObis(o.obis);
    } catch {
      fail(`${at}.obis`, `object ${String(o.obis)}: invalid OBIS`);
    }
    if (byObis.has(o.obis)) fail(`${at}.obis`, `object ${o.obis} listed twice`);
    byObis.set(o.obis, o);
    checkObject(o, at, fail);
  });
  const classOf = (obis: string): number | undefined => byObis.get(obis)?.class;

  const logs = p.eventLogs ?? {};
  if (!isObject(logs)) fail('eventLogs', 'eventLogs is not an object');
  const checkRef = (field: string, where: string, r: CaptureRef): void => {
    if (!Array.isArray(r) || r.length < 3 || r.length > 4)
      fail(field, `${where}: ${JSON.stringify(r)} is not [class, obis, attribute, dataIndex?]`);
    const target = byObis.get(r[1]);
    if (target === undefined) fail(field, `${where}: captures ${r[1]}, which is not an object`);
    if (target!.class !== r[0])
      fail(field, `${where}: captures ${r[1]} as class ${r[0]}, object is class ${target!.class}`);
    if (!isInt(r[2], 1, 127) || attributeName(r[0], r[2]) === undefined)
      fail(field, `${where}: class ${r[0]} has no attribute ${r[2]}`);
  };
  objects.forEach((o, i) => {
    const at = `objects[${i}]`;
    for (const [j, r] of (o.profile?.capture ?? []).entries())
      checkRef(`${at}.profile.capture[${j}]`, `profile ${o.obis}`, r);
    for (const [j, r] of (o.push?.objects ?? []).entries())
      checkRef(`${at}.push.objects[${j}]`, `push ${o.obis}`, r);
    if (o.profile?.kind === 'event' && (o.profile.log === undefined || logs[o.profile.log] === undefined))
      fail(`${at}.profile.log`, `profile ${o.obis}: event log ${String(o.profile.log)} has no code table`);
  });
  for (const [key, log] of Object.entries(logs)) {
    const at = `eventLogs.${key}`;
    if (!isObject(log)) fail(at, `event log ${key} is not an object`);
    if (classOf(log.obis) !== ClassId.ProfileGeneric)
      fail(`${at}.obis`, `event log ${key}: ${log.obis} is not a profile generic object`);
    if (!byObis.has(log.codeObject))
      fail(`${at}.codeObject`, `event log ${key}: ${log.codeObject} is not an object`);
    if (!isObject(log.codes)) fail(`${at}.codes`, `event log ${key}: codes is not an object`);
    for (const [code, text] of Object.entries(log.codes))
      if (!isInt(Number(code), 0, 0xffff) || typeof text !== 'string')
        fail(`${at}.codes.${code}`, `event log ${key}: code ${code} is not a number with a text`);
    if (log.category !== undefined && !(EVENT_CATEGORIES as readonly string[]).includes(log.category))
      fail(`${at}.category`, `event log ${key}: unknown category ${log.category}`);
  }

  const assocs = p.associations ?? [];
  if (!Array.isArray(assocs) || assocs.length === 0) fail('associations', 'no associations');
  const byKey = new Map<string, AssociationSpec>();
  for (const [i, a] of assocs.entries()) checkAssociation(a, `associations[${i}]`, byKey, classOf, fail);

  objects.forEach((o, i) => {
    const at = `objects[${i}]`;
    if (o.class === ClassId.SecuritySetup && o.association !== undefined && !byKey.has(o.association))
      fail(`${at}.association`, `security setup ${o.obis}: unknown association ${o.association}`);
    const pr = o.push?.protection;
    if (pr === undefined) return;
    if (!['auth', 'enc', 'auth+enc'].includes(pr.policy))
      fail(`${at}.push.protection.policy`, `push ${o.obis}: protection policy ${pr.policy}`);
    if (pr.style !== 'general-glo')
      fail(`${at}.push.protection.style`, `push ${o.obis}: protection style ${pr.style}`);
    if (!byKey.has(pr.association))
      fail(
        `${at}.push.protection.association`,
        `push ${o.obis}: protection keys of unknown association ${pr.association}`,
      );
  });

  const control = p.control ?? {};
  if (!isObject(control)) fail('control', 'control is not an object');
  for (const [role, c] of Object.entries(control)) {
    const at = `control.${role}`;
    if (!(role in CONTROL_ROLE_CLASS)) fail(at, `unknown control role ${role}`);
    if (!isObject(c) || typeof c.obis !== 'string' || typeof c.association !== 'string')
      fail(at, `control ${role} needs obis and association`);
    const want = CONTROL_ROLE_CLASS[role as ControlRole];
    const cls = classOf(c.obis);
    if (cls === undefined) fail(`${at}.obis`, `control ${role}: ${c.obis} is not an object`);
    if (cls !== want)
      fail(`${at}.obis`, `control ${role}: ${c.obis} is class ${cls}, the role needs class ${want}`);
    const a = byKey.get(c.association);
    if (a === undefined) fail(`${at}.association`, `control ${role}: unknown association ${c.association}`);
    if (a!.rights !== 'full')
      fail(`${at}.association`, `control ${role}: association ${c.association} may only read`);
    if (a!.objects !== '*' && !a!.objects.includes(c.obis))
      fail(`${at}.association`, `control ${role}: association ${c.association} does not list ${c.obis}`);
  }

  if (p.eventStatusBits !== undefined) {
    if (!isObject(p.eventStatusBits)) fail('eventStatusBits', 'eventStatusBits is not an object');
    for (const [bit, b] of Object.entries(p.eventStatusBits)) {
      const at = `eventStatusBits.${bit}`;
      if (!isInt(Number(bit), 0, 1023)) fail(at, `event status bit ${bit} is not a bit number`);
      if (!isObject(b) || typeof b.name !== 'string') fail(at, `event status bit ${bit} needs a name`);
      if (!(EVENT_CATEGORIES as readonly string[]).includes(b.category))
        fail(`${at}.category`, `event status bit ${bit}: unknown category ${b.category}`);
    }
  }
  if (p.acquisition !== undefined) {
    if (!isObject(p.acquisition)) fail('acquisition', 'acquisition is not an object');
    for (const k of ['registers', 'instantaneous'] as const) {
      const l = p.acquisition[k];
      if (l === undefined) continue;
      if (!Array.isArray(l)) fail(`acquisition.${k}`, `acquisition.${k} is not a list`);
      l.forEach((obis, i) => {
        if (!byObis.has(obis)) fail(`acquisition.${k}[${i}]`, `acquisition.${k}: ${obis} is not an object`);
      });
    }
  }

  const resets = (p.quirks as { counterResetsOnKeyChange?: unknown } | undefined)?.counterResetsOnKeyChange;
  if (
    resets !== undefined &&
    (!Array.isArray(resets) || resets.some((k) => typeof k !== 'string' || !KEY_PURPOSES.has(k)))
  )
    fail(
      'quirks.counterResetsOnKeyChange',
      `quirks.counterResetsOnKeyChange must list key purposes (${[...KEY_PURPOSES].join(', ')})`,
    );

  const profile: DeviceProfile = {
    id,
    description: p.description!,
    loadClass: p.loadClass!,
    framing: p.framing!,
    serverAddress: p.serverAddress!,
    meter: p.meter as MeterSpec,
    objects,
    associations: assocs,
    eventLogs: logs,
    quirks: p.quirks ?? {},
    control,
  };
  if (p.eventStatusBits !== undefined) profile.eventStatusBits = p.eventStatusBits;
  if (p.acquisition !== undefined) profile.acquisition = p.acquisition;
  return profile;
}

type Fail = (field: string, message: string) => never;

/** Key purposes a profile quirk may name (core's KeyPurpose). */
const KEY_PURPOSES: ReadonlySet<string> = new Set([
  'guek',
  'gbek',
  'gak',
  'kek',
  'hls-secret',
  'lls-password',
]);

function checkMeter(m: unknown, fail: Fail): void {
  if (!isObject(m)) fail('meter', 'meter is not an object');
  for (const k of METER_NUMBERS) if (typeof m[k] !== 'number') fail(`meter.${k}`, `meter.${k} missing`);
  for (const k of METER_STRINGS) if (typeof m[k] !== 'string') fail(`meter.${k}`, `meter.${k} missing`);
  for (const k of ['ctOperated', 'relay'] as const)
    if (typeof m[k] !== 'boolean') fail(`meter.${k}`, `meter.${k} missing`);
  if (m.batteryBackedModem !== undefined && typeof m.batteryBackedModem !== 'boolean')
    fail('meter.batteryBackedModem', 'meter.batteryBackedModem must be true or false');
  if (m.phases !== 1 && m.phases !== 3) fail('meter.phases', `meter.phases ${String(m.phases)}`);
  for (const k of ['ctRatio', 'ptRatio'] as const)
    if (m[k] !== undefined && !(typeof m[k] === 'number' && m[k] > 0))
      fail(`meter.${k}`, `meter.${k} ${String(m[k])}`);
}

function checkObject(o: ObjectSpec, at: string, fail: Fail): void {
  const cls = getInterfaceClass(o.class);
  if (cls === undefined) fail(`${at}.class`, `object ${o.obis}: class ${o.class} is not modelled`);
  if (o.version !== undefined && !isInt(o.version, 0, 255))
    fail(`${at}.version`, `object ${o.obis}: version ${o.version}`);
  if (o.source !== undefined && (typeof o.source !== 'string' || o.source === ''))
    fail(`${at}.source`, `object ${o.obis}: source is not a name`);
  if (o.type !== undefined && !DATA_TYPES.has(o.type))
    fail(`${at}.type`, `object ${o.obis}: unknown type ${o.type}`);
  if (o.unit !== undefined && !(o.unit in Unit))
    fail(`${at}.unit`, `object ${o.obis}: unknown unit ${o.unit}`);
  if (o.scaler !== undefined && !isInt(o.scaler, -128, 127))
    fail(`${at}.scaler`, `object ${o.obis}: scaler ${o.scaler} not in -128..127`);
  const valueClass =
    o.class === ClassId.Data || o.class === ClassId.Register || o.class === ClassId.ExtendedRegister;
  if (valueClass && o.type === undefined) fail(`${at}.type`, `object ${o.obis}: class ${o.class} needs type`);
  if (o.class === ClassId.Register || o.class === ClassId.ExtendedRegister) {
    if (o.scaler === undefined) fail(`${at}.scaler`, `object ${o.obis}: register needs scaler and unit`);
    if (o.unit === undefined) fail(`${at}.unit`, `object ${o.obis}: register needs scaler and unit`);
  }
  if (o.class === ClassId.ProfileGeneric) {
    const pr = o.profile;
    if (pr === undefined) fail(`${at}.profile`, `object ${o.obis}: profile generic needs profile`);
    if (!(PROFILE_KINDS as readonly string[]).includes(pr.kind))
      fail(`${at}.profile.kind`, `profile ${o.obis}: kind ${pr.kind}`);
    if (!isInt(pr.capturePeriod, 0))
      fail(`${at}.profile.capturePeriod`, `profile ${o.obis}: capturePeriod ${pr.capturePeriod}`);
    if (!isInt(pr.depth, 1)) fail(`${at}.profile.depth`, `profile ${o.obis}: depth ${pr.depth}`);
    if (!Array.isArray(pr.capture)) fail(`${at}.profile.capture`, `profile ${o.obis}: capture is not a list`);
  } else if (o.profile !== undefined)
    fail(`${at}.profile`, `object ${o.obis}: only a profile generic has a profile`);
  if (o.class === ClassId.PushSetup) {
    const pu = o.push;
    if (pu === undefined) fail(`${at}.push`, `object ${o.obis}: push setup needs push`);
    if (!(PUSH_KINDS as readonly string[]).includes(pu.kind))
      fail(`${at}.push.kind`, `push ${o.obis}: kind ${pu.kind}`);
    if (!Array.isArray(pu.objects)) fail(`${at}.push.objects`, `push ${o.obis}: objects is not a list`);
  } else if (o.push !== undefined) fail(`${at}.push`, `object ${o.obis}: only a push setup has push`);
  if (o.class === ClassId.IecHdlcSetup) {
    if (o.hdlc === undefined) fail(`${at}.hdlc`, `object ${o.obis}: HDLC setup needs hdlc`);
    for (const [k, [lo, hi]] of Object.entries(HDLC_SETUP_RANGES)) {
      const v = o.hdlc[k as keyof HdlcSetupSpec];
      if (!isInt(v, lo, hi)) fail(`${at}.hdlc.${k}`, `object ${o.obis}: hdlc.${k} ${v} not in ${lo}..${hi}`);
    }
  } else if (o.hdlc !== undefined) fail(`${at}.hdlc`, `object ${o.obis}: only an HDLC setup has hdlc`);
}

function checkAssociation(
  a: AssociationSpec,
  at: string,
  byKey: Map<string, AssociationSpec>,
  classOf: (obis: string) => number | undefined,
  fail: Fail,
): void {
  if (!isObject(a) || typeof a.key !== 'string' || a.key === '') fail(at, `${at} needs a key`);
  if (byKey.has(a.key)) fail(`${at}.key`, `association ${a.key} listed twice`);
  byKey.set(a.key, a);
  if (!isInt(a.clientSap, 0, 0xffff))
    fail(`${at}.clientSap`, `association ${a.key}: clientSap ${a.clientSap}`);
  if (!AUTHENTICATIONS.includes(a.authentication))
    fail(`${at}.authentication`, `association ${a.key}: authentication ${a.authentication}`);
  if (!POLICIES.includes(a.policy)) fail(`${at}.policy`, `association ${a.key}: policy ${a.policy}`);
  if (a.rights !== 'read' && a.rights !== 'full')
    fail(`${at}.rights`, `association ${a.key}: rights ${a.rights}`);
  if (classOf(a.logicalName) !== ClassId.AssociationLN)
    fail(`${at}.logicalName`, `association ${a.key}: ${a.logicalName} is not a class-15 object`);
  if (a.invocationCounter !== undefined) {
    const ic = a.invocationCounter;
    if (typeof ic !== 'string' || classOf(ic) !== ClassId.Data)
      fail(
        `${at}.invocationCounter`,
        `association ${a.key}: invocation counter ${ic} is not a class-1 object`,
      );
    if (a.authentication !== 'hls-gmac' && a.policy !== 'auth' && a.policy !== 'auth+enc')
      fail(
        `${at}.invocationCounter`,
        `association ${a.key}: an invocation counter is read only over an authenticated association`,
      );
    if (a.objects !== '*' && Array.isArray(a.objects) && !a.objects.includes(ic))
      fail(`${at}.invocationCounter`, `association ${a.key} does not list its invocation counter ${ic}`);
  }
  if (a.objects === '*') return;
  if (!Array.isArray(a.objects))
    fail(`${at}.objects`, `association ${a.key}: objects is neither '*' nor a list`);
  a.objects.forEach((ln, i) => {
    if (classOf(ln) === undefined) fail(`${at}.objects[${i}]`, `association ${a.key}: lists unknown ${ln}`);
  });
}
