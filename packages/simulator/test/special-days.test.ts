import { ClassId, encodeDayProfileTable, encodeSeasonProfile, encodeWeekProfileTable } from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { MeterModel } from '../src/model/meter-model.ts';
import { specialDateMatches } from '../src/truth/calendar.ts';
import { STEP_MS } from '../src/truth/time.ts';
import { DAY, fleet, HOUR, num, PROFILES, START } from './helpers.ts';

/**
 * Special days change which day profile, so which tariff, applies: the TOU registers follow
 * the special days table from the moment it is written (earlier energy keeps its tariff).
 */
const SD = '0.0.11.0.0.255';
const CAL = '0.0.13.0.0.255';
const ctx = { association: 'management', clientSap: 48 };
const T = START + 10 * HOUR + 5 * 60_000;
const ln = (obis: string): Uint8Array => Uint8Array.from(obis.split('.').map(Number));
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });
const entry = (index: number, date: number[], dayId: number): DlmsData =>
  struct(u16(index), octets(Uint8Array.from(date)), u8(dayId));
const tariff = (n: number): string => `1.0.1.8.${n}.255`;

/** Day 1: T2 all day; day 2: T5 all day; day 7: T6 all day. Every weekday is day 1. */
function calendar() {
  const flat = (dayId: number, rate: number) => ({
    dayId,
    schedule: [
      {
        startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
        scriptLogicalName: [0, 0, 10, 0, 100, 255] as const,
        scriptSelector: rate,
      },
    ],
  });
  const week = [
    {
      name: text('W'),
      monday: 1,
      tuesday: 1,
      wednesday: 1,
      thursday: 1,
      friday: 1,
      saturday: 1,
      sunday: 1,
    },
  ];
  const season = [
    {
      name: text('S'),
      start: {
        year: 0xffff,
        month: 1,
        dayOfMonth: 1,
        dayOfWeek: 0xff,
        hour: 0,
        minute: 0,
        second: 0,
        hundredths: 0,
        deviation: null,
        clockStatus: 0xff,
      },
      weekName: text('W'),
    },
  ];
  return {
    seasons: encodeSeasonProfile(season),
    weeks: encodeWeekProfileTable(week),
    days: encodeDayProfileTable([flat(1, 2), flat(2, 5), flat(7, 6)]),
  };
}

const truth = fleet({ consumers: 30, transformers: 1, mix: { residential: 1 } });
let next = 0;

/** A single-phase meter on the calendar above (activated at T). */
function meter(): { i: number; mm: MeterModel } {
  while (truth.meter(next).profile.id !== 'is15959-1ph') next++;
  const i = next++;
  const mm = new MeterModel(truth.meter(i), { now: () => T });
  const c = calendar();
  const set = (attr: number, v: DlmsData) =>
    mm.set(ctx, { classId: ClassId.ActivityCalendar, obis: ln(CAL), attributeId: attr }, v);
  expect([set(6, octets(text('HOL'))), set(7, c.seasons), set(8, c.weeks), set(9, c.days)]).toEqual([
    0, 0, 0, 0,
  ]);
  const activated = mm.action(
    ctx,
    { classId: ClassId.ActivityCalendar, obis: ln(CAL), methodId: 1 },
    {
      type: 'integer',
      value: 0,
    },
  );
  expect(activated.result).toBe(0);
  return { i, mm };
}

const special = (mm: MeterModel, method: number, p: DlmsData): number =>
  mm.action(ctx, { classId: ClassId.SpecialDaysTable, obis: ln(SD), methodId: method }, p).result;

/** Local midnight (the meter's offset) starting the local day `days` after T's. */
function localMidnight(i: number, days: number): number {
  const offset = truth.meter(i).profile.meter.utcOffsetMinutes * 60_000;
  return Math.floor((T + offset) / DAY) * DAY + days * DAY - offset;
}

const delta = (i: number, obis: string, from: number, to: number): number =>
  num(truth.registerAt(i, obis, to)) - num(truth.registerAt(i, obis, from));

describe('special days in the TOU', () => {
  it('the bundled IS 15959 models have the table and its control role', () => {
    for (const id of ['is15959-1ph', 'is15959-3ph', 'is15959-ct']) {
      const p = PROFILES.get(id)!;
      expect(p.objects.find((o) => o.obis === SD)?.class, id).toBe(ClassId.SpecialDaysTable);
      expect(p.control?.specialDays, id).toEqual({ obis: SD, association: 'management' });
    }
  });

  it('a special day inserted for tomorrow bills that whole local day on its day profile’s tariff', () => {
    const { i, mm } = meter();
    const from = localMidnight(i, 1);
    const to = from + DAY;
    const d = new Date(from + truth.meter(i).profile.meter.utcOffsetMinutes * 60_000);
    const date = [0xff, 0xff, d.getUTCMonth() + 1, d.getUTCDate(), 0xff];
    const t2Before = delta(i, tariff(2), from, to);
    expect(t2Before).toBeGreaterThan(0);
    expect(special(mm, 1, entry(3, date, 2))).toBe(0);

    const total = delta(i, '1.0.1.8.0.255', from, to);
    expect(total).toBeGreaterThan(0);
    expect(Math.abs(delta(i, tariff(5), from, to) - total)).toBeLessThanOrEqual(1);
    expect(delta(i, tariff(2), from, to)).toBe(0);
    // Today and the day after stay on the week's day profile (T2).
    expect(delta(i, tariff(5), T, from)).toBe(0);
    expect(delta(i, tariff(5), to, to + DAY)).toBe(0);
    expect(delta(i, tariff(2), to, to + DAY)).toBeGreaterThan(0);
  });

  it('a special day takes effect when written: energy before keeps its tariff; the lowest index wins', () => {
    const { i, mm } = meter();
    const today = localMidnight(i, 0);
    const d = new Date(today + truth.meter(i).profile.meter.utcOffsetMinutes * 60_000);
    // Today (year, month, day, weekday exact), and every day of this month at a higher index.
    const exact = [
      d.getUTCFullYear() >> 8,
      d.getUTCFullYear() & 0xff,
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCDay() || 7,
    ];
    const t2Morning = delta(i, tariff(2), today, T);
    expect(special(mm, 1, entry(9, [0xff, 0xff, d.getUTCMonth() + 1, 0xff, 0xff], 2))).toBe(0);
    expect(special(mm, 1, entry(4, exact, 7))).toBe(0);
    const written = Math.ceil(T / STEP_MS) * STEP_MS;
    expect(delta(i, tariff(2), today, T)).toBe(t2Morning);
    expect(delta(i, tariff(6), today, T)).toBe(0);
    const rest = delta(i, '1.0.1.8.0.255', written, today + DAY);
    expect(rest).toBeGreaterThan(0);
    expect(Math.abs(delta(i, tariff(6), written, today + DAY) - rest)).toBeLessThanOrEqual(1);
    // Tomorrow the month-wide entry (index 9) applies.
    expect(delta(i, tariff(5), today + DAY, today + 2 * DAY)).toBeGreaterThan(0);
  });

  it('an entry naming no day profile of the calendar, or deleted before its date, changes nothing', () => {
    const { i, mm } = meter();
    const from = localMidnight(i, 1);
    const d = new Date(from + truth.meter(i).profile.meter.utcOffsetMinutes * 60_000);
    const date = [0xff, 0xff, d.getUTCMonth() + 1, d.getUTCDate(), 0xff];
    expect(special(mm, 1, entry(1, date, 9))).toBe(0);
    expect(special(mm, 1, entry(2, date, 2))).toBe(0);
    expect(special(mm, 2, u16(2))).toBe(0);
    const total = delta(i, '1.0.1.8.0.255', from, from + DAY);
    expect(Math.abs(delta(i, tariff(2), from, from + DAY) - total)).toBeLessThanOrEqual(1);
    expect(delta(i, tariff(5), from, from + DAY)).toBe(0);
  });

  it('dates match with wildcards, the last and second last day of a month, and the weekday', () => {
    const on = { year: 2026, month: 2, day: 28, dayOfWeek: 6 };
    expect(specialDateMatches(Uint8Array.of(0xff, 0xff, 2, 0xfe, 0xff), on)).toBe(true);
    expect(specialDateMatches(Uint8Array.of(0xff, 0xff, 2, 0xfd, 0xff), on)).toBe(false);
    expect(
      specialDateMatches(Uint8Array.of(0xff, 0xff, 2, 0xfd, 0xff), { ...on, day: 27, dayOfWeek: 5 }),
    ).toBe(true);
    expect(specialDateMatches(Uint8Array.of(0x07, 0xea, 0xff, 0xff, 6), on)).toBe(true);
    expect(specialDateMatches(Uint8Array.of(0x07, 0xeb, 0xff, 0xff, 6), on)).toBe(false);
    expect(specialDateMatches(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 7), on)).toBe(false);
    expect(specialDateMatches(Uint8Array.of(0xff, 0xff, 0xfe, 28, 0xff), on)).toBe(false);
  });
});
