import type { Determinants, TariffInput } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import {
  BillingError,
  billingGroup,
  CompiledTariff,
  cycleOf,
  priceDeterminants,
  roundDiv,
  validateTariff,
} from '../src/index.ts';

const WEEK = ['workday', 'workday', 'workday', 'workday', 'workday', 'weekend', 'weekend'];

/** Winter/summer, workday/weekend/holiday, three periods, every charge kind. */
export function sampleTariff(extra: Partial<TariffInput> = {}): TariffInput {
  const flat = (period: string) => [{ start: '00:00', end: '24:00', period }];
  const workday = [
    { start: '00:00', end: '06:00', period: 'OFF' },
    { start: '06:00', end: '18:00', period: 'STD' },
    { start: '18:00', end: '22:00', period: 'PEAK' },
    { start: '22:00', end: '24:00', period: 'OFF' },
  ];
  return structuredClone({
    id: 'RES-TOU',
    name: 'Residential time of use',
    currency: 'EUR',
    minorDigits: 2,
    timeZone: 'Europe/Berlin',
    dayTypes: ['workday', 'weekend', 'holiday'],
    week: WEEK,
    specialDays: [
      { date: '12-25', dayType: 'holiday', name: 'Christmas' },
      { date: '2026-11-18', dayType: 'holiday', name: 'Buss- und Bettag' },
    ],
    seasons: [
      {
        id: 'winter',
        start: '10-01',
        days: [
          { dayType: 'workday', ranges: workday },
          { dayType: 'weekend', ranges: flat('OFF') },
          { dayType: 'holiday', ranges: flat('OFF') },
        ],
      },
      {
        id: 'summer',
        start: '04-01',
        days: [
          {
            dayType: 'workday',
            ranges: [...workday.slice(0, 2), { start: '18:00', end: '24:00', period: 'STD' }],
          },
          { dayType: 'weekend', ranges: flat('OFF') },
          { dayType: 'holiday', ranges: flat('OFF') },
        ],
      },
    ],
    periods: [
      { id: 'OFF', name: 'off-peak', importRate: '0.1875', exportRate: '0.08', meterRate: 1 },
      { id: 'STD', name: 'standard', importRate: '0.2550', exportRate: '0.08', meterRate: 2 },
      { id: 'PEAK', name: 'peak', importRate: '0.3999', exportRate: '0.08', meterRate: 3 },
    ],
    fixedCharges: [
      { id: 'service', name: 'Service charge', amount: '0.3333', per: 'day' },
      { id: 'meter', name: 'Meter rental', amount: '2.50', per: 'cycle' },
    ],
    demandCharges: [{ id: 'peak-demand', name: 'Peak demand', rate: '4.125', periods: ['PEAK'] }],
    netMetering: 'none',
    taxes: [{ id: 'vat', name: 'VAT', ratePct: '19' }],
    ...extra,
  });
}

function fault(input: unknown): BillingError {
  try {
    validateTariff(input);
  } catch (e) {
    expect(e).toBeInstanceOf(BillingError);
    return e as BillingError;
  }
  throw new Error('expected the tariff to be refused');
}

describe('tariff validation', () => {
  it('accepts a complete tariff and normalises defaults', () => {
    const t = validateTariff(sampleTariff());
    expect(t.seasons).toHaveLength(2);
    const { specialDays, fixedCharges, demandCharges, taxes, ...rest } = sampleTariff();
    const minimal = validateTariff({ ...rest, netMetering: undefined, minorDigits: undefined });
    expect(minimal).toMatchObject({
      specialDays: [],
      fixedCharges: [],
      taxes: [],
      netMetering: 'none',
      minorDigits: 2,
    });
  });

  it('refuses overlapping ranges, naming the season, day profile and range', () => {
    const t = sampleTariff();
    t.seasons[1]!.days[0]!.ranges[1] = { start: '05:00', end: '18:00', period: 'STD' };
    const e = fault(t);
    expect(e.code).toBe('BILLING_INVALID');
    expect(e.detail?.field).toBe('seasons[1].days[0].ranges[1]');
    expect(e.message).toContain('05:00–18:00 overlaps ranges[0] 00:00–06:00');
  });

  it('refuses missing hours, naming the gap', () => {
    const t = sampleTariff();
    t.seasons[0]!.days[0]!.ranges.splice(2, 1);
    const e = fault(t);
    expect(e.detail?.field).toBe('seasons[0].days[0].ranges');
    expect(e.message).toContain('hours 18:00–22:00 are not covered');
    const t2 = sampleTariff();
    t2.seasons[0]!.days[0]!.ranges.pop();
    expect(fault(t2).message).toContain('hours 22:00–24:00 are not covered');
    const t3 = sampleTariff();
    t3.seasons[0]!.days.pop();
    expect(fault(t3).message).toContain('seasons[0].days: no day profile for day type "holiday"');
  });

  it('refuses unknown day types wherever they appear', () => {
    const t = sampleTariff();
    t.week[5] = 'saturday';
    expect(fault(t).message).toBe(
      'week[5]: unknown day type "saturday" (declared: workday, weekend, holiday)',
    );
    const t2 = sampleTariff();
    t2.specialDays[0]!.dayType = 'feast';
    expect(fault(t2).detail?.field).toBe('specialDays[0].dayType');
    const t3 = sampleTariff();
    t3.seasons[0]!.days[1]!.dayType = 'sunday';
    expect(fault(t3).detail?.field).toBe('seasons[0].days[1].dayType');
  });

  it('refuses unknown periods, bad times, negative or absurd prices, bad dates and zones', () => {
    const cases: [(t: TariffInput) => void, string][] = [
      [(t) => (t.seasons[0]!.days[0]!.ranges[0]!.period = 'NIGHT'), 'seasons[0].days[0].ranges[0].period'],
      [(t) => (t.seasons[0]!.days[0]!.ranges[0]!.end = '25:00'), 'seasons[0].days[0].ranges[0].end'],
      [(t) => (t.seasons[0]!.days[0]!.ranges[0]!.end = '00:00'), 'seasons[0].days[0].ranges[0]'],
      [(t) => (t.periods[0]!.importRate = '-0.1'), 'periods[0].importRate'],
      [(t) => (t.periods[0]!.importRate = '0,1'), 'periods[0].importRate'],
      [(t) => (t.periods[1]!.importRate = '99999999'), 'periods[1].importRate'],
      [(t) => ((t.periods[1] as { importRate: unknown }).importRate = 0.25), 'periods[1].importRate'],
      [(t) => (t.periods[2]!.id = 'OFF'), 'periods[2]'],
      [(t) => (t.specialDays[1]!.date = '2026-02-30'), 'specialDays[1].date'],
      [(t) => (t.seasons[1]!.start = '13-01'), 'seasons[1].start'],
      [(t) => (t.seasons[1]!.start = '10-01'), 'seasons[1]'],
      [(t) => (t.timeZone = 'Mars/Olympus'), 'timeZone'],
      [(t) => (t.currency = 'euro'), 'currency'],
      [(t) => (t.taxes[0]!.ratePct = '119'), 'taxes[0].ratePct'],
      [(t) => (t.demandCharges[0]!.periods = ['NIGHT']), 'demandCharges[0].periods[0]'],
      [(t) => ((t as { netMetering: string }).netMetering = 'banked'), 'netMetering'],
      [(t) => (t.week = t.week.slice(0, 6)), 'week'],
    ];
    for (const [mutate, field] of cases) {
      const t = structuredClone(sampleTariff());
      mutate(t);
      expect(fault(t).detail?.field, field).toBe(field);
    }
  });

  it('finds the period by season, day type, special day and local time across DST', () => {
    const c = new CompiledTariff(validateTariff(sampleTariff()));
    const at = (iso: string) => c.tariff.periods[c.periodIndexAt(Date.parse(iso))]!.id;
    // Winter workday (Mon 2 Nov 2026, CET = UTC+1): 18:30 local is peak.
    expect(at('2026-11-02T17:30:00Z')).toBe('PEAK');
    expect(at('2026-11-02T16:59:00Z')).toBe('STD');
    expect(at('2026-11-02T21:00:00Z')).toBe('OFF');
    // Saturday and the fixed-date holiday (a Wednesday) are off-peak all day.
    expect(at('2026-11-07T17:30:00Z')).toBe('OFF');
    expect(at('2026-11-18T17:30:00Z')).toBe('OFF');
    // Yearly special day.
    expect(at('2026-12-25T17:30:00Z')).toBe('OFF');
    // Summer (CEST = UTC+2): 19:00 local is standard in summer.
    expect(at('2026-06-03T17:00:00Z')).toBe('STD');
    // Before the first season start of the year (January): last year's winter season.
    expect(at('2026-01-05T17:30:00Z')).toBe('PEAK');
    // The DST change day (Sun 29 Mar 2026) is a weekend; Monday 30 Mar 06:00 CEST = 04:00 UTC.
    expect(at('2026-03-30T04:00:00Z')).toBe('STD');
    expect(at('2026-03-30T03:59:00Z')).toBe('OFF');
  });
});

describe('cycles', () => {
  it('runs calendar months and read days at local midnight (DST months are 743 or 745 hours)', () => {
    const g = billingGroup({ id: 'res', timeZone: 'Europe/Berlin' });
    const nov = cycleOf('2026-11', g);
    expect(new Date(nov.from).toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(new Date(nov.to).toISOString()).toBe('2026-11-30T23:00:00.000Z');
    const oct = cycleOf('2026-10', g);
    expect((oct.to - oct.from) / 3_600_000).toBe(31 * 24 + 1);
    const rd = billingGroup({ id: 'rd', timeZone: 'Asia/Kolkata', cycle: { kind: 'read-day', day: 15 } });
    const c = cycleOf('2026-01', rd);
    expect(new Date(c.from).toISOString()).toBe('2025-12-14T18:30:00.000Z');
    expect(new Date(c.to).toISOString()).toBe('2026-01-14T18:30:00.000Z');
    expect(() => cycleOf('2026-13', g)).toThrow(/cycle: must be a month YYYY-MM/);
    expect(() => billingGroup({ id: 'x', timeZone: 'UTC', cycle: { kind: 'read-day', day: 31 } })).toThrow(
      /read day must be an integer 1..28/,
    );
  });
});

function determinants(periods: [string, number, number, number | null][]): Determinants {
  return {
    meterId: 1,
    cycle: '2026-11',
    from: 0,
    to: 1,
    intervalSeconds: 900,
    expected: 0,
    actual: 0,
    estimated: 0,
    edited: 0,
    missing: 0,
    periods: periods.map(([period, imp, exp, md]) => ({
      period,
      importMilliWh: imp,
      exportMilliWh: exp,
      maxDemandMilliW: md,
      maxDemandAt: null,
      intervals: 1,
    })),
    importMilliWh: 0,
    exportMilliWh: 0,
    maxDemandMilliW: null,
    maxDemandAt: null,
    registerChecks: [],
    openExceptions: 0,
    unvalidatedDays: 0,
  };
}

describe('pricing', () => {
  it('prices every line exactly and rounds each once, half away from zero', () => {
    const t = validateTariff(sampleTariff());
    // OFF 123.456789 kWh × 0.1875 = 23.14814794 → 2315; STD 200 kWh × 0.2550 = 51.00 → 5100;
    // PEAK 10.002 kWh × 0.3999 = 3.9997998 → 400; service 30 × 0.3333 = 9.999 → 1000;
    // meter 250; demand 2.5 kW (PEAK) × 4.125 = 10.3125 → 1031;
    // VAT 19 % of 2315+5100+400+1000+250+1031 = 10096 → 1918.24 → 1918.
    const p = priceDeterminants(
      t,
      determinants([
        ['OFF', 123_456_789, 0, 9_000_000],
        ['STD', 200_000_000, 0, 4_000_000],
        ['PEAK', 10_002_000, 0, 2_500_000],
      ]),
      30,
    );
    expect(p.lines.map((l) => [l.code, l.quantity, l.amount])).toEqual([
      ['energy:OFF', '123.456789', 2315],
      ['energy:STD', '200', 5100],
      ['energy:PEAK', '10.002', 400],
      ['fixed:service', '30', 1000],
      ['fixed:meter', '1', 250],
      ['demand:peak-demand', '2.5', 1031],
      ['tax:vat', '100.96', 1918],
    ]);
    expect(p).toMatchObject({ subtotal: 10096, tax: 1918, total: 12014 });
  });

  it('nets or separates export per period', () => {
    const base = { fixedCharges: [], demandCharges: [], taxes: [] };
    const d = determinants([
      ['OFF', 10_000_000, 4_000_000, null],
      ['STD', 1_000_000, 6_000_000, null],
      ['PEAK', 0, 0, null],
    ]);
    const netted = priceDeterminants(validateTariff(sampleTariff({ ...base, netMetering: 'netted' })), d, 30);
    // OFF net 6 kWh × 0.1875 = 1.125 → 113; STD net −5 kWh credited × 0.08 = −0.40.
    expect(netted.lines.map((l) => [l.code, l.kind, l.amount])).toEqual([
      ['energy:OFF', 'energy', 113],
      ['export:STD', 'export-credit', -40],
      ['energy:PEAK', 'energy', 0],
    ]);
    const separate = priceDeterminants(
      validateTariff(sampleTariff({ ...base, netMetering: 'separate' })),
      d,
      30,
    );
    expect(separate.total).toBe(188 - 32 + 26 - 48 + 0 - 0);
  });

  it('rounds halves away from zero', () => {
    expect(roundDiv(5n, 10n)).toBe(1n);
    expect(roundDiv(-5n, 10n)).toBe(-1n);
    expect(roundDiv(4n, 10n)).toBe(0n);
    expect(roundDiv(15n, 10n)).toBe(2n);
  });
});
