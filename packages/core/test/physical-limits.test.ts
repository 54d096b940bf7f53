import { describe, expect, it } from 'vitest';
import type { ChannelDef } from '../src/domain/channel.ts';
import { QualityFlag } from '../src/domain/reading.ts';
import {
  beyondRating,
  flagPhysicalLimits,
  isMeterRating,
  type MeterRating,
  maxPower,
  PHYSICAL_LIMIT_REASON,
  type PhysicalCheckValue,
} from '../src/validation.ts';

// IS 15959 single-phase whole-current meter: 240 V, 10-60 A.
const residential: MeterRating = { nominalVoltage: 240, maxCurrent: 60, phases: 1 };
const T = Date.UTC(2025, 0, 1);
const MIN15 = 900_000;
const block: ChannelDef = {
  obis: '1.0.1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};
const total: ChannelDef = { ...block, obis: '1.0.1.8.0.255', kind: 'register', intervalSeconds: null };
const power: ChannelDef = { ...total, obis: '1.0.1.7.0.255', kind: 'instantaneous', unit: 'W' };

describe('physical limits (meter rating × interval)', () => {
  it('flags about 1 GWh in 15 minutes on a residential meter, keeps it, and passes a real value', () => {
    const out = flagPhysicalLimits(
      [
        { channel: block, ts: T + MIN15, value: 1e9 },
        { channel: block, ts: T + 2 * MIN15, value: 3000 },
      ],
      residential,
    );
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      value: 1e9,
      quality: QualityFlag.suspect,
      reasons: [PHYSICAL_LIMIT_REASON],
    });
    expect(out[1]).toEqual({ channel: block, ts: T + 2 * MIN15, value: 3000 });
  });

  it('uses Vnom × Imax × phases × interval with a margin: just below passes, just above is flagged', () => {
    const limitWh = (maxPower(residential) * 900) / 3600;
    expect(limitWh).toBeCloseTo(240 * 60 * 0.25 * 1.25);
    expect(beyondRating({ channel: block, ts: T, value: limitWh * 0.99 }, residential)).toBe(false);
    expect(beyondRating({ channel: block, ts: T, value: limitWh * 1.01 }, residential)).toBe(true);
    expect(beyondRating({ channel: { ...block, unit: 'kWh' }, ts: T, value: 5 }, residential)).toBe(true);
    const threePhase = { ...residential, phases: 3 };
    expect(beyondRating({ channel: block, ts: T, value: limitWh * 2 }, threePhase)).toBe(false);
  });

  it('flags power, current and voltage beyond the rating', () => {
    expect(beyondRating({ channel: power, ts: T, value: 20_000 }, residential)).toBe(true);
    expect(beyondRating({ channel: power, ts: T, value: 14_000 }, residential)).toBe(false);
    const amps = { ...power, unit: 'A' };
    expect(beyondRating({ channel: amps, ts: T, value: 80 }, residential)).toBe(true);
    expect(beyondRating({ channel: amps, ts: T, value: -60 }, residential)).toBe(false);
    const volts = { ...power, unit: 'V' };
    expect(beyondRating({ channel: volts, ts: T, value: 500 }, residential)).toBe(true);
    expect(beyondRating({ channel: volts, ts: T, value: 280 }, residential)).toBe(false);
    expect(beyondRating({ channel: { ...power, unit: 'Hz' }, ts: T, value: 1e9 }, residential)).toBe(false);
  });

  it('judges running totals by their increase between consecutive instants', () => {
    const out = flagPhysicalLimits<PhysicalCheckValue>(
      [
        { channel: total, ts: T + 2 * MIN15, value: 1_000_000_000 },
        { channel: total, ts: T, value: 1_000_000 },
        { channel: total, ts: T + MIN15, value: 1_002_000 },
      ],
      residential,
    );
    expect(out.map((v) => v.reasons ?? [])).toEqual([[PHYSICAL_LIMIT_REASON], [], []]);
    expect(
      flagPhysicalLimits<PhysicalCheckValue>([{ channel: total, ts: T, value: 1e12 }], residential)[0]!
        .reasons,
    ).toBeUndefined();
  });

  it('keeps reasons already there and accepts only usable ratings', () => {
    const out = flagPhysicalLimits(
      [{ channel: block, ts: T, value: 1e9, quality: QualityFlag.validated, reasons: ['r1'] }],
      residential,
    );
    expect(out[0]).toMatchObject({
      quality: QualityFlag.validated | QualityFlag.suspect,
      reasons: ['r1', PHYSICAL_LIMIT_REASON],
    });
    expect(isMeterRating(residential)).toBe(true);
    expect(isMeterRating({ nominalVoltage: 240, maxCurrent: 60 })).toBe(false);
    expect(isMeterRating({ ...residential, ctRatio: 0 })).toBe(false);
  });
});
