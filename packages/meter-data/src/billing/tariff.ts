import type {
  DemandCharge,
  FixedCharge,
  NetMeteringMode,
  SpecialDay,
  TariffInput,
  TariffPeriod,
  Tax,
  TaxBase,
  TouDayProfile,
  TouRange,
  TouSeason,
} from '@openhes/core';
import { parseDecimal } from './decimal.ts';
import { BillingError } from './errors.ts';
import { checkTimeZone, WallClock, wallOf } from './zone.ts';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CLOCK = /^([01]\d|2[0-4]):([0-5]\d)$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MINUTES = 1440;
const DAY_MS = 86_400_000;
const NET_MODES: readonly NetMeteringMode[] = ['none', 'separate', 'netted'];
const TAX_BASES: readonly TaxBase[] = ['energy', 'fixed', 'demand'];
/** Largest price or charge accepted (major units): anything above is a typo, not a tariff. */
const MAX_PRICE = 1_000_000n;

const bad = (field: string, message: string) => BillingError.invalid(field, message);

function obj(field: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'must be an object');
  return v as Record<string, unknown>;
}

function list(field: string, v: unknown, min = 0): unknown[] {
  if (!Array.isArray(v)) throw bad(field, 'must be a list');
  if (v.length < min) throw bad(field, `must hold at least ${min} entr${min === 1 ? 'y' : 'ies'}`);
  return v;
}

function id(field: string, v: unknown): string {
  if (typeof v !== 'string' || !ID.test(v)) {
    throw bad(field, `must be 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(v)})`);
  }
  return v;
}

function text(field: string, v: unknown, max = 128): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
    throw bad(field, `must be a non-empty text of at most ${max} characters`);
  }
  return v;
}

function optText(field: string, v: unknown): string | undefined {
  return v === undefined ? undefined : text(field, v);
}

/** A non-negative price, at most MAX_PRICE, as given. */
function price(field: string, v: unknown): string {
  const d = parseDecimal(field, v);
  if (d.n < 0n) throw bad(field, `must not be negative (got ${String(v)})`);
  if (d.n > MAX_PRICE * 10n ** BigInt(d.scale)) throw bad(field, `is absurdly large (got ${String(v)})`);
  return v as string;
}

function minutes(field: string, v: unknown): number {
  const m = typeof v === 'string' ? CLOCK.exec(v) : null;
  if (!m) throw bad(field, `must be a time HH:MM (got ${JSON.stringify(v)})`);
  const total = Number(m[1]) * 60 + Number(m[2]);
  if (total > DAY_MINUTES) throw bad(field, `must be at most 24:00 (got ${v})`);
  return total;
}

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function monthDay(field: string, v: unknown): { month: number; day: number } {
  const m = typeof v === 'string' ? MONTH_DAY.exec(v) : null;
  const month = m ? Number(m[1]) : 0;
  const day = m ? Number(m[2]) : 0;
  // 2024 is a leap year: 02-29 is a valid yearly date.
  if (!m || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(2024, month, 0)).getUTCDate()) {
    throw bad(field, `must be a date MM-DD (got ${JSON.stringify(v)})`);
  }
  return { month, day };
}

function calendarDate(field: string, v: string): void {
  const m = DATE.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || !Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== v) {
    throw bad(field, `must be a date YYYY-MM-DD or a yearly MM-DD (got ${JSON.stringify(v)})`);
  }
}

function unique(field: string, values: readonly string[], what: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) throw bad(`${field}[${i}]`, `duplicate ${what} ${JSON.stringify(v)}`);
    seen.add(v);
  });
}

function knownDayType(field: string, v: unknown, dayTypes: ReadonlySet<string>): string {
  if (typeof v !== 'string' || !dayTypes.has(v)) {
    throw bad(field, `unknown day type ${JSON.stringify(v)} (declared: ${[...dayTypes].join(', ')})`);
  }
  return v;
}

function dayProfile(
  field: string,
  v: unknown,
  dayTypes: ReadonlySet<string>,
  periods: ReadonlySet<string>,
): TouDayProfile {
  const p = obj(field, v);
  const dayType = knownDayType(`${field}.dayType`, p.dayType, dayTypes);
  const ranges = list(`${field}.ranges`, p.ranges, 1).map(
    (r, i): TouRange & { from: number; to: number; i: number } => {
      const f = `${field}.ranges[${i}]`;
      const o = obj(f, r);
      const from = minutes(`${f}.start`, o.start);
      const to = minutes(`${f}.end`, o.end);
      if (from >= to)
        throw bad(f, `start ${o.start} must be before end ${o.end} (a range over midnight is two ranges)`);
      if (typeof o.period !== 'string' || !periods.has(o.period)) {
        throw bad(
          `${f}.period`,
          `unknown period ${JSON.stringify(o.period)} (periods: ${[...periods].join(', ')})`,
        );
      }
      return { start: hhmm(from), end: hhmm(to), period: o.period, from, to, i };
    },
  );
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  let covered = 0;
  let last: (typeof sorted)[number] | undefined;
  for (const r of sorted) {
    if (r.from < covered && last !== undefined) {
      throw bad(
        `${field}.ranges[${r.i}]`,
        `${r.start}–${r.end} overlaps ranges[${last.i}] ${last.start}–${last.end} (day type ${dayType})`,
      );
    }
    if (r.from > covered) {
      throw bad(`${field}.ranges`, `hours ${hhmm(covered)}–${r.start} are not covered (day type ${dayType})`);
    }
    covered = r.to;
    last = r;
  }
  if (covered < DAY_MINUTES) {
    throw bad(`${field}.ranges`, `hours ${hhmm(covered)}–24:00 are not covered (day type ${dayType})`);
  }
  return { dayType, ranges: ranges.map(({ start, end, period }) => ({ start, end, period })) };
}

/**
 * Checks a tariff and returns it normalised (times as HH:MM, defaults filled). Every fault is
 * a BillingError (BILLING_INVALID) whose message and `detail.field` name its place, e.g.
 * `seasons[1].days[0].ranges[2]: 17:00–19:00 overlaps ranges[1] 06:00–18:00`.
 */
export function validateTariff(input: unknown): TariffInput {
  const t = obj('tariff', input);
  const tariffId = id('id', t.id);
  const name = text('name', t.name);
  if (typeof t.currency !== 'string' || !/^[A-Z]{3}$/.test(t.currency)) {
    throw bad('currency', `must be an ISO 4217 code like "EUR" (got ${JSON.stringify(t.currency)})`);
  }
  const minorDigits = t.minorDigits === undefined ? 2 : t.minorDigits;
  if (!Number.isInteger(minorDigits) || (minorDigits as number) < 0 || (minorDigits as number) > 4) {
    throw bad('minorDigits', 'must be an integer 0..4');
  }
  const timeZone = checkTimeZone('timeZone', t.timeZone);

  const dayTypeList = list('dayTypes', t.dayTypes, 1).map((d, i) => id(`dayTypes[${i}]`, d));
  unique('dayTypes', dayTypeList, 'day type');
  const dayTypes = new Set(dayTypeList);

  const week = list('week', t.week);
  if (week.length !== 7) throw bad('week', 'must list 7 day types, Monday first');
  const weekTypes = week.map((d, i) => knownDayType(`week[${i}]`, d, dayTypes));

  const periods = list('periods', t.periods, 1).map((p, i): TariffPeriod => {
    const f = `periods[${i}]`;
    const o = obj(f, p);
    const out: TariffPeriod = { id: id(`${f}.id`, o.id), importRate: price(`${f}.importRate`, o.importRate) };
    const n = optText(`${f}.name`, o.name);
    if (n !== undefined) out.name = n;
    if (o.exportRate !== undefined) out.exportRate = price(`${f}.exportRate`, o.exportRate);
    if (o.meterRate !== undefined) {
      if (!Number.isInteger(o.meterRate) || (o.meterRate as number) < 1 || (o.meterRate as number) > 8) {
        throw bad(`${f}.meterRate`, 'must be the meter register rate 1..8');
      }
      out.meterRate = o.meterRate as number;
    }
    return out;
  });
  unique(
    'periods',
    periods.map((p) => p.id),
    'period',
  );
  const periodIds = new Set(periods.map((p) => p.id));

  const seasons = list('seasons', t.seasons, 1).map((s, i): TouSeason => {
    const f = `seasons[${i}]`;
    const o = obj(f, s);
    const sid = id(`${f}.id`, o.id);
    monthDay(`${f}.start`, o.start);
    const days = list(`${f}.days`, o.days, 1).map((d, j) =>
      dayProfile(`${f}.days[${j}]`, d, dayTypes, periodIds),
    );
    unique(
      `${f}.days`,
      days.map((d) => d.dayType),
      'day profile for day type',
    );
    for (const dt of dayTypes) {
      if (!days.some((d) => d.dayType === dt)) {
        throw bad(
          `${f}.days`,
          `no day profile for day type ${JSON.stringify(dt)}: its hours are not covered`,
        );
      }
    }
    return { id: sid, start: o.start as string, days };
  });
  unique(
    'seasons',
    seasons.map((s) => s.id),
    'season',
  );
  unique(
    'seasons',
    seasons.map((s) => s.start),
    'season start',
  );

  const specialDays = (t.specialDays === undefined ? [] : list('specialDays', t.specialDays)).map(
    (s, i): SpecialDay => {
      const f = `specialDays[${i}]`;
      const o = obj(f, s);
      if (typeof o.date !== 'string') throw bad(`${f}.date`, 'must be a date YYYY-MM-DD or a yearly MM-DD');
      if (o.date.length === 5) monthDay(`${f}.date`, o.date);
      else calendarDate(`${f}.date`, o.date);
      const out: SpecialDay = { date: o.date, dayType: knownDayType(`${f}.dayType`, o.dayType, dayTypes) };
      const n = optText(`${f}.name`, o.name);
      if (n !== undefined) out.name = n;
      return out;
    },
  );
  unique(
    'specialDays',
    specialDays.map((s) => s.date),
    'special day',
  );

  const fixedCharges = (t.fixedCharges === undefined ? [] : list('fixedCharges', t.fixedCharges)).map(
    (c, i): FixedCharge => {
      const f = `fixedCharges[${i}]`;
      const o = obj(f, c);
      if (o.per !== 'cycle' && o.per !== 'day') throw bad(`${f}.per`, "must be 'cycle' or 'day'");
      const out: FixedCharge = {
        id: id(`${f}.id`, o.id),
        amount: price(`${f}.amount`, o.amount),
        per: o.per,
      };
      const n = optText(`${f}.name`, o.name);
      if (n !== undefined) out.name = n;
      return out;
    },
  );
  const demandCharges = (t.demandCharges === undefined ? [] : list('demandCharges', t.demandCharges)).map(
    (c, i): DemandCharge => {
      const f = `demandCharges[${i}]`;
      const o = obj(f, c);
      const out: DemandCharge = { id: id(`${f}.id`, o.id), rate: price(`${f}.rate`, o.rate) };
      const n = optText(`${f}.name`, o.name);
      if (n !== undefined) out.name = n;
      if (o.periods !== undefined) {
        out.periods = list(`${f}.periods`, o.periods, 1).map((p, j) => {
          if (typeof p !== 'string' || !periodIds.has(p)) {
            throw bad(`${f}.periods[${j}]`, `unknown period ${JSON.stringify(p)}`);
          }
          return p;
        });
      }
      return out;
    },
  );
  const netMetering = (t.netMetering ?? 'none') as NetMeteringMode;
  if (!NET_MODES.includes(netMetering)) throw bad('netMetering', `must be one of ${NET_MODES.join(', ')}`);
  const taxes = (t.taxes === undefined ? [] : list('taxes', t.taxes)).map((x, i): Tax => {
    const f = `taxes[${i}]`;
    const o = obj(f, x);
    const pct = price(`${f}.ratePct`, o.ratePct);
    const d = parseDecimal(`${f}.ratePct`, pct);
    if (d.n > 100n * 10n ** BigInt(d.scale)) throw bad(`${f}.ratePct`, `must be at most 100 (got ${pct})`);
    const out: Tax = { id: id(`${f}.id`, o.id), ratePct: pct };
    const n = optText(`${f}.name`, o.name);
    if (n !== undefined) out.name = n;
    if (o.appliesTo !== undefined) {
      out.appliesTo = list(`${f}.appliesTo`, o.appliesTo, 1).map((b, j) => {
        if (!TAX_BASES.includes(b as TaxBase)) {
          throw bad(
            `${f}.appliesTo[${j}]`,
            `must be one of ${TAX_BASES.join(', ')} (got ${JSON.stringify(b)})`,
          );
        }
        return b as TaxBase;
      });
    }
    return out;
  });
  for (const [field, ids] of [
    ['fixedCharges', fixedCharges.map((c) => c.id)],
    ['demandCharges', demandCharges.map((c) => c.id)],
    ['taxes', taxes.map((c) => c.id)],
  ] as const) {
    unique(field, ids, 'id');
  }

  return {
    id: tariffId,
    name,
    currency: t.currency,
    minorDigits: minorDigits as number,
    timeZone,
    dayTypes: dayTypeList,
    week: weekTypes,
    specialDays,
    seasons,
    periods,
    fixedCharges,
    demandCharges,
    netMetering,
    taxes,
  };
}

/** A checked tariff ready to price intervals: TOU period lookup by instant. */
export class CompiledTariff {
  readonly clock: WallClock;
  /** Period index per season start (MMDD, ascending) × day type × minute of day. */
  private readonly seasonStarts: number[];
  private readonly slots: Map<string, Uint8Array>[];
  private readonly fixedSpecial = new Map<string, string>();
  private readonly yearlySpecial = new Map<string, string>();
  readonly periodIds: readonly string[];
  readonly tariff: TariffInput;
  /** Minute slots of each local day number (days since the epoch in local time). */
  private readonly daySlots = new Map<number, Uint8Array>();

  constructor(tariff: TariffInput) {
    this.tariff = tariff;
    this.clock = new WallClock(tariff.timeZone);
    this.periodIds = tariff.periods.map((p) => p.id);
    const order = [...tariff.seasons].sort((a, b) => mmdd(a.start) - mmdd(b.start));
    this.seasonStarts = order.map((s) => mmdd(s.start));
    this.slots = order.map((s) => {
      const m = new Map<string, Uint8Array>();
      for (const d of s.days) {
        const slots = new Uint8Array(DAY_MINUTES);
        for (const r of d.ranges) {
          const p = this.periodIds.indexOf(r.period);
          slots.fill(p, toMinutes(r.start), toMinutes(r.end));
        }
        m.set(d.dayType, slots);
      }
      return m;
    });
    for (const s of tariff.specialDays) {
      if (s.date.length === 5) this.yearlySpecial.set(s.date, s.dayType);
      else this.fixedSpecial.set(s.date, s.dayType);
    }
  }

  /** Day type of a local date (special days first, then the week). */
  dayType(date: string, dayOfWeek: number): string {
    return (
      this.fixedSpecial.get(date) ?? this.yearlySpecial.get(date.slice(5)) ?? this.tariff.week[dayOfWeek - 1]!
    );
  }

  /**
   * Index (into `tariff.periods`) of the TOU period in force at instant t (local wall clock).
   * The active season is the one with the latest start not after the date; before the first
   * start of a year the last season of the previous year is still in force.
   */
  periodIndexAt(t: number): number {
    const local = t + this.clock.offset(t);
    const dayN = Math.floor(local / DAY_MS);
    let slots = this.daySlots.get(dayN);
    if (slots === undefined) {
      const w = wallOf(dayN * DAY_MS, 'UTC', 0);
      const md = w.month * 100 + w.day;
      let s = this.seasonStarts.length - 1;
      for (let i = 0; i < this.seasonStarts.length; i++) if (this.seasonStarts[i]! <= md) s = i;
      slots = this.slots[s]!.get(this.dayType(w.date, w.dayOfWeek))!;
      if (this.daySlots.size > 10_000) this.daySlots.clear();
      this.daySlots.set(dayN, slots);
    }
    return slots[Math.floor((local - dayN * DAY_MS) / 60_000)]!;
  }
}

function mmdd(s: string): number {
  return Number(s.slice(0, 2)) * 100 + Number(s.slice(3, 5));
}

function toMinutes(s: string): number {
  return Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
}
