import { type DataTypeName, type DlmsData, dateTimeFromInstant, dateTimeToOctets } from '@openhes/dlms';
import type { ObjectSpec } from '../profiles.ts';
import { maxDemand } from './demand.ts';
import { energyAt } from './energy.ts';
import { hashBytes, Stream } from './hash.ts';
import {
  billingAtOrBefore,
  billingBefore,
  billingCount,
  billingStamp,
  blockVoltage,
  captureInstant,
  clockOffset,
  eswBits,
  instantaneous,
  lastEventCode,
  powerFailures,
  powerOffMinutes,
  powerOnMinutes,
  programmingCount,
  tamperCount,
} from './measures.ts';
import { E, type MeterTruth } from './meter.ts';
import type { EventLogKey } from './state.ts';
import type { Instant } from './time.ts';

/** What a profile row knows beyond its instant. */
export interface RowContext {
  /** Capture period of a block profile (ms), for `block.*` sources. */
  periodMs?: number;
  /** Event code of an event-log row. */
  code?: number;
  /** Captured on read (instantaneous, nameplate): the clock column shows the meter's clock. */
  live?: boolean;
  /** The meter-clock time the row is stamped with (clock column). */
  stamp?: Instant;
  /** Capture instant of the previous row: a block's energy runs from there. */
  previousAt?: Instant;
}

const RANGES: Partial<Record<DataTypeName, readonly [number, number]>> = {
  integer: [-128, 127],
  long: [-32768, 32767],
  'double-long': [-2147483648, 2147483647],
  unsigned: [0, 255],
  'long-unsigned': [0, 65535],
  'double-long-unsigned': [0, 4294967295],
  enum: [0, 255],
};

/** A register integer of the object's wire type; counters roll over like meter registers do. */
export function integerData(type: DataTypeName, n: number): DlmsData {
  const r = RANGES[type];
  if (r === undefined) {
    if (type === 'float32' || type === 'float64') return { type, value: n };
    if (type === 'long64') return { type, value: BigInt(Math.trunc(n)) };
    if (type === 'long64-unsigned') return { type, value: BigInt(Math.max(0, Math.trunc(n))) };
    return { type: 'double-long-unsigned', value: Math.max(0, Math.trunc(n)) % 2 ** 32 };
  }
  const span = r[1] - r[0] + 1;
  let v = Math.trunc(n);
  if (r[0] === 0) v = ((v % span) + span) % span;
  else v = Math.max(r[0], Math.min(r[1], v));
  return { type: type as 'integer', value: v };
}

const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function meterDeviation(m: MeterTruth): number {
  return -m.profile.meter.utcOffsetMinutes;
}

/** A capture or clock time as the meter writes it: local fields, deviation as the profile's quirk says. */
export function dateTimeData(m: MeterTruth, t: Instant | undefined): DlmsData {
  if (t === undefined) {
    const none = new Uint8Array(12).fill(0xff);
    return { type: 'octet-string', value: none };
  }
  const dt = dateTimeFromInstant(new Date(t), { deviation: meterDeviation(m), clockStatus: 0 });
  if (m.profile.quirks.deviationLocalMinusUtc) dt.deviation = -meterDeviation(m);
  return { type: 'octet-string', value: dateTimeToOctets(dt) };
}

/** The meter's clock reading at true instant t. */
export function meterClock(m: MeterTruth, t: Instant): Instant {
  return t + clockOffset(m, t);
}

export { captureInstant };

/** What identifies a meter without materialising its truth. */
export type MeterIdentity = Pick<MeterTruth, 'index' | 'profile'> & {
  fleet: Pick<MeterTruth['fleet'], 'seed'>;
};

export function serialOf(m: MeterIdentity): string {
  return `${m.profile.meter.serialPrefix}${String(10_000_000 + m.index).padStart(8, '0')}`;
}

export function systemTitleOf(m: MeterIdentity): Uint8Array {
  const st = new Uint8Array(8);
  st.set(text('OSM'), 0);
  const n = m.index + 1;
  st[3] = 0;
  st[4] = (n >>> 24) & 0xff;
  st[5] = (n >>> 16) & 0xff;
  st[6] = (n >>> 8) & 0xff;
  st[7] = n & 0xff;
  return st;
}

/** Keys the head end is told about (the export). A wrong-key meter uses others. */
export function issuedSecrets(m: MeterIdentity): {
  password: string;
  ek: Uint8Array;
  ak: Uint8Array;
  kek: Uint8Array;
} {
  const seed = m.fleet.seed;
  const pw = hashBytes(8, seed, Stream.keys, m.index);
  return {
    password: Array.from(pw, (b) => String.fromCharCode(0x41 + (b % 26))).join(''),
    ek: hashBytes(16, seed, Stream.keys + 1, m.index),
    ak: hashBytes(16, seed, Stream.keys + 2, m.index),
    kek: hashBytes(16, seed, Stream.keys + 3, m.index),
  };
}

export function activeSecrets(m: MeterTruth): { password: Uint8Array; ek: Uint8Array; ak: Uint8Array } {
  const issued = issuedSecrets(m);
  const s = m.state;
  const wrong = m.effects.wrongKey;
  const flip = (b: Uint8Array): Uint8Array => (wrong ? b.map((x) => x ^ 0x5a) : b);
  return {
    password: s?.password ?? flip(text(issued.password)),
    ek: s?.ek ?? flip(issued.ek),
    ak: s?.ak ?? flip(issued.ak),
  };
}

export function firmwareAt(m: MeterTruth, t: Instant): string {
  let v = m.profile.meter.firmware;
  for (const f of m.state?.firmware ?? []) if (f.at <= t) v = f.version;
  return v;
}

function energyUnit(spec: ObjectSpec): number {
  return 1000 * 10 ** (spec.scaler ?? 0);
}

const TOU_SOURCE = /^(import)\.(wh|vah)\.t([1-8])$/;

/** Index into the cumulative vector, or -1 for registers that stay 0 (export, Q2-Q4). */
export function energyIndex(source: string): number {
  if (source === 'import.wh') return E.wh;
  if (source === 'import.vah') return E.vah;
  if (source === 'q1.varh') return E.q1;
  const tou = TOU_SOURCE.exec(source);
  if (tou) return (tou[2] === 'wh' ? E.whT1 : E.vahT1) + Number(tou[3]) - 1;
  return -1;
}

const LOG_OF_CODE_OBJECT: Record<string, EventLogKey> = {
  '0.0.96.11.0.255': 'voltage',
  '0.0.96.11.1.255': 'current',
  '0.0.96.11.2.255': 'power',
  '0.0.96.11.3.255': 'transaction',
  '0.0.96.11.4.255': 'other',
  '0.0.96.11.5.255': 'nonRollover',
  '0.0.96.11.6.255': 'control',
};

function bitString(bits: readonly number[], length: number): DlmsData {
  const bytes = new Uint8Array(length / 8);
  for (const b of bits) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
  return { type: 'bit-string', value: { length, bytes } };
}

function scaled(spec: ObjectSpec, physical: number): DlmsData {
  const s = spec.scaler ?? 0;
  const type = spec.type ?? 'double-long-unsigned';
  return integerData(
    type,
    type === 'float32' || type === 'float64' ? physical : Math.round(physical / 10 ** s),
  );
}

/**
 * Attribute 2 (value) of a Data/Register/Extended register object at true instant t.
 * Energies are floor(cumulative / unit); block energies are differences of those floors.
 */
/** A `source` name taken apart once: rows ask for the same few sources thousands of times. */
interface ParsedSource {
  /** `block.<energy>`: a block energy, the difference of two register readings. */
  block: boolean;
  /** Index into the cumulative vector (energyIndex), -1 for none. */
  idx: number;
  /** Phase 0..2 of an `.lN` source, else 0. */
  phase: number;
  /** The source without its phase suffix. */
  base: string;
}

const parsedSources = new Map<string, ParsedSource>();

function parseSource(src: string): ParsedSource {
  let p = parsedSources.get(src);
  if (p === undefined) {
    const block = src.startsWith('block.') && src.endsWith('h');
    const phase = /\.l([1-3])$/.exec(src);
    p = {
      block,
      idx: energyIndex(block ? src.slice(6) : src),
      phase: phase ? Number(phase[1]) - 1 : 0,
      base: src.replace(/\.l[1-3]$/, ''),
    };
    parsedSources.set(src, p);
  }
  return p;
}

export function sourceValue(m: MeterTruth, spec: ObjectSpec, t: Instant, ctx: RowContext = {}): DlmsData {
  const parsed = parseSource(spec.source ?? 'zero');
  const type = spec.type ?? 'double-long-unsigned';
  const idx = parsed.idx;
  if (parsed.block) {
    if (idx < 0) return integerData(type, 0);
    const u = energyUnit(spec);
    const start = ctx.previousAt ?? t - (ctx.periodMs ?? 900_000);
    return integerData(type, Math.floor(energyAt(m, t)[idx]! / u) - Math.floor(energyAt(m, start)[idx]! / u));
  }
  if (idx >= 0) return integerData(type, Math.floor(energyAt(m, t)[idx]! / energyUnit(spec)));
  const p = parsed.phase;
  switch (parsed.base) {
    case 'export.wh':
    case 'export.vah':
    case 'q2.varh':
    case 'q3.varh':
    case 'q4.varh':
    case 'zero':
      return integerData(type, 0);
    case 'voltage':
      return scaled(spec, instantaneous(m, t).voltage[p]!);
    case 'current':
      return scaled(spec, instantaneous(m, t).current[p]!);
    case 'current.n':
      return scaled(spec, instantaneous(m, t).neutral);
    case 'pf':
      return scaled(spec, instantaneous(m, t).pf);
    case 'frequency':
      return scaled(spec, instantaneous(m, t).frequency);
    case 'power.active':
      return scaled(spec, instantaneous(m, t).active);
    case 'power.apparent':
      return scaled(spec, instantaneous(m, t).apparent);
    case 'power.reactive':
      return scaled(spec, instantaneous(m, t).reactive);
    case 'block.voltage':
      return scaled(spec, blockVoltage(m, t, ctx.periodMs ?? 900_000, p));
    case 'block.current':
    case 'block.current.n': {
      const periodMs = ctx.periodMs ?? 900_000;
      const vah = energyAt(m, t)[E.vah]! - energyAt(m, ctx.previousAt ?? t - periodMs)[E.vah]!;
      const v = blockVoltage(m, t, periodMs, p);
      const share = m.profile.meter.phases === 3 ? m.phaseShare[p]! : 1;
      return scaled(spec, v > 0 ? (vah / 1000 / (periodMs / 3_600_000) / v) * share : 0);
    }
    case 'block.pf': {
      const periodMs = ctx.periodMs ?? 900_000;
      const a = energyAt(m, ctx.previousAt ?? t - periodMs);
      const b = energyAt(m, t);
      const vah = b[E.vah]! - a[E.vah]!;
      return scaled(spec, vah > 0 ? (b[E.wh]! - a[E.wh]!) / vah : 1);
    }
    case 'md.import.w':
      return scaled(spec, maxDemand(m, billingBefore(m, t), t).w.value);
    case 'md.import.va':
      return scaled(spec, maxDemand(m, billingBefore(m, t), t).va.value);
    case 'md.export.w':
    case 'md.export.va':
      return integerData(type, 0);
    case 'powerOnMinutes':
      return integerData(type, powerOnMinutes(m, t));
    case 'powerOffMinutes':
      return integerData(type, powerOffMinutes(m, t));
    case 'powerFailures':
      return integerData(type, powerFailures(m, t));
    case 'tamperCount':
      return integerData(type, tamperCount(m, t));
    case 'billingCount':
      return integerData(type, billingCount(m, t));
    case 'programmingCount':
      return integerData(type, programmingCount(m, t));
    case 'billing.powerOnMinutes': {
      const b = billingBefore(m, t);
      return integerData(type, powerOnMinutes(m, t) - powerOnMinutes(m, b));
    }
    case 'billing.date':
      return dateTimeData(m, billingStamp(m, billingAtOrBefore(m, t)));
    case 'billing.avgPf': {
      const a = energyAt(m, billingBefore(m, t));
      const b = energyAt(m, t);
      const vah = b[E.vah]! - a[E.vah]!;
      return scaled(spec, vah > 0 ? (b[E.wh]! - a[E.wh]!) / vah : 1);
    }
    case 'serial':
      return { type: 'visible-string', value: serialOf(m) };
    case 'deviceId':
      return { type: 'visible-string', value: `${serialOf(m)}` };
    case 'ldn':
      return { type: 'octet-string', value: text(`OSM${serialOf(m)}`.padEnd(16, '0').slice(0, 16)) };
    case 'manufacturer':
      return { type: 'visible-string', value: m.profile.meter.manufacturer };
    case 'firmware':
      return { type: 'visible-string', value: firmwareAt(m, t) };
    case 'meterType':
      return integerData(type, m.profile.meter.type);
    case 'category':
      return { type: 'visible-string', value: m.profile.meter.category };
    case 'currentRating':
      return { type: 'visible-string', value: m.profile.meter.currentRating };
    case 'yearOfManufacture':
      return integerData(type, m.profile.meter.yearOfManufacture);
    case 'ctRatio':
      return integerData(type, m.profile.meter.ctRatio ?? 1);
    case 'ptRatio':
      return integerData(type, m.profile.meter.ptRatio ?? 1);
    case 'dip':
      return integerData(type, 900);
    case 'blockPeriod':
      return integerData(type, blockPeriodOf(m) / 1000);
    case 'dailyPeriod':
      return integerData(type, 86_400);
    case 'availableBillingPeriods':
      return integerData(type, 12);
    case 'eventCode': {
      const log = LOG_OF_CODE_OBJECT[spec.obis];
      return integerData(type, ctx.code ?? (log === undefined ? 0 : lastEventCode(m, log, t)));
    }
    case 'esw':
      return bitString(eswBits(m, t), 128);
    case 'eswf':
      return bitString([3, 4, 6, 11, 12, 51, 81, 82, 83, 84, 85, 86, 87], 128);
    case 'invocationCounter':
      return integerData(type, m.state?.invocationCounter ?? 0);
    default:
      return integerData(type, 0);
  }
}

export function blockPeriodOf(m: MeterTruth): number {
  const block = m.profile.objects.find((o) => o.profile?.kind === 'block');
  return (block?.profile?.capturePeriod ?? 900) * 1000;
}

/** Extended register capture_time (attribute 5) at t. */
export function captureTime(m: MeterTruth, spec: ObjectSpec, t: Instant): DlmsData {
  if (spec.source === 'md.import.w' || spec.source === 'md.import.va') {
    const d = maxDemand(m, billingBefore(m, t), t);
    return dateTimeData(m, spec.source === 'md.import.w' ? d.w.at : d.va.at);
  }
  return dateTimeData(m, undefined);
}
