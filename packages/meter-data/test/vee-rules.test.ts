import { VeeRule } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import {
  channelGroup,
  channelGroups,
  DEFAULT_GROUP,
  groupFor,
  RESIDENTIAL_SPIKE,
} from '../src/vee/config.ts';
import { type Grid, makeGrid, SlotKind } from '../src/vee/series.ts';
import { type MeterEventLite, type RegisterPoint, validateChannel } from '../src/vee/validate.ts';
import { daysCovering } from '../src/vee/zone.ts';

const I = 900_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

/** A smooth daily load in Wh per quarter hour (never zero, never flat for long). */
function load(t: number): number {
  const h = ((t % DAY) / 3_600_000 + 24) % 24;
  return Math.round(200 + 120 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + 15 * Math.sin(h * 1.7));
}

function grid(days = 2, fill = true): Grid {
  const g = makeGrid(daysCovering(T0, T0 + days * DAY, 'UTC'), I);
  if (fill) {
    for (let i = 0; i < g.ts.length; i++) {
      g.values[i] = load(g.ts[i]!);
      g.kind[i] = SlotKind.real;
    }
  }
  return g;
}

const group = channelGroup({ id: 'res', validation: { highLimit: { max: 2000 }, lowLimit: { min: -1 } } });

function run(
  g: Grid,
  extra: {
    register?: RegisterPoint[];
    events?: MeterEventLite[];
    status?: Map<number, number>;
    unit?: string;
    intervalSeconds?: number;
    isImport?: boolean;
    offGrid?: number[];
  } = {},
) {
  return validateChannel({
    meterId: 1,
    channelId: 7,
    group,
    grid: g,
    channel: {
      intervalSeconds: extra.intervalSeconds ?? 900,
      unit: extra.unit ?? 'Wh',
      isImport: extra.isImport ?? true,
    },
    register: extra.register ? { channelId: 8, points: extra.register } : null,
    status: extra.status ?? null,
    events: extra.events ?? [],
    offGrid: extra.offGrid ?? [],
    dueUntil: Number.MAX_SAFE_INTEGER,
  });
}

const found = (r: ReturnType<typeof run>) =>
  [...r.exceptions, ...r.registerExceptions].map((e) => [e.rule, (e.from - T0) / I, (e.to - T0) / I]);

describe('VEE validation rules on crafted series', () => {
  it('a clean smooth series raises nothing', () => {
    const r = run(grid());
    expect(found(r)).toEqual([]);
    expect(r.suspect.every((s) => s === 0)).toBe(true);
  });

  it('missing: one finding per gap and day, an estimate still counts as missing real data', () => {
    const g = grid();
    for (const i of [10, 11, 12, 95, 96, 97]) {
      g.kind[i] = SlotKind.none;
      g.values[i] = Number.NaN;
    }
    g.kind[150] = SlotKind.estimated;
    const r = run(g);
    // Slot index i ends at T0 + (i + 1) × 15 min; the gap over midnight is split per day.
    expect(found(r)).toEqual([
      [VeeRule.missing, 11, 13],
      [VeeRule.missing, 96, 96],
      [VeeRule.missing, 97, 98],
      [VeeRule.missing, 151, 151],
    ]);
    expect(r.exceptions.map((e) => e.day)).toEqual(['2026-01-05', '2026-01-05', '2026-01-06', '2026-01-06']);
    expect(r.exceptions.every((e) => e.qualityCode === '3.5.259')).toBe(true);
  });

  it('spike: the highest interval against the third-highest, one per day', () => {
    const g = grid();
    g.values[40] = 5 * 340; // about five times the day's peak
    g.values[130] = 330; // a plain peak on day 2: not a spike
    const r = run(g);
    expect(found(r)).toEqual([[VeeRule.spike, 41, 41]]);
    expect(r.suspect[40]).toBe(1);
    expect(r.exceptions[0]!.detail).toMatchObject({ value: 1700 });
  });

  it('spike, residential defaults: appliance bursts are not spikes, a misread still is', () => {
    const res = channelGroup({ id: 'houses', match: { customerClasses: ['residential'] } });
    expect(res.validation.spike).toEqual(RESIDENTIAL_SPIKE);
    // A group mixing classes, or one for C&I, keeps the general rule.
    expect(channelGroup({ id: 'ci', match: { customerClasses: ['commercial'] } }).validation.spike).toEqual(
      DEFAULT_GROUP.validation.spike,
    );
    expect(
      channelGroup({ id: 'mix', match: { customerClasses: ['residential', 'commercial'] } }).validation.spike,
    ).toEqual(DEFAULT_GROUP.validation.spike);
    // Shipped groups: a residential meter with no group configured gets the residential one.
    expect(channelGroups().map((g) => g.id)).toEqual(['residential', 'default']);
    expect(groupFor([], { model: 'x', customerClass: 'residential' }).validation.spike).toEqual(
      RESIDENTIAL_SPIKE,
    );
    expect(groupFor([], { model: 'x', customerClass: 'industrial' }).id).toBe('default');
    // A house: 30 Wh base, a kettle (600 Wh) one quarter hour and an iron (400 Wh) another.
    const g = grid();
    for (let i = 0; i < g.ts.length; i++) g.values[i] = 30 + (i % 5);
    g.values[30] = 600;
    g.values[70] = 400;
    g.values[96 + 50] = 4_000; // day 2: a misread, 4 kWh in a quarter hour
    const r = validateChannel({
      meterId: 1,
      channelId: 7,
      group: res,
      grid: g,
      channel: { intervalSeconds: 900, unit: 'Wh', isImport: true },
      register: null,
      status: null,
      events: [],
      offGrid: [],
      dueUntil: Number.MAX_SAFE_INTEGER,
    });
    expect(found(r).filter((f) => f[0] === VeeRule.spike)).toEqual([[VeeRule.spike, 147, 147]]);
    // The general rule would have called the kettle a spike.
    expect(found(run(g)).filter((f) => f[0] === VeeRule.spike)).toContainEqual([VeeRule.spike, 31, 31]);
  });

  it('high and low limits, negative on an import channel only', () => {
    const g = grid();
    g.values[5] = 2500;
    g.values[6] = 2600;
    g.values[50] = -3;
    const r = run(g, {});
    expect(found(r)).toEqual([
      [VeeRule.highLimit, 6, 7],
      [VeeRule.lowLimit, 51, 51],
      [VeeRule.negative, 51, 51],
      [VeeRule.spike, 7, 7],
    ]);
    const exportSide = run(g, { isImport: false });
    expect(found(exportSide).map((f) => f[0])).not.toContain(VeeRule.negative);
  });

  it('zero runs of at least 8 intervals, not shorter; none while the relay is open', () => {
    const g = grid();
    for (let i = 20; i < 28; i++) g.values[i] = 0; // 8: a finding
    for (let i = 60; i < 67; i++) g.values[i] = 0; // 7: not
    for (let i = 120; i < 140; i++) g.values[i] = 0; // relay open from slot 119's end to slot 140's end
    const open = [
      { ts: T0 + 120 * I, category: 'disconnector', code: 62 },
      { ts: T0 + 140 * I, category: 'disconnector', code: 63 },
    ];
    expect(found(run(g, { events: open }))).toEqual([[VeeRule.zeroRun, 21, 28]]);
    // Zeros right after a power failure are an outage: flagged as such, not a zero run.
    const outage = [...open, { ts: T0 + 20 * I - 60_000, category: 'power-failure', code: 101 }];
    expect(found(run(g, { events: outage }))).toEqual([[VeeRule.eventFlag, 20, 20]]);
    expect(found(run(g)).map((f) => f[0])).toEqual([VeeRule.zeroRun, VeeRule.zeroRun]);
  });

  it('flat lines: equal non-zero values for 8 intervals or more', () => {
    const g = grid();
    for (let i = 30; i < 39; i++) g.values[i] = 250; // 9
    for (let i = 100; i < 107; i++) g.values[i] = 260; // 7: not
    expect(found(run(g))).toEqual([[VeeRule.flatLine, 31, 39]]);
  });

  it('usage while the relay is open', () => {
    const g = grid();
    for (let i = 0; i < g.ts.length; i++) if (i >= 50 && i < 60) g.values[i] = i < 55 ? 0 : 40;
    const events = [
      { ts: T0 + 50 * I, category: 'disconnector', code: 60 },
      { ts: T0 + 60 * I, category: 'disconnector', code: 61 },
    ];
    expect(found(run(g, { events }))).toEqual([[VeeRule.usageWhileOpen, 56, 60]]);
  });

  it('registers: backwards, rollover, and the sum check against the delta', () => {
    const g = grid();
    let reg = 1_000_000;
    const pts: RegisterPoint[] = [{ ts: T0, value: reg }];
    for (let i = 0; i < g.ts.length; i++) {
      reg += g.values[i]!;
      if ((i + 1) % 24 === 0) pts.push({ ts: g.ts[i]!, value: reg });
    }
    expect(found(run(g, { register: pts }))).toEqual([]);
    // Lost pulses: the intervals of the 3rd block sum 5 % less than the register moved.
    const lossy = grid();
    for (let i = 48; i < 72; i++) lossy.values[i] = Math.round(lossy.values[i]! * 0.95);
    expect(found(run(lossy, { register: pts }))).toEqual([[VeeRule.sumCheck, 49, 72]]);
    // A register reset (backwards from the 5th read on) and a rollover near the configured size.
    const back = pts.map((p, k) => (k >= 4 ? { ...p, value: p.value - 1_000_000 } : p));
    const r = run(g, { register: back });
    expect(found(r).map((f) => f[0])).toEqual([VeeRule.registerBackwards]);
    expect(r.registerExceptions[0]!.channelId).toBe(8);
    const rolled = channelGroup({ id: 'r', validation: { register: { rolloverAt: 1_000_000 } } });
    const roll = validateChannel({
      ...{
        meterId: 1,
        channelId: 7,
        grid: g,
        status: null,
        events: [],
        offGrid: [],
        dueUntil: Number.MAX_SAFE_INTEGER,
      },
      group: rolled,
      channel: { intervalSeconds: 900, unit: 'Wh', isImport: true },
      register: {
        channelId: 8,
        points: [
          { ts: T0 + 24 * I, value: 999_990 },
          { ts: T0 + 48 * I, value: 3_000 },
        ],
      },
    });
    expect(roll.registerExceptions.map((e) => e.rule)).toEqual([VeeRule.registerRollover]);
  });

  it('meter status flags and power-failure / clock events flag their interval and the day', () => {
    const g = grid();
    const status = new Map([
      [g.ts[10]!, 1 << 7],
      [g.ts[11]!, 1 << 3], // DST bit only: not a flag
    ]);
    const events = [{ ts: g.ts[100]! - 60_000, category: 'power-failure', code: 1 }];
    const r = run(g, { status, events });
    expect(found(r)).toEqual([
      [VeeRule.meterFlag, 11, 11],
      [VeeRule.eventFlag, 101, 101],
    ]);
    expect(r.exceptions.map((e) => e.qualityCode)).toEqual(['1.2.32', '2.2.32']);
    expect(r.flaggedDays).toEqual([true, true]);
    // Flags are informational: the values stay valid.
    expect(r.suspect.every((s) => s === 0)).toBe(true);
  });

  it('interval length and unit of the channel, values off the grid', () => {
    const g = grid(1);
    // The group takes each channel's own length: only the value off the grid and the unit.
    const r = run(g, { intervalSeconds: 1800, unit: 'kWh', offGrid: [T0 + 7 * 60_000] });
    expect(found(r)).toEqual([
      [VeeRule.intervalLength, 1, 1],
      [VeeRule.unit, 1, 1],
    ]);
    // A group that fixes 15 minutes flags a 30-minute channel on each day.
    const fixed = validateChannel({
      meterId: 1,
      channelId: 7,
      group: channelGroup({ id: 'q', intervalSeconds: 900 }),
      grid: g,
      channel: { intervalSeconds: 1800, unit: 'Wh', isImport: true },
      register: null,
      status: null,
      events: [],
      offGrid: [],
      dueUntil: Number.MAX_SAFE_INTEGER,
    });
    expect(fixed.exceptions.map((e) => [e.rule, e.detail])).toEqual([
      [VeeRule.intervalLength, { configured: 900, channel: 1800 }],
    ]);
  });

  it('slots not due yet are not missing', () => {
    const g = grid(1);
    for (let i = 80; i < 96; i++) {
      g.kind[i] = SlotKind.none;
      g.values[i] = Number.NaN;
    }
    const r = validateChannel({
      meterId: 1,
      channelId: 7,
      group,
      grid: g,
      channel: { intervalSeconds: 900, unit: 'Wh', isImport: true },
      register: null,
      status: null,
      events: [],
      offGrid: [],
      dueUntil: g.ts[85]!,
    });
    expect(found(r)).toEqual([[VeeRule.missing, 81, 86]]);
  });
});
