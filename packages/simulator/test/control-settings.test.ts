import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDayProfileTable, encodeSeasonProfile, encodeWeekProfileTable } from '@openhes/cosem';
import {
  aesKeyWrap,
  type DlmsData,
  dateTimeFromData,
  dateTimeFromInstant,
  dateTimeToInstant,
  dateTimeToOctets,
} from '@openhes/dlms';
import { afterAll, describe, expect, it } from 'vitest';
import { journalMethods, readMethodJournal } from '../src/model/control.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import { STEP_MS } from '../src/truth/time.ts';
import { issuedSecrets } from '../src/truth/values.ts';
import { fleet, HOUR, num, PROFILES, START } from './helpers.ts';

const ctx = { association: 'management', clientSap: 48 };
const T = START + 10 * HOUR + 5 * 60_000;
const ln = (obis: string): Uint8Array => Uint8Array.from(obis.split('.').map(Number));
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });

/** The single-phase model (its special days table 0.0.11.0.0.255 comes from is15959-common). */
const base = PROFILES.get('is15959-1ph')!;
const profiles = PROFILES;
const truth = fleet({ consumers: 30, transformers: 1, mix: { residential: 1 }, profiles });

let next = 0;
function meter(): { i: number; mm: MeterModel; clock: { now: number } } {
  while (truth.meter(next).profile.id !== base.id) next++;
  const i = next++;
  const clock = { now: T };
  return { i, clock, mm: new MeterModel(truth.meter(i), { now: () => clock.now }) };
}

const get = (mm: MeterModel, classId: number, obis: string, attr: number): DlmsData | number =>
  mm.get(ctx, { classId, obis: ln(obis), attributeId: attr });
const set = (mm: MeterModel, classId: number, obis: string, attr: number, v: DlmsData): number =>
  mm.set(ctx, { classId, obis: ln(obis), attributeId: attr }, v);
const act = (mm: MeterModel, classId: number, obis: string, method: number, p: DlmsData): number =>
  mm.action(ctx, { classId, obis: ln(obis), methodId: method }, p).result;

function dateTime(t: number): DlmsData {
  return octets(dateTimeToOctets(dateTimeFromInstant(new Date(t), { deviation: -330 })));
}

const CAL = '0.0.13.0.0.255';

function flatCalendar(rate: number, dayId = 1) {
  const day = [
    {
      dayId,
      schedule: [
        {
          startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
          scriptLogicalName: [0, 0, 10, 0, 100, 255] as const,
          scriptSelector: rate,
        },
      ],
    },
  ];
  const week = [
    {
      name: text('W'),
      monday: dayId,
      tuesday: dayId,
      wednesday: dayId,
      thursday: dayId,
      friday: dayId,
      saturday: dayId,
      sunday: dayId,
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
    days: encodeDayProfileTable(day),
  };
}

describe('activity calendar and special days (model)', () => {
  it('a timed activation takes the passive calendar as written before its time; the tariff register follows', () => {
    const { i, mm, clock } = meter();
    const first = flatCalendar(7);
    expect(set(mm, 20, CAL, 6, octets(text('P1')))).toBe(0);
    expect(set(mm, 20, CAL, 7, first.seasons)).toBe(0);
    expect(set(mm, 20, CAL, 8, first.weeks)).toBe(0);
    expect(set(mm, 20, CAL, 9, first.days)).toBe(0);
    const at = Math.ceil(T / STEP_MS) * STEP_MS + 2 * HOUR;
    expect(set(mm, 20, CAL, 10, dateTime(at))).toBe(0);
    // The day profile changes after attr 10 was written: the activation takes the new one.
    expect(set(mm, 20, CAL, 9, flatCalendar(8).days)).toBe(0);
    for (const a of [6, 7, 8, 9]) expect(get(mm, 20, CAL, a), `passive ${a}`).toBeDefined();
    expect(get(mm, 20, CAL, 6)).toEqual(octets(text('P1')));
    expect(get(mm, 20, CAL, 2)).toEqual(octets(text('FACTORY')));
    const t8 = num(truth.registerAt(i, '1.0.1.8.8.255', at));
    const t7 = num(truth.registerAt(i, '1.0.1.8.7.255', at));
    clock.now = at + 3 * HOUR;
    expect(get(mm, 20, CAL, 2)).toEqual(octets(text('P1')));
    expect(get(mm, 20, CAL, 5)).toEqual(flatCalendar(8).days);
    expect(get(mm, 20, CAL, 3)).toEqual(first.seasons);
    expect(get(mm, 20, CAL, 4)).toEqual(first.weeks);
    const kwh =
      num(truth.registerAt(i, '1.0.1.8.0.255', clock.now)) - num(truth.registerAt(i, '1.0.1.8.0.255', at));
    expect(Math.abs(num(truth.registerAt(i, '1.0.1.8.8.255', clock.now)) - t8 - kwh)).toBeLessThanOrEqual(1);
    expect(kwh).toBeGreaterThan(0);
    expect(num(truth.registerAt(i, '1.0.1.8.7.255', clock.now))).toBe(t7);
    expect(num(truth.registerAt(i, '1.0.1.8.8.255', at - STEP_MS))).toBe(t8);
    expect(
      truth
        .state(i)!
        .events.filter((e) => e.code === 155)
        .map((e) => e.at),
    ).toEqual([at]);
  });

  it('an all-0xFF activation time cancels a scheduled activation', () => {
    const { i, mm, clock } = meter();
    const c = flatCalendar(6);
    set(mm, 20, CAL, 7, c.seasons);
    set(mm, 20, CAL, 8, c.weeks);
    set(mm, 20, CAL, 9, c.days);
    expect(set(mm, 20, CAL, 10, dateTime(T + HOUR))).toBe(0);
    expect(set(mm, 20, CAL, 10, octets(new Uint8Array(12).fill(0xff)))).toBe(0);
    clock.now = T + 3 * HOUR;
    expect(get(mm, 20, CAL, 2)).toEqual(octets(text('FACTORY')));
    expect(truth.state(i)!.calendars).toEqual([]);
    // Method 1 activates now.
    expect(act(mm, 20, CAL, 1, { type: 'integer', value: 0 })).toBe(0);
    expect(get(mm, 20, CAL, 5)).toEqual(c.days);
  });

  it('special days: attr 2 written and read back; insert overwrites an index, delete removes it', () => {
    const { mm } = meter();
    const SD = '0.0.11.0.0.255';
    const day = (index: number, month: number, d: number, id: number): DlmsData =>
      struct(u16(index), octets(Uint8Array.of(0xff, 0xff, month, d, 0xff)), u8(id));
    const table: DlmsData = { type: 'array', value: [day(2, 12, 25, 2), day(1, 1, 26, 3)] };
    expect(get(mm, 11, SD, 2)).toEqual({ type: 'array', value: [] });
    expect(set(mm, 11, SD, 2, table)).toBe(0);
    expect(get(mm, 11, SD, 2)).toEqual({ type: 'array', value: [day(1, 1, 26, 3), day(2, 12, 25, 2)] });
    expect(act(mm, 11, SD, 1, day(1, 8, 15, 4))).toBe(0);
    expect(act(mm, 11, SD, 1, day(7, 10, 2, 2))).toBe(0);
    expect(act(mm, 11, SD, 2, u16(2))).toBe(0);
    expect(get(mm, 11, SD, 2)).toEqual({ type: 'array', value: [day(1, 8, 15, 4), day(7, 10, 2, 2)] });
    expect(set(mm, 11, SD, 2, { type: 'array', value: [day(1, 1, 1, 1), day(1, 2, 2, 2)] })).toBe(12);
    expect(act(mm, 11, SD, 1, u16(3))).toBe(12);
    expect(get(mm, 11, SD, 2)).toEqual({ type: 'array', value: [day(1, 8, 15, 4), day(7, 10, 2, 2)] });
  });
});

describe('clock (model)', () => {
  const CLOCK = '0.0.1.0.0.255';
  const clockAt = (mm: MeterModel): number => {
    const dt = dateTimeFromData(get(mm, 8, CLOCK, 2) as DlmsData);
    dt.deviation = -330;
    return dateTimeToInstant(dt).getTime();
  };

  it('shift_time moves the clock by ±900 s at most; outside that it is refused and nothing moves', () => {
    const { i, mm } = meter();
    const before = clockAt(mm);
    expect(act(mm, 8, CLOCK, 6, { type: 'long', value: 900 })).toBe(0);
    expect(clockAt(mm) - before).toBe(900_000);
    expect(act(mm, 8, CLOCK, 6, { type: 'long', value: -901 })).toBe(250);
    expect(act(mm, 8, CLOCK, 6, { type: 'long', value: 901 })).toBe(250);
    expect(act(mm, 8, CLOCK, 6, { type: 'long-unsigned', value: 5 })).toBe(12);
    expect(clockAt(mm) - before).toBe(900_000);
    expect(act(mm, 8, CLOCK, 6, { type: 'long', value: -60 })).toBe(0);
    expect(clockAt(mm) - before).toBe(840_000);
    expect(truth.state(i)!.events.filter((e) => e.code === 151)).toHaveLength(2);
  });

  it('set time (attr 2), adjust_to_minute, and the time zone and DST attributes read back as written', () => {
    const { mm } = meter();
    const target = T + 42 * 60_000 + 31_000;
    expect(set(mm, 8, CLOCK, 2, dateTime(target))).toBe(0);
    expect(Math.abs(clockAt(mm) - target)).toBeLessThan(1000);
    expect(act(mm, 8, CLOCK, 3, { type: 'integer', value: 0 })).toBe(0);
    expect(clockAt(mm)).toBe(target - 31_000 + 60_000);
    const writes: [number, DlmsData][] = [
      [3, { type: 'long', value: -120 }],
      [5, octets(Uint8Array.of(0xff, 0xff, 3, 0xfe, 7, 2, 0, 0, 0, 0x80, 0, 0xff))],
      [6, octets(Uint8Array.of(0xff, 0xff, 10, 0xfe, 7, 3, 0, 0, 0, 0x80, 0, 0xff))],
      [7, { type: 'integer', value: 60 }],
      [8, { type: 'boolean', value: true }],
    ];
    for (const [a, v] of writes) expect(set(mm, 8, CLOCK, a, v), `attr ${a}`).toBe(0);
    for (const [a, v] of writes) expect(get(mm, 8, CLOCK, a), `attr ${a}`).toEqual(v);
    expect(set(mm, 8, CLOCK, 3, { type: 'long', value: 800 })).toBe(250);
    expect(set(mm, 8, CLOCK, 7, { type: 'integer', value: 121 })).toBe(250);
    expect(get(mm, 8, CLOCK, 3)).toEqual({ type: 'long', value: -120 });
  });
});

describe('push setup (model)', () => {
  it('attributes 2..7 read back as written; a TCP destination must be host:port', () => {
    const { mm } = meter();
    const PUSH = '0.0.25.9.0.255';
    const dt = (t: number): DlmsData => dateTime(t);
    const writes: [number, DlmsData][] = [
      [
        2,
        {
          type: 'array',
          value: [struct(u16(1), octets(ln('0.0.96.1.0.255')), { type: 'integer', value: 2 }, u16(0))],
        },
      ],
      [3, struct({ type: 'enum', value: 0 }, octets(text('10.0.0.1:4059')), { type: 'enum', value: 0 })],
      [4, { type: 'array', value: [struct(dt(T), dt(T + HOUR))] }],
      [5, u16(600)],
      [6, u8(5)],
      [7, u16(45)],
    ];
    for (const [a, v] of writes) expect(set(mm, 40, PUSH, a, v), `attr ${a}`).toBe(0);
    for (const [a, v] of writes) expect(get(mm, 40, PUSH, a), `attr ${a}`).toEqual(v);
    const bad = struct({ type: 'enum', value: 0 }, octets(text('10.0.0.1')), { type: 'enum', value: 0 });
    expect(set(mm, 40, PUSH, 3, bad)).toBe(250);
    expect(set(mm, 40, PUSH, 6, u16(5))).toBe(12);
    expect(get(mm, 40, PUSH, 3)).toEqual(writes[1]![1]);
  });
});

describe('security setup (model)', () => {
  const SEC = '0.0.43.0.3.255';
  it('security_activate only strengthens the policy', () => {
    const { mm } = meter();
    expect(get(mm, 64, SEC, 2)).toEqual({ type: 'enum', value: 3 });
    expect(act(mm, 64, SEC, 1, { type: 'enum', value: 2 })).toBe(250);
    expect(act(mm, 64, SEC, 1, { type: 'enum', value: 3 })).toBe(0);
    expect(act(mm, 64, '0.0.43.0.2.255', 1, { type: 'enum', value: 1 })).toBe(0);
    expect(get(mm, 64, '0.0.43.0.2.255', 2)).toEqual({ type: 'enum', value: 1 });
    expect(act(mm, 64, '0.0.43.0.2.255', 1, { type: 'enum', value: 0 })).toBe(250);
  });

  it('a key transfer with a key that does not unwrap, or an unknown key id, changes no key', () => {
    const { i, mm } = meter();
    const kek = issuedSecrets(truth.meter(i)).kek;
    const good = struct({ type: 'enum', value: 2 }, octets(aesKeyWrap(kek, new Uint8Array(16).fill(7))));
    const wrongKek = struct(
      { type: 'enum', value: 0 },
      octets(aesKeyWrap(new Uint8Array(16), new Uint8Array(16))),
    );
    const unknown = struct({ type: 'enum', value: 1 }, octets(aesKeyWrap(kek, new Uint8Array(16))));
    expect(act(mm, 64, SEC, 2, { type: 'array', value: [good, wrongKek] })).toBe(250);
    expect(act(mm, 64, SEC, 2, { type: 'array', value: [good, unknown] })).toBe(250);
    expect(truth.state(i)!.ak).toBeUndefined();
    expect(truth.state(i)!.ek).toBeUndefined();
    expect(act(mm, 64, SEC, 2, { type: 'array', value: [good] })).toBe(0);
    expect(truth.state(i)!.ak).toEqual(new Uint8Array(16).fill(7));
    expect(
      truth
        .state(i)!
        .events.filter((e) => e.log === 'transaction')
        .map((e) => e.code),
    ).toEqual([164]);
  });
});

describe('method journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-journal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one line per invocation, summed per meter; image block counts carried', () => {
    const path = join(dir, 'methods.jsonl');
    const close = journalMethods(truth, path);
    const a = meter();
    const b = meter();
    act(a.mm, 70, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 });
    act(a.mm, 70, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 });
    act(
      b.mm,
      18,
      '0.0.44.0.0.255',
      1,
      struct(octets(text('X')), { type: 'double-long-unsigned', value: 300 }),
    );
    for (const n of [0, 0, 1])
      act(
        b.mm,
        18,
        '0.0.44.0.0.255',
        2,
        struct({ type: 'double-long-unsigned', value: n }, octets(new Uint8Array(n === 1 ? 100 : 200))),
      );
    close();
    act(a.mm, 70, '0.0.96.3.10.255', 2, { type: 'integer', value: 0 });
    const sums = readMethodJournal(path);
    expect(sums.get(a.i)).toEqual({
      methods: { '70/0.0.96.3.10.255/1': 2 },
      imageBlocks: { received: 0, duplicates: 0 },
    });
    expect(sums.get(b.i)).toEqual({
      methods: { '18/0.0.44.0.0.255/1': 1, '18/0.0.44.0.0.255/2': 3 },
      imageBlocks: { received: 3, duplicates: 1 },
    });
  });
});
