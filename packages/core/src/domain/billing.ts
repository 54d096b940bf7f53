import type { Instant, Page, PageRequest } from '../paging.ts';

/**
 * Time-of-use billing: tariffs as data, determinants per meter and cycle, bills with line
 * items. Money never travels as a float: amounts are integer minor units (cents), rates and
 * prices are decimal strings in major units (e.g. "0.1234" per kWh). Energies are integer
 * milliwatt-hours, demands integer milliwatts. The rules that check a tariff and compute a
 * bill live in @openhes/meter-data (billing/); this file holds the shapes and the store port.
 */

/** A decimal number as text: optional minus, digits, optional fraction (e.g. "0.0875"). */
export type DecimalString = string;

/** Local wall-clock time `HH:MM` (00:00 … 24:00; 24:00 only as the end of a range). */
export type ClockTime = string;

/** One time range of a day profile: [start, end) in local wall-clock time, priced as `period`. */
export interface TouRange {
  start: ClockTime;
  end: ClockTime;
  period: string;
}

/** The ranges of one day type in one season; together they cover 00:00–24:00 exactly once. */
export interface TouDayProfile {
  dayType: string;
  ranges: TouRange[];
}

/** A season starts on `start` (`MM-DD`) and lasts until the next season's start (yearly). */
export interface TouSeason {
  id: string;
  start: string;
  days: TouDayProfile[];
}

/** A special day: a fixed date (`YYYY-MM-DD`) or a yearly one (`MM-DD`) taking another day type. */
export interface SpecialDay {
  date: string;
  dayType: string;
  name?: string;
}

/** Prices of one TOU period, major units per kWh. */
export interface TariffPeriod {
  id: string;
  name?: string;
  importRate: DecimalString;
  /** Credit per exported kWh (net metering); default "0". */
  exportRate?: DecimalString;
  /**
   * The meter's own tariff register (rate 1..8 of 1.0.1.8.x / 1.0.2.8.x) this period
   * accumulates in, for the cross-check of our interval sums; omitted: not checked.
   */
  meterRate?: number;
}

export interface FixedCharge {
  id: string;
  name?: string;
  /** Major units, per cycle or per local day of the cycle. */
  amount: DecimalString;
  per: 'cycle' | 'day';
}

/** A charge on the highest interval demand (kW) of the cycle within the given periods. */
export interface DemandCharge {
  id: string;
  name?: string;
  /** Major units per kW. */
  rate: DecimalString;
  /** TOU periods whose intervals count; omitted: every interval. */
  periods?: string[];
}

/**
 * Net metering: `none` bills import only; `separate` bills import at the import rate and
 * credits export at the export rate, per period; `netted` prices the net (import − export) of
 * each period: a positive net at the import rate, a negative one credited at the export rate.
 */
export type NetMeteringMode = 'none' | 'separate' | 'netted';

/** Line kinds a tax applies to. */
export type TaxBase = 'energy' | 'fixed' | 'demand';

export interface Tax {
  id: string;
  name?: string;
  /** Percent, e.g. "19" or "7.5". */
  ratePct: DecimalString;
  /** Default: every line kind. */
  appliesTo?: TaxBase[];
}

/** A tariff as data. `id` is the code meters reference in `Meter.tariff`. */
export interface TariffInput {
  id: string;
  name: string;
  /** ISO 4217 code. */
  currency: string;
  /** Digits of the minor unit (2 for cents). */
  minorDigits: number;
  /** IANA zone of the TOU clock (e.g. Asia/Kolkata, Europe/Berlin). */
  timeZone: string;
  /** Day types used by seasons and special days. */
  dayTypes: string[];
  /** Day type of each weekday, Monday first (7 entries). */
  week: string[];
  specialDays: SpecialDay[];
  seasons: TouSeason[];
  periods: TariffPeriod[];
  fixedCharges: FixedCharge[];
  demandCharges: DemandCharge[];
  netMetering: NetMeteringMode;
  taxes: Tax[];
}

/** A stored tariff: each change is a new revision; bills name the revision they used. */
export interface Tariff extends TariffInput {
  revision: number;
  retired: boolean;
  createdBy: string;
  createdAt: Instant;
}

/** A billing cycle of a group: its label (`YYYY-MM`) and its UTC bounds [from, to). */
export interface BillingCycle {
  label: string;
  groupId: string;
  from: Instant;
  to: Instant;
}

/** Energy and demand of one TOU period over a cycle. */
export interface PeriodDeterminants {
  period: string;
  importMilliWh: number;
  exportMilliWh: number;
  /** Highest interval demand (mW) of the period and its interval end; null without intervals. */
  maxDemandMilliW: number | null;
  maxDemandAt: Instant | null;
  intervals: number;
}

/** A difference between our interval sums and the meter's own registers beyond the tolerance. */
export interface RegisterCheck {
  period: string;
  obis: string;
  /** Register delta (mWh) and our interval sum (mWh) over the same span. */
  registerMilliWh: number;
  intervalMilliWh: number;
  toleranceMilliWh: number;
  from: Instant;
  to: Instant;
  ok: boolean;
}

export interface Determinants {
  meterId: number;
  cycle: string;
  from: Instant;
  to: Instant;
  intervalSeconds: number | null;
  /** Interval counts of the import channel over the cycle. */
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  missing: number;
  periods: PeriodDeterminants[];
  importMilliWh: number;
  exportMilliWh: number;
  maxDemandMilliW: number | null;
  maxDemandAt: Instant | null;
  /** Comparisons with the meter's TOU registers (empty when none are stored for the span). */
  registerChecks: RegisterCheck[];
  /** VEE exceptions of the import channel in the cycle still open when billed. */
  openExceptions: number;
  /** Local days of the cycle VEE has not run on (no day summary for the import channel). */
  unvalidatedDays: number;
}

export type BillLineKind = 'energy' | 'export-credit' | 'fixed' | 'demand' | 'tax';

export interface BillLine {
  kind: BillLineKind;
  /** Stable code, e.g. `energy:T1`, `fixed:service`, `demand:peak`, `tax:vat`. */
  code: string;
  description: string;
  /** Decimal quantity in `unit` (kWh, kW, day, cycle, or the taxed base in major units). */
  quantity: DecimalString;
  unit: string;
  /** Price per unit (major units) or the tax percent. */
  rate: DecimalString;
  /** Minor units (negative for credits). */
  amount: number;
}

/** Flags a bill carries; never silent about estimated or missing data. */
export const BillFlag = {
  /** Some intervals were estimated (billable, flagged). */
  estimated: 'estimated',
  /** No interval data at all for the cycle: every energy is 0 and the bill is estimated. */
  noData: 'no-data',
  /** Some intervals of the cycle had no value (neither read nor estimated). */
  missingData: 'missing-data',
  /** The meter's TOU registers differ from our interval sums beyond the tolerance. */
  registerMismatch: 'register-mismatch',
  /** VEE has not run on some days of the cycle: their values are billed as read. */
  unvalidated: 'unvalidated',
  /** Some intervals of the cycle are under VEE exceptions still open. */
  openExceptions: 'open-exceptions',
} as const;
export type BillFlag = (typeof BillFlag)[keyof typeof BillFlag];

/** The differences of a rebill against the version it replaces (amounts in minor units). */
export interface BillDifference {
  previousVersion: number;
  lines: { code: string; previous: number; current: number; difference: number }[];
  total: number;
}

export interface NewBill {
  meterId: number;
  cycle: string;
  groupId: string;
  from: Instant;
  to: Instant;
  tariffId: string;
  tariffRevision: number;
  currency: string;
  minorDigits: number;
  lines: BillLine[];
  subtotal: number;
  tax: number;
  total: number;
  estimated: boolean;
  flags: BillFlag[];
  determinants: Determinants;
  /** Fingerprint of the reading versions the bill used (same data → same fingerprint). */
  dataVersion: string;
  difference: BillDifference | null;
  createdBy: string;
  reason: string | null;
}

/** A stored bill: immutable; a rebill is a new version of (meter, cycle). */
export interface Bill extends NewBill {
  id: number;
  version: number;
  createdAt: Instant;
}

export interface BillQuery extends PageRequest {
  cycle?: string;
  meterId?: number;
  groupId?: string;
  estimated?: boolean;
  /** Default true: only the newest version of each (meter, cycle). */
  latestOnly?: boolean;
}

export interface BillingStore {
  /** Stores a tariff as its next revision (1 for a new id); un-retires a retired one. */
  putTariff(tariff: TariffInput, actor: string): Promise<Tariff>;
  /** The newest revision, or the given one; null when unknown. */
  tariff(id: string, revision?: number): Promise<Tariff | null>;
  /** Newest revision of every tariff, by id; retired ones only when asked. */
  tariffs(options?: { includeRetired?: boolean }): Promise<Tariff[]>;
  /** Retires a tariff (bills keep their revision); false when unknown. */
  retireTariff(id: string, actor: string): Promise<boolean>;
  /**
   * Adds a bill as version `expectedVersion` of (meter, cycle): 1 when none exists, else the
   * newest + 1. A conflict when another writer got there first.
   */
  addBill(bill: NewBill, expectedVersion: number): Promise<Bill>;
  bill(id: number): Promise<Bill | null>;
  /** Every version of a (meter, cycle), oldest first. */
  billVersions(meterId: number, cycle: string): Promise<Bill[]>;
  bills(query: BillQuery): Promise<Page<Bill>>;
}
