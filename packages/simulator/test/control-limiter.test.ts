import { type DlmsData, dateTimeFromInstant, dateTimeToOctets } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { manualReconnect, setControlMode } from '../src/model/control.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { STEP_MS } from '../src/truth/time.ts';
import { fleet, HOUR, START } from './helpers.ts';

const LIMITER = Uint8Array.of(0, 0, 17, 0, 0, 255);
const DC = Uint8Array.of(0, 0, 96, 3, 10, 255);
const ctx = { association: 'management', clientSap: 48 };
const T = START + 8 * HOUR + 7 * 60_000;
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });

const truth: Truth = fleet({ consumers: 60, transformers: 1, mix: { residential: 1 } });
let next = 0;
function freshMeter(): number {
  while (truth.meter(next).profile.id !== 'is15959-1ph') next++;
  return next++;
}

function model(i: number, clock: { now: number }): MeterModel {
  return new MeterModel(truth.meter(i), { now: () => clock.now });
}

const set = (mm: MeterModel, attr: number, v: DlmsData): number =>
  mm.set(ctx, { classId: 71, obis: LIMITER, attributeId: attr }, v);
const get = (mm: MeterModel, attr: number): DlmsData | number =>
  mm.get(ctx, { classId: 71, obis: LIMITER, attributeId: attr });
const relay = (mm: MeterModel): { output: unknown; control: unknown } => {
  const v = (a: number): unknown =>
    (mm.get(ctx, { classId: 70, obis: DC, attributeId: a }) as { value: unknown }).value;
  return { output: v(2), control: v(3) };
};

function dateTime(t: number): DlmsData {
  return {
    type: 'octet-string',
    value: dateTimeToOctets(dateTimeFromInstant(new Date(t), { deviation: -330 })),
  };
}

function emergencyProfile(id: number, at: number, seconds: number): DlmsData {
  return { type: 'structure', value: [u16(id), dateTime(at), u32(seconds)] };
}

const boundary = (t: number): number => Math.ceil(t / STEP_MS) * STEP_MS;

describe('limiter (model)', () => {
  it('every writable attribute reads back as written; threshold_active follows the emergency profile', () => {
    const clock = { now: T };
    const mm = model(freshMeter(), clock);
    const monitored: DlmsData = {
      type: 'structure',
      value: [
        u16(3),
        { type: 'octet-string', value: Uint8Array.of(1, 0, 1, 7, 0, 255) },
        { type: 'integer', value: 2 },
      ],
    };
    const script = (sel: number): DlmsData => ({
      type: 'structure',
      value: [{ type: 'octet-string', value: Uint8Array.of(0, 0, 10, 0, 106, 255) }, u16(sel)],
    });
    const actions: DlmsData = { type: 'structure', value: [script(7), script(8)] };
    const start = T + HOUR;
    const writes: [number, DlmsData][] = [
      [2, monitored],
      [4, u32(9000)],
      [5, u32(2500)],
      [6, u32(120)],
      [7, u32(600)],
      [8, emergencyProfile(42, start, 7200)],
      [9, { type: 'array', value: [u16(3), u16(42)] }],
      [11, actions],
    ];
    for (const [attr, v] of writes) expect(set(mm, attr, v), `attr ${attr}`).toBe(0);
    for (const [attr, v] of writes) expect(get(mm, attr), `attr ${attr}`).toEqual(v);
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: false });
    expect(get(mm, 3)).toEqual(u32(9000));
    clock.now = start;
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: true });
    expect(get(mm, 3)).toEqual(u32(2500));
    clock.now = start + 7200_000 - 1;
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: true });
    clock.now = start + 7200_000;
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: false });
    expect(get(mm, 3)).toEqual(u32(9000));
    expect(set(mm, 4, { type: 'octet-string', value: new Uint8Array(1) })).toBe(12);
    expect(get(mm, 4)).toEqual(u32(9000));
  });

  it('an emergency profile whose id is not in the group list never becomes active', () => {
    const clock = { now: T };
    const mm = model(freshMeter(), clock);
    expect(set(mm, 8, emergencyProfile(5, T, 3600))).toBe(0);
    expect(set(mm, 9, { type: 'array', value: [u16(6)] })).toBe(0);
    clock.now = T + 60_000;
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: false });
    expect(set(mm, 9, { type: 'array', value: [u16(6), u16(5)] })).toBe(0);
    expect(get(mm, 10)).toEqual({ type: 'boolean', value: true });
  });

  it('the emergency threshold trips the relay only inside the profile window (local disconnect g)', () => {
    const clock = { now: T };
    const i = freshMeter();
    const mm = model(i, clock);
    const start = boundary(T) + HOUR;
    expect(set(mm, 4, u32(1_000_000_000))).toBe(0);
    expect(set(mm, 5, u32(1))).toBe(0);
    expect(set(mm, 8, emergencyProfile(1, start, 7200))).toBe(0);
    expect(set(mm, 9, { type: 'array', value: [u16(1)] })).toBe(0);
    clock.now = start - 1;
    expect(relay(mm)).toEqual({ output: true, control: 1 });
    clock.now = start + 2 * HOUR;
    expect(relay(mm)).toEqual({ output: false, control: 2 });
    const off = truth.state(i)!.relay;
    expect(off).toEqual([{ at: start + STEP_MS, connected: false, cause: 'limiter' }]);
    expect(
      truth
        .state(i)!
        .events.filter((e) => e.log === 'control')
        .map((e) => e.code),
    ).toEqual([301]);
  });

  it('min_over_threshold_duration: 1,800 s above trips at the end of the second period', () => {
    const clock = { now: T };
    const i = freshMeter();
    const mm = model(i, clock);
    expect(set(mm, 6, u32(1800))).toBe(0);
    expect(set(mm, 4, u32(1))).toBe(0);
    clock.now = T + 3 * HOUR;
    expect(relay(mm).control).toBe(2);
    expect(truth.state(i)!.relay[0]!.at).toBe(boundary(T) + 2 * STEP_MS);
  });

  it('mode 5: the under-threshold action reconnects after min_under_threshold_duration (h), then it trips again', () => {
    const clock = { now: T };
    const i = freshMeter();
    setControlMode(truth, i, 5);
    const mm = model(i, clock);
    expect(set(mm, 7, u32(1800))).toBe(0);
    expect(set(mm, 4, u32(1))).toBe(0);
    const trip = boundary(T) + STEP_MS;
    clock.now = trip + 2 * STEP_MS + STEP_MS / 2;
    expect(relay(mm)).toEqual({ output: true, control: 1 });
    clock.now = trip + 4 * STEP_MS;
    expect(relay(mm)).toEqual({ output: false, control: 2 });
    expect(truth.state(i)!.relay).toEqual([
      { at: trip, connected: false, cause: 'limiter' },
      { at: trip + 2 * STEP_MS, connected: true, cause: 'local' },
      { at: trip + 3 * STEP_MS, connected: false, cause: 'limiter' },
    ]);
  });

  it('mode 4: a tripped relay waits for the customer (no local reconnect), the button closes it', () => {
    const clock = { now: T };
    const i = freshMeter();
    const mm = model(i, clock);
    expect(set(mm, 4, u32(1))).toBe(0);
    clock.now = T + 6 * HOUR;
    expect(relay(mm)).toEqual({ output: false, control: 2 });
    expect(truth.state(i)!.relay).toHaveLength(1);
    // The remote reconnect of mode 4 starts from disconnected (a), not from ready (refused).
    expect(mm.action(ctx, { classId: 70, obis: DC, methodId: 2 }, { type: 'integer', value: 0 })).toEqual({
      result: 250,
    });
    expect(set(mm, 4, u32(0))).toBe(0);
    expect(manualReconnect(truth, i, clock.now)).toBe(true);
    clock.now += 3 * HOUR;
    expect(relay(mm)).toEqual({ output: true, control: 1 });
  });

  it('mode 0: the limiter never opens the relay', () => {
    const clock = { now: T };
    const i = freshMeter();
    setControlMode(truth, i, 0);
    const mm = model(i, clock);
    expect(set(mm, 4, u32(1))).toBe(0);
    clock.now = T + 5 * HOUR;
    expect(relay(mm)).toEqual({ output: true, control: 1 });
  });
});
