import {
  type ActivityCalendar,
  ClassId,
  encodeActivityCalendar,
  parseObis,
  scalerUnitAttribute,
  Unit,
} from '@openhes/cosem';
import { conformanceToBits, type DlmsData, type SelectiveAccessDescriptor } from '@openhes/dlms';
import { METER_MAX_PDU, SERVER_CONFORMANCE } from '../conformance.ts';
import type { CaptureRef } from '../profiles.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { Instant } from '../truth/time.ts';
import {
  captureTime,
  dateTimeData,
  meterClock,
  meterDeviation,
  type RowContext,
  sourceValue,
  systemTitleOf,
} from '../truth/values.ts';
import { entriesInUse, readBuffer } from './buffer.ts';
import { type Catalog, type CatalogEntry, obisBytes, objectList } from './catalog.ts';
import { limiterOf, relayView } from './commands.ts';

const CONFORMANCE_BITS = conformanceToBits(SERVER_CONFORMANCE);
const CONFORMANCE_BYTES = Uint8Array.of(
  (CONFORMANCE_BITS >> 16) & 0xff,
  (CONFORMANCE_BITS >> 8) & 0xff,
  CONFORMANCE_BITS & 0xff,
);

export const R = {
  success: 0,
  readWriteDenied: 3,
  objectUndefined: 4,
  unavailable: 11,
  typeUnmatched: 12,
} as const;

const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const enumOf = (value: number): DlmsData => ({ type: 'enum', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const bool = (value: boolean): DlmsData => ({ type: 'boolean', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });
const arr = (value: DlmsData[]): DlmsData => ({ type: 'array', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function captureDefinition(r: CaptureRef): DlmsData {
  return struct(u16(r[0]), octets(obisBytes(r[1])), { type: 'integer', value: r[2] }, u16(r[3] ?? 0));
}

function scalerUnit(e: CatalogEntry): DlmsData {
  return struct({ type: 'integer', value: e.spec.scaler ?? 0 }, enumOf(Unit[e.spec.unit ?? 'count']));
}

function calendarAttrs(c: ActivityCalendar): DlmsData[] {
  const e = encodeActivityCalendar(c);
  return [e.calendarName, e.seasonProfile, e.weekProfileTable, e.dayProfileTable];
}

/** Context every read needs: the meter, its catalog, the association asking, and "now". */
export interface ReadContext {
  m: MeterTruth;
  cat: Catalog;
  association: string;
  clientSap: number;
  now: Instant;
}

/**
 * The value of one attribute. `t` is the instant the value is for: now for a GET, the capture
 * instant for a profile row. Returns a Data-Access-Result number when the value cannot be given.
 */
export function readAttribute(
  rc: ReadContext,
  e: CatalogEntry,
  attr: number,
  t: Instant,
  ctx: RowContext,
  access?: SelectiveAccessDescriptor,
): DlmsData | number {
  const { m } = rc;
  if (attr === 1) return octets(e.ln);
  const spec = e.spec;
  switch (spec.class) {
    case ClassId.Data:
      return attr === 2 ? sourceValue(m, spec, t, ctx) : R.objectUndefined;
    case ClassId.Register:
    case ClassId.ExtendedRegister:
      if (attr === 2) return sourceValue(m, spec, t, ctx);
      if (attr === scalerUnitAttribute(spec.class, 2)) return scalerUnit(e);
      if (spec.class === ClassId.ExtendedRegister && attr === 4) return u8(0);
      if (spec.class === ClassId.ExtendedRegister && attr === 5) return captureTime(m, spec, t);
      return R.objectUndefined;
    case ClassId.ProfileGeneric:
      return readProfileGeneric(rc, e, attr, access);
    case ClassId.Clock:
      return readClock(rc, attr, t, ctx);
    case ClassId.ScriptTable:
      return attr === 2 ? arr([struct(u16(1), arr([]))]) : R.objectUndefined;
    case ClassId.AssociationLN:
      return readAssociation(rc, e, attr);
    case ClassId.ImageTransfer:
      return readImageTransfer(rc, attr);
    case ClassId.ActivityCalendar:
      return readCalendar(rc, attr, t);
    case ClassId.SingleActionSchedule:
      return readSchedule(spec.obis, attr);
    case ClassId.IecHdlcSetup: {
      const h = spec.hdlc!;
      return (
        [
          enumOf(h.commSpeed),
          u8(h.windowSizeTransmit),
          u8(h.windowSizeReceive),
          u16(h.maxInfoFieldLengthTransmit),
          u16(h.maxInfoFieldLengthReceive),
          u16(h.interOctetTimeOut),
          u16(h.inactivityTimeOut),
          u16(h.deviceAddress),
        ][attr - 2] ?? R.objectUndefined
      );
    }
    case ClassId.PushSetup:
      return readPush(rc, e, attr);
    case ClassId.SecuritySetup:
      return readSecuritySetup(rc, e, attr);
    case ClassId.DisconnectControl: {
      const r = relayView(m, t);
      return [bool(r.output), enumOf(r.control), enumOf(r.mode)][attr - 2] ?? R.objectUndefined;
    }
    case ClassId.Limiter:
      return readLimiter(rc, attr);
    default:
      return R.objectUndefined;
  }
}

function readProfileGeneric(
  rc: ReadContext,
  e: CatalogEntry,
  attr: number,
  access: SelectiveAccessDescriptor | undefined,
): DlmsData | number {
  const p = e.spec.profile!;
  switch (attr) {
    case 2:
      return readBuffer(rc.m, rc.cat, p, rc.now, access, (entry, a, t, ctx) => {
        const v = readAttribute(rc, entry, a, t, ctx);
        return typeof v === 'number' ? { type: 'null-data' } : v;
      });
    case 3:
      return arr(p.capture.map(captureDefinition));
    case 4:
      return u32(p.capturePeriod);
    case 5:
      return enumOf(1);
    case 6:
      return struct(u16(0), octets(new Uint8Array(6)), { type: 'integer', value: 0 }, u16(0));
    case 7:
      return u32(entriesInUse(rc.m, p, rc.now));
    case 8:
      return u32(p.depth);
    default:
      return R.objectUndefined;
  }
}

function readClock(rc: ReadContext, attr: number, t: Instant, ctx: RowContext): DlmsData | number {
  const { m } = rc;
  const dev = meterDeviation(m);
  switch (attr) {
    case 2: {
      return dateTimeData(m, ctx.live ? meterClock(m, t) : (ctx.stamp ?? t));
    }
    case 3:
      return { type: 'long', value: m.profile.quirks.deviationLocalMinusUtc ? -dev : dev };
    case 4:
      return u8(0);
    case 5:
    case 6:
      return octets(Uint8Array.of(0xff, 0xff, attr === 5 ? 3 : 10, 0xfe, 7, 2, 0, 0, 0, 0x80, 0, 0xff));
    case 7:
      return { type: 'integer', value: 0 };
    case 8:
      return bool(false);
    case 9:
      return enumOf(1);
    default:
      return R.objectUndefined;
  }
}

function readAssociation(rc: ReadContext, e: CatalogEntry, attr: number): DlmsData | number {
  const key = e.spec.association === 'current' ? rc.association : (e.spec.association ?? rc.association);
  const spec = rc.cat.associations.get(key);
  if (spec === undefined) return R.unavailable;
  const mechanism = spec.authentication === 'none' ? 0 : spec.authentication === 'low' ? 1 : 5;
  const context = spec.policy === 'none' ? 1 : 3;
  switch (attr) {
    case 2:
      return objectList(rc.cat, key);
    case 3:
      return struct({ type: 'integer', value: spec.clientSap }, u16(rc.m.profile.serverAddress));
    case 4:
      return octets(Uint8Array.of(0x60, 0x85, 0x74, 0x05, 0x08, 0x01, context));
    case 5:
      return struct(
        { type: 'bit-string', value: { length: 24, bytes: CONFORMANCE_BYTES } },
        u16(METER_MAX_PDU),
        u16(METER_MAX_PDU),
        u8(6),
        { type: 'integer', value: 0 },
        octets(new Uint8Array(0)),
      );
    case 6:
      return octets(Uint8Array.of(0x60, 0x85, 0x74, 0x05, 0x08, 0x02, mechanism));
    case 8:
      return enumOf(key === rc.association || e.spec.association === 'current' ? 2 : 0);
    case 9: {
      const setup = rc.cat.profile.objects.find(
        (o) => o.class === ClassId.SecuritySetup && o.association === key,
      );
      return octets(setup === undefined ? new Uint8Array(6) : obisBytes(setup.obis));
    }
    default:
      return R.readWriteDenied;
  }
}

function readImageTransfer(rc: ReadContext, attr: number): DlmsData | number {
  const img = rc.m.state?.image;
  const blocks = img?.blocks.size ?? 0;
  const count = img === undefined ? 0 : Math.ceil(img.size / 200);
  switch (attr) {
    case 2:
      return u32(200);
    case 3: {
      const bytes = new Uint8Array(Math.ceil(count / 8));
      for (const b of img?.blocks ?? []) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
      return { type: 'bit-string', value: { length: count, bytes } };
    }
    case 4: {
      let n = 0;
      while (img?.blocks.has(n)) n++;
      return u32(img === undefined ? 0 : n);
    }
    case 5:
      return bool(true);
    case 6:
      return enumOf(img?.status ?? 0);
    case 7:
      return arr(
        img === undefined || img.status < 3 || blocks < count
          ? []
          : [struct(u32(img.size), octets(text(img.identifier)), octets(new Uint8Array(0)))],
      );
    default:
      return R.objectUndefined;
  }
}

function readCalendar(rc: ReadContext, attr: number, t: Instant): DlmsData | number {
  const active = calendarAttrs(rc.m.calendarAt(t));
  if (attr >= 2 && attr <= 5) return active[attr - 2]!;
  const state = rc.m.state;
  if (attr >= 6 && attr <= 9) {
    const passive = state?.passive;
    if (passive === undefined) return [octets(new Uint8Array(0)), arr([]), arr([]), arr([])][attr - 6]!;
    return calendarAttrs(passive)[attr - 6]!;
  }
  if (attr === 10) return dateTimeData(rc.m, state?.passiveActivation);
  return R.objectUndefined;
}

function readSchedule(obis: string, attr: number): DlmsData | number {
  const billing = obis === '0.0.15.0.0.255';
  switch (attr) {
    case 2:
      return struct(octets(obisBytes(billing ? '0.0.10.0.1.255' : '0.0.10.0.107.255')), u16(1));
    case 3:
      return enumOf(billing ? 1 : 1);
    case 4:
      return arr(
        billing
          ? [struct(octets(Uint8Array.of(0, 0, 0, 0)), octets(Uint8Array.of(0xff, 0xff, 0xff, 1, 0xff)))]
          : [],
      );
    default:
      return R.objectUndefined;
  }
}

function readPush(rc: ReadContext, e: CatalogEntry, attr: number): DlmsData | number {
  const push = e.spec.push!;
  switch (attr) {
    case 2:
      return arr(push.objects.map(captureDefinition));
    case 3:
      return struct(
        enumOf(0),
        octets(text(rc.m.state?.pushDestinations?.[e.spec.obis] ?? rc.m.fleet.pushDestination ?? '')),
        enumOf(0),
      );
    case 4:
      return arr([]);
    case 5:
      return u16(push.kind === 'daily' ? 3600 : 0);
    case 6:
      return u8(push.kind === 'alarm' ? 3 : 0);
    case 7:
      return u16(push.kind === 'alarm' ? 30 : 0);
    default:
      return R.objectUndefined;
  }
}

function readSecuritySetup(rc: ReadContext, e: CatalogEntry, attr: number): DlmsData | number {
  const assoc = rc.cat.associations.get(e.spec.association ?? '');
  const policy = { none: 0, auth: 1, enc: 2, 'auth+enc': 3 }[assoc?.policy ?? 'none'];
  switch (attr) {
    case 2:
      return enumOf(policy);
    case 3:
      return enumOf(0);
    case 4:
      return octets(new Uint8Array(8));
    case 5:
      return octets(systemTitleOf(rc.m));
    default:
      return R.objectUndefined;
  }
}

function readLimiter(rc: ReadContext, attr: number): DlmsData | number {
  const l = limiterOf(rc.m);
  const w = (n: number): DlmsData => u32(Math.round(n));
  const script = (selector: number): DlmsData => struct(octets(obisBytes('0.0.10.0.106.255')), u16(selector));
  switch (attr) {
    case 2:
      return struct(u16(3), octets(Uint8Array.from(parseObis('1.0.1.7.0.255'))), {
        type: 'integer',
        value: 2,
      });
    case 3:
      return w(l.emergencyActive ? l.thresholdEmergency : l.thresholdNormal);
    case 4:
      return w(l.thresholdNormal);
    case 5:
      return w(l.thresholdEmergency);
    case 6:
      return u32(l.minOverSeconds);
    case 7:
      return u32(l.minUnderSeconds);
    case 8:
      return struct(u16(0), octets(new Uint8Array(12).fill(0xff)), u32(0));
    case 9:
      return arr([]);
    case 10:
      return bool(l.emergencyActive);
    case 11:
      return struct(script(1), script(2));
    default:
      return R.objectUndefined;
  }
}
