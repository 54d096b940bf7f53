import { type BillingCycle, type Meter, normalizeObis } from '@openhes/core';
import { BillingError } from './errors.ts';
import { checkTimeZone, localMidnight } from './zone.ts';

/**
 * How a group's cycles run:
 * - `calendar-month`: cycle `YYYY-MM` is that local calendar month, [1st 00:00, next 1st 00:00);
 * - `read-day`: the cycle ends on read day `day` (1..28) of its month at local midnight and
 *   starts on the read day of the month before: `2026-11` with day 15 is
 *   [2026-10-15 00:00, 2026-11-15 00:00) local time.
 */
export type CycleRule = { kind: 'calendar-month' } | { kind: 'read-day'; day: number };

/** A billing group: which meters, their cycle, and where their data lives. */
export interface BillingGroup {
  id: string;
  /** Meters of the group: every given list must hold the meter's value. Empty: every meter. */
  match: {
    customerClasses?: string[];
    paymentModes?: string[];
    tags?: string[];
    tariffs?: string[];
    models?: string[];
  };
  /** IANA zone of the cycle boundaries (local midnight). */
  timeZone: string;
  cycle: CycleRule;
  /** Interval channels (OBIS, any notation) of import energy, first found wins. */
  importObis: string[];
  /** Interval channels of export energy (net metering); none found: export is 0. */
  exportObis: string[];
  /**
   * Register cross-check: the meter's register read (or billing-profile row) taken at or up to
   * `registerWindowMs` after each cycle boundary, compared with our interval sums over the same
   * span. Allowed difference: `registerToleranceMilliWh` + `registerTolerancePct` % of the
   * register delta + one register resolution step per run of the period's intervals (each
   * run of a meter's floored block values can be off by less than one step) plus one.
   */
  registerWindowMs: number;
  registerToleranceMilliWh: number;
  registerTolerancePct: number;
}

export type BillingGroupInput = Partial<BillingGroup> & { id: string; timeZone: string };

export const DEFAULT_IMPORT_OBIS = ['1.0.1.29.0.255', '1.0.1.8.0.255'];
export const DEFAULT_EXPORT_OBIS = ['1.0.2.29.0.255', '1.0.2.8.0.255'];

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function strings(field: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw BillingError.invalid(field, 'must be a list of texts');
  }
  return v as string[];
}

function obisList(field: string, v: unknown, dflt: string[]): string[] {
  const l = strings(field, v) ?? dflt;
  return l.map((o, i) => {
    try {
      return normalizeObis(`${field}[${i}]`, o);
    } catch {
      throw BillingError.invalid(`${field}[${i}]`, `not an OBIS code: ${o}`);
    }
  });
}

function nonNegative(field: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw BillingError.invalid(field, 'must be a non-negative number');
  }
  return v;
}

/** Checks a group definition and fills the defaults. */
export function billingGroup(input: BillingGroupInput): BillingGroup {
  if (typeof input !== 'object' || input === null) throw BillingError.invalid('group', 'must be an object');
  if (typeof input.id !== 'string' || !ID.test(input.id)) {
    throw BillingError.invalid('group.id', `must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  const f = (k: string) => `groups.${input.id}.${k}`;
  const timeZone = checkTimeZone(f('timeZone'), input.timeZone);
  const cycle = input.cycle ?? { kind: 'calendar-month' };
  if (cycle.kind === 'read-day') {
    if (!Number.isInteger(cycle.day) || cycle.day < 1 || cycle.day > 28) {
      throw BillingError.invalid(f('cycle.day'), 'read day must be an integer 1..28');
    }
  } else if (cycle.kind !== 'calendar-month') {
    throw BillingError.invalid(f('cycle.kind'), "must be 'calendar-month' or 'read-day'");
  }
  const m = input.match ?? {};
  const match: BillingGroup['match'] = {};
  for (const k of ['customerClasses', 'paymentModes', 'tags', 'tariffs', 'models'] as const) {
    const l = strings(f(`match.${k}`), m[k]);
    if (l !== undefined) match[k] = l;
  }
  return {
    id: input.id,
    match,
    timeZone,
    cycle: cycle.kind === 'read-day' ? { kind: 'read-day', day: cycle.day } : { kind: 'calendar-month' },
    importObis: obisList(f('importObis'), input.importObis, DEFAULT_IMPORT_OBIS),
    exportObis: obisList(f('exportObis'), input.exportObis, DEFAULT_EXPORT_OBIS),
    registerWindowMs: nonNegative(f('registerWindowMs'), input.registerWindowMs, 3_600_000),
    registerToleranceMilliWh: nonNegative(f('registerToleranceMilliWh'), input.registerToleranceMilliWh, 0),
    registerTolerancePct: nonNegative(f('registerTolerancePct'), input.registerTolerancePct, 0),
  };
}

/** Whether a meter belongs to a group (every list given must hold the meter's value). */
export function groupMatches(g: BillingGroup, meter: Meter): boolean {
  const m = g.match;
  if (m.customerClasses !== undefined && !m.customerClasses.includes(meter.customerClass)) return false;
  if (m.paymentModes !== undefined && !m.paymentModes.includes(meter.paymentMode)) return false;
  if (m.models !== undefined && !m.models.includes(meter.model)) return false;
  if (m.tariffs !== undefined && (meter.tariff === null || !m.tariffs.includes(meter.tariff))) return false;
  if (m.tags !== undefined && !m.tags.some((t) => meter.tags.includes(t))) return false;
  return true;
}

const CYCLE = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Checks a cycle label `YYYY-MM`. */
export function parseCycle(label: unknown, field = 'cycle'): { year: number; month: number } {
  const m = typeof label === 'string' ? CYCLE.exec(label) : null;
  if (!m) throw BillingError.invalid(field, `must be a month YYYY-MM (got ${JSON.stringify(label)})`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The UTC bounds of cycle `label` of group `g`. */
export function cycleOf(label: string, g: BillingGroup): BillingCycle {
  const { year, month } = parseCycle(label);
  const [from, to] =
    g.cycle.kind === 'calendar-month'
      ? [localMidnight(year, month, 1, g.timeZone), localMidnight(year, month + 1, 1, g.timeZone)]
      : [
          localMidnight(year, month - 1, g.cycle.day, g.timeZone),
          localMidnight(year, month, g.cycle.day, g.timeZone),
        ];
  return { label, groupId: g.id, from, to };
}

/** The label of the cycle before `label`. */
export function previousCycle(label: string): string {
  const { year, month } = parseCycle(label);
  const y = month === 1 ? year - 1 : year;
  const m = month === 1 ? 12 : month - 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}

/** Local days of a cycle (23- and 25-hour days count as one day each). */
export function cycleDays(c: BillingCycle): number {
  return Math.round((c.to - c.from) / 86_400_000);
}
