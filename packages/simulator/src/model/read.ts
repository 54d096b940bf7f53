import {
  type ActivityCalendar,
  ClassId,
  encodeActivityCalendar,
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
import { POLICY } from './control-base.ts';
import { relayView } from './disconnect.ts';
import { readImageSchedule, readImageTransfer } from './image.ts';
import { readLimiter } from './limiter.ts';

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
      return readImageTransfer(m, attr, rc.now);
    case ClassId.SpecialDaysTable:
      return attr === 2 ? readSpecialDays(rc, e) : R.objectUndefined;
    case ClassId.ActivityCalendar:
      return readCalendar(rc, attr, t);
    case ClassId.SingleActionSchedule:
      if (spec.obis === '0.0.15.0.2.255' && attr === 4) return readImageSchedule(m);
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
      return readLimiter(m, attr, t);
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
  const c = m.state?.clock;
  switch (attr) {
    case 2: {
      return dateTimeData(m, ctx.live ? meterClock(m, t) : (ctx.stamp ?? t));
    }
    case 3:
      return { type: 'long', value: c?.timeZone ?? (m.profile.quirks.deviationLocalMinusUtc ? -dev : dev) };
    case 4:
      return u8(0);
    case 5:
    case 6: {
      const set = attr === 5 ? c?.dstBegin : c?.dstEnd;
      return octets(
        set ?? Uint8Array.of(0xff, 0xff, attr === 5 ? 3 : 10, 0xfe, 7, 2, 0, 0, 0, 0x80, 0, 0xff),
      );
    }
    case 7:
      return { type: 'integer', value: c?.dstDeviation ?? 0 };
    case 8:
      return bool(c?.dstEnabled ?? false);
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
  const cfg = rc.m.state?.push?.[e.spec.obis];
  switch (attr) {
    case 2:
      return cfg?.objects ?? arr(push.objects.map(captureDefinition));
    case 3:
      return struct(
        enumOf(cfg?.service ?? 0),
        octets(text(rc.m.state?.pushDestinations?.[e.spec.obis] ?? rc.m.fleet.pushDestination ?? '')),
        enumOf(cfg?.message ?? 0),
      );
    case 4:
      return cfg?.windows ?? arr([]);
    case 5:
      return u16(cfg?.randomisationSeconds ?? (push.kind === 'daily' ? 3600 : 0));
    case 6:
      return u8(cfg?.retries ?? (push.kind === 'alarm' ? 3 : 0));
    case 7:
      return cfg?.repetitionDelay ?? u16(push.kind === 'alarm' ? 30 : 0);
    default:
      return R.objectUndefined;
  }
}

function readSecuritySetup(rc: ReadContext, e: CatalogEntry, attr: number): DlmsData | number {
  const key = e.spec.association ?? '';
  const assoc = rc.cat.associations.get(key);
  const policy = rc.m.state?.policies?.[key] ?? POLICY[assoc?.policy ?? 'none']!;
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

function readSpecialDays(rc: ReadContext, e: CatalogEntry): DlmsData {
  const days = rc.m.state?.specialDays?.[e.spec.obis] ?? [];
  return arr(days.map((d) => struct(u16(d.index), octets(d.date), u8(d.dayId))));
}
