import { describe, expect, it } from 'vitest';
import { act, write } from '../src/model/commands.ts';
import { energyAt } from '../src/truth/energy.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { E, MeterTruth } from '../src/truth/meter.ts';
import { STEP_MS } from '../src/truth/time.ts';
import { consumersOf } from '../src/truth/topology.ts';
import { DAY, fleet, HOUR, num, START } from './helpers.ts';

const KWH = '1.0.1.8.0.255';
const DISCONNECT_CONTROL = '0.0.96.3.10.255';
const LIMITER = '0.0.17.0.0.255';
const TR = 0;

const dtOf = (truth: Truth): number => truth.topology.consumers + TR;

/** Active energy (mWh) of transformer TR's meter at t, from the truth's cumulative registers. */
const whAt = (truth: Truth, t: number): number => energyAt(truth.meter(dtOf(truth)), t)[E.wh]!;

/**
 * What the transformer must have registered over steps [k0, k1), computed from its consumers'
 * own truth: Σ consumers' delivered energy + 3 % losses + no-load losses (no outages here).
 */
function expectedSupply(truth: Truth, k0: number, k1: number): number {
  const { from, to } = consumersOf(truth.topology, TR);
  const noLoad = Math.round(truth.meter(dtOf(truth)).transformerRatingVa() * 0.003 * 250);
  let total = 0;
  for (let k = k0; k < k1; k++) {
    let sum = 0;
    for (let i = from; i < to; i++) sum += truth.meter(i).trueStepWh(k);
    total += sum + Math.round(sum * 0.03) + noLoad;
  }
  return total;
}

/** The consumer under TR that draws the most in the hours around `t`. */
function biggestConsumer(truth: Truth, t: number): number {
  const { from, to } = consumersOf(truth.topology, TR);
  const k = Math.floor(t / STEP_MS);
  let best = from;
  let bestWh = -1;
  for (let i = from; i < to; i++) {
    let wh = 0;
    for (let j = k; j < k + 12; j++) wh += truth.meter(i).trueStepWh(j);
    if (wh > bestWh) {
      bestWh = wh;
      best = i;
    }
  }
  return best;
}

const disconnect = (truth: Truth, meter: number, t: number): void => {
  expect(act(truth.meter(meter), 70, DISCONNECT_CONTROL, 1, { type: 'integer', value: 0 }, t).result).toBe(0);
};
const reconnect = (truth: Truth, meter: number, t: number): void => {
  expect(act(truth.meter(meter), 70, DISCONNECT_CONTROL, 2, { type: 'integer', value: 0 }, t).result).toBe(0);
};

describe('transformer meter after commands to its consumers', () => {
  it('a consumer disconnect/reconnect shows in the transformer at once, even with its memos warm', () => {
    const warm = fleet();
    const t0 = START + 10 * HOUR + 7 * 60_000;
    const consumer = biggestConsumer(warm, t0);
    const dt = dtOf(warm);
    const k0 = Math.floor(t0 / STEP_MS);
    // Warm every transformer memo around and after t0 (steps, recent points, registers).
    for (let t = t0 - HOUR; t <= t0 + 4 * HOUR; t += 5 * 60_000) {
      whAt(warm, t);
      warm.registerAt(dt, KWH, t);
    }
    // A second view of the same transformer meter, as a session holds one across the fleet's
    // meter cache being emptied: its own memos must not go stale either.
    const held = new MeterTruth(warm, dt);
    for (let t = t0 - HOUR; t <= t0 + 4 * HOUR; t += 5 * 60_000) energyAt(held, t);
    const beforeAll = expectedSupply(warm, k0, k0 + 16);

    disconnect(warm, consumer, t0);
    const t1 = t0 + 2 * HOUR;
    const k1 = Math.floor(t1 / STEP_MS);
    // The consumer draws nothing after the disconnect, so the transformer supplies less.
    expect(warm.meter(consumer).trueStepWh(k0 + 2)).toBe(0);
    expect(expectedSupply(warm, k0, k0 + 16)).toBeLessThan(beforeAll);
    expect(whAt(warm, k1 * STEP_MS) - whAt(warm, k0 * STEP_MS)).toBe(expectedSupply(warm, k0, k1));

    reconnect(warm, consumer, t1);
    const t2 = t1 + 2 * HOUR + 3 * 60_000;
    const k2 = Math.floor(t2 / STEP_MS);
    expect(warm.meter(consumer).trueStepWh(k1 + 2)).toBeGreaterThan(0);
    expect(whAt(warm, k2 * STEP_MS) - whAt(warm, k0 * STEP_MS)).toBe(expectedSupply(warm, k0, k2));

    // A truth that never looked at the transformer before the commands agrees exactly.
    const cold = fleet();
    disconnect(cold, consumer, t0);
    reconnect(cold, consumer, t1);
    for (const t of [t0 - HOUR, t0, t0 + 20 * 60_000, t1, t1 + 5 * 60_000, t2, t2 + DAY]) {
      expect(whAt(warm, t)).toBe(whAt(cold, t));
      expect(energyAt(held, t)[E.wh]).toBe(whAt(cold, t));
      expect(num(warm.registerAt(dt, KWH, t))).toBe(num(cold.registerAt(dt, KWH, t)));
    }
  });

  it('a limiter trip of a consumer shows in the transformer even when only the transformer is read', () => {
    const t0 = START + 9 * HOUR + 7 * 60_000;
    const setLimit = (truth: Truth, consumer: number): void => {
      const v = { type: 'double-long-unsigned', value: 1 } as const;
      expect(write(truth.meter(consumer), 71, LIMITER, 4, v, t0)).toBe(0);
    };
    const warm = fleet();
    const consumer = biggestConsumer(warm, t0);
    const dt = dtOf(warm);
    for (let t = t0 - HOUR; t <= t0 + 4 * HOUR; t += 5 * 60_000) warm.registerAt(dt, KWH, t);
    setLimit(warm, consumer);
    const t1 = t0 + 3 * HOUR;
    // Only the transformer is read: its consumer's limiter must have tripped all the same.
    const seen = num(warm.registerAt(dt, KWH, t1));

    const cold = fleet();
    setLimit(cold, consumer);
    cold.registerAt(consumer, KWH, t1);
    expect(cold.state(consumer)?.relay.map((r) => r.cause)).toEqual(['limiter']);
    expect(seen).toBe(num(cold.registerAt(dt, KWH, t1)));
    const k0 = Math.floor(t0 / STEP_MS);
    const k1 = Math.floor(t1 / STEP_MS);
    expect(whAt(warm, k1 * STEP_MS) - whAt(warm, k0 * STEP_MS)).toBe(expectedSupply(cold, k0, k1));
    expect(warm.state(consumer)?.relay).toEqual(cold.state(consumer)?.relay);
  });
});
