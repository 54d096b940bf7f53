import type { DlmsData } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { act, write } from '../src/model/commands.ts';
import {
  manualDisconnect,
  manualReconnect,
  methodCount,
  methodCounts,
  relayState,
  setControlMode,
} from '../src/model/control.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { fleet, HOUR, START } from './helpers.ts';

const DC = '0.0.96.3.10.255';
const LN = Uint8Array.of(0, 0, 96, 3, 10, 255);
const ZERO: DlmsData = { type: 'integer', value: 0 };
const T = START + 10 * HOUR;

/** One fresh 1-phase meter per case. */
const truth: Truth = fleet({ consumers: 400, transformers: 1, mix: { residential: 1 } });
let next = 0;
function freshMeter(): number {
  while (truth.meter(next).profile.id !== 'is15959-1ph') next++;
  return next++;
}

/** What the meter answers for output_state and control_state, read as a client would. */
function answer(i: number, t: number): { output: unknown; control: unknown; mode: unknown } {
  const model = new MeterModel(truth.meter(i), { now: () => t });
  const ctx = { association: 'management', clientSap: 48 };
  const get = (attr: number): unknown => {
    const v = model.get(ctx, { classId: 70, obis: LN, attributeId: attr });
    return typeof v === 'number' ? v : (v as { value: unknown }).value;
  };
  return { output: get(2), control: get(3), mode: get(4) };
}

/** Puts a fresh meter in control_state `state` (under mode `mode` afterwards). */
function meterIn(state: 0 | 1 | 2, mode: number, t: number): number {
  const i = freshMeter();
  const m = truth.meter(i);
  if (state !== 1) {
    setControlMode(truth, i, 1);
    expect(act(m, 70, DC, 1, ZERO, t - 2000).result).toBe(0);
    if (state === 2) expect(act(m, 70, DC, 2, ZERO, t - 1000).result).toBe(0);
  }
  expect(write(m, 70, DC, 4, { type: 'enum', value: mode }, t - 500)).toBe(0);
  expect(answer(i, t).control).toBe(state);
  return i;
}

/**
 * The Blue Book table (control-objects.md §1.2/§1.3), written out here independently of the
 * simulator: [trigger, from state] → the state each mode 0..7 leads to; 'R' = refused (the
 * remote methods answer other-reason 250), '=' = success with no change.
 */
type Cell = 0 | 1 | 2 | 'R' | '=';
const TABLE: Record<string, Cell[]> = {
  //                          mode: 0    1    2    3    4    5    6    7
  'remote_disconnect from 1': ['R', 0, 0, 0, 0, 0, 0, 0],
  'remote_disconnect from 2': ['R', 0, 0, 0, 0, 0, 0, 0],
  'remote_disconnect from 0': ['R', '=', '=', '=', '=', '=', '=', '='],
  'remote_reconnect from 0': ['R', 2, 1, 2, 1, 2, 2, 1],
  'remote_reconnect from 2': ['R', '=', 'R', '=', 'R', '=', '=', 1],
  'remote_reconnect from 1': ['R', '=', '=', '=', '=', '=', '=', '='],
  'manual_disconnect from 1': ['R', 2, 2, 'R', 'R', 2, 'R', 'R'],
  'manual_reconnect from 2': ['R', 1, 1, 1, 1, 1, 1, 1],
  'manual_reconnect from 0': ['R', 'R', 'R', 'R', 'R', 'R', 'R', 'R'],
};

describe('disconnect control: every mode, every transition (model)', () => {
  for (const [row, cells] of Object.entries(TABLE)) {
    const [trigger, , fromText] = row.split(' ');
    const from = Number(fromText) as 0 | 1 | 2;
    it(`${row}: modes 0..7 → ${cells.join(' ')}`, () => {
      cells.forEach((cell, mode) => {
        const i = meterIn(from, mode, T);
        const m = truth.meter(i);
        const eventsBefore = m.state!.events.filter((e) => e.log === 'control').length;
        let moved: boolean | number;
        if (trigger === 'manual_disconnect') moved = manualDisconnect(truth, i, T);
        else if (trigger === 'manual_reconnect') moved = manualReconnect(truth, i, T);
        else moved = act(m, 70, DC, trigger === 'remote_disconnect' ? 1 : 2, ZERO, T).result;
        const after = answer(i, T + 1000);
        const want = cell === 'R' || cell === '=' ? from : cell;
        expect(after.control, `mode ${mode}`).toBe(want);
        expect(after.output, `mode ${mode}`).toBe(want === 1);
        expect(after.mode).toBe(mode);
        if (typeof moved === 'number') expect(moved, `mode ${mode} result`).toBe(cell === 'R' ? 250 : 0);
        else expect(moved, `mode ${mode} moved`).toBe(typeof cell === 'number');
        // The relay moved (1 ↔ not 1) exactly when a control-log event was written.
        const relayMoved = (from === 1) !== (want === 1);
        const events = m.state!.events.filter((e) => e.log === 'control');
        expect(events.length - eventsBefore, `mode ${mode} events`).toBe(relayMoved ? 1 : 0);
        if (relayMoved) expect(events.at(-1)!.code).toBe(want === 1 ? 302 : 301);
      });
    });
  }

  it('mode 1: a remote reconnect only arms the relay; the button then closes it', () => {
    const i = meterIn(0, 1, T);
    expect(act(truth.meter(i), 70, DC, 2, ZERO, T).result).toBe(0);
    expect(answer(i, T + HOUR)).toEqual({ output: false, control: 2, mode: 1 });
    expect(relayState(truth, i, T + HOUR)).toEqual({ output: false, control: 2, mode: 1 });
    expect(manualReconnect(truth, i, T + HOUR)).toBe(true);
    expect(answer(i, T + HOUR + 1)).toEqual({ output: true, control: 1, mode: 1 });
    expect(truth.state(i)!.relay.map((r) => r.cause)).toEqual(['remote', 'manual']);
  });

  it('a control mode outside 0..7 is refused and the mode stays', () => {
    const i = meterIn(1, 3, T);
    expect(write(truth.meter(i), 70, DC, 4, { type: 'enum', value: 8 }, T)).toBe(250);
    expect(write(truth.meter(i), 70, DC, 4, { type: 'unsigned', value: 2 }, T)).toBe(12);
    expect(answer(i, T).mode).toBe(3);
  });

  it('counts every method invocation, refused ones too', () => {
    const i = meterIn(1, 0, T);
    act(truth.meter(i), 70, DC, 1, ZERO, T);
    act(truth.meter(i), 70, DC, 1, ZERO, T);
    act(truth.meter(i), 70, DC, 2, ZERO, T);
    expect(methodCount(truth, i, 70, DC, 1)).toBe(2);
    expect(methodCounts(truth, i)).toEqual({ [`70/${DC}/1`]: 2, [`70/${DC}/2`]: 1 });
  });

  it('the CT profile has no disconnect control: object-undefined (4) for reads and methods', () => {
    let ct = 0;
    while (truth.meter(ct).profile.id !== 'is15959-ct') ct++;
    const model = new MeterModel(truth.meter(ct), { now: () => T });
    const ctx = { association: 'management', clientSap: 48 };
    expect(model.get(ctx, { classId: 70, obis: LN, attributeId: 2 })).toBe(4);
    expect(model.set(ctx, { classId: 70, obis: LN, attributeId: 4 }, { type: 'enum', value: 1 })).toBe(4);
    expect(model.action(ctx, { classId: 70, obis: LN, methodId: 1 }, ZERO)).toEqual({ result: 4 });
    expect(truth.state(ct)?.relay ?? []).toEqual([]);
  });
});
