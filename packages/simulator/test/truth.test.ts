import { dateTimeFromData, dateTimeToInstant } from '@openhes/dlms';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantaneous } from '../src/truth/measures.ts';
import { cells, DAY, fleet, HOUR, num, START } from './helpers.ts';

const BLOCK = '1.0.99.1.0.255';
const DAILY = '1.0.99.2.0.255';
const BILLING = '1.0.98.1.0.255';
const KWH = '1.0.1.8.0.255';
const KVAH = '1.0.9.8.0.255';

function instantOfCell(d: Parameters<typeof dateTimeFromData>[0]): number {
  const dt = dateTimeFromData(d);
  if (dt.deviation === 330) dt.deviation = -330;
  return dateTimeToInstant(dt).getTime();
}

describe('ground truth', () => {
  const truth = fleet();
  const now = START + 30 * HOUR + 7 * 60_000;

  it('block-load energies sum exactly to the register deltas (every profile, kWh and kVAh)', () => {
    for (const meter of [0, 1, 2, 5, 39, 40, 43]) {
      const m = truth.meter(meter);
      const block = m.profile.objects.find((o) => o.obis === BLOCK)!.profile!;
      const whCol = block.capture.findIndex((c) => c[1] === '1.0.1.29.0.255');
      const vahCol = block.capture.findIndex((c) => c[1] === '1.0.9.29.0.255');
      const rows = truth.profileRows(meter, BLOCK, now - 2 * DAY, now);
      expect(rows.length).toBeGreaterThan(40);
      const first = instantOfCell(cells(rows[0])[0]!);
      const last = instantOfCell(cells(rows[rows.length - 1])[0]!);
      const period = block.capturePeriod * 1000;
      let wh = 0;
      let vah = 0;
      for (const r of rows.slice(1)) {
        wh += num(cells(r)[whCol]);
        vah += num(cells(r)[vahCol]);
      }
      expect(last - first).toBe((rows.length - 1) * period);
      const a = truth.captureInstant(meter, first);
      const b = truth.captureInstant(meter, last);
      expect(Math.abs(a - first)).toBeLessThan(10_000);
      expect(wh).toBe(num(truth.registerAt(meter, KWH, b)) - num(truth.registerAt(meter, KWH, a)));
      expect(vah).toBe(num(truth.registerAt(meter, KVAH, b)) - num(truth.registerAt(meter, KVAH, a)));
      expect(vah).toBeGreaterThanOrEqual(wh);
    }
  });

  it('holds Σ blocks = Δ register for random windows (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 1, max: 30 * 96 }),
        fc.integer({ min: 1, max: 40 }),
        (meter, back, n) => {
          const to = Math.floor(now / 900_000) * 900_000 - back * 900_000;
          const from = to - n * 900_000;
          const block = truth.meter(meter).profile.objects.find((o) => o.obis === BLOCK)!.profile!;
          if (block.capturePeriod !== 900) return;
          const col = block.capture.findIndex((c) => c[1] === '1.0.1.29.0.255');
          const rows = truth.profileRows(meter, BLOCK, from + 1, to, now);
          expect(rows).toHaveLength(n);
          const sum = rows.reduce((s, r) => s + num(cells(r)[col]), 0);
          const at = (t: number) => num(truth.registerAt(meter, KWH, truth.captureInstant(meter, t)));
          expect(sum).toBe(at(to) - at(from));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('daily rows are the registers at local midnight and TOU registers add up to the total', () => {
    const rows = truth.profileRows(0, DAILY, now - 5 * DAY, now);
    expect(rows.length).toBe(5);
    for (const r of rows) {
      const at = instantOfCell(cells(r)[0]!);
      expect((at + 330 * 60_000) % DAY).toBe(0);
      const captured = truth.captureInstant(0, at);
      expect(num(cells(r)[1])).toBe(num(truth.registerAt(0, KWH, captured)));
      const tou = [1, 2, 3, 4, 5, 6, 7, 8].reduce(
        (s, t) => s + num(truth.registerAt(0, `1.0.1.8.${t}.255`, captured)),
        0,
      );
      expect(Math.abs(tou - num(cells(r)[1]))).toBeLessThanOrEqual(7);
    }
  });

  it('is a pure function of the seed', () => {
    const again = fleet();
    const other = fleet({ seed: 8 });
    const a = truth.profileRows(3, BLOCK, now - DAY, now);
    expect(again.profileRows(3, BLOCK, now - DAY, now)).toEqual(a);
    expect(other.profileRows(3, BLOCK, now - DAY, now)).not.toEqual(a);
  });

  it('keeps V·I consistent with apparent power and PF rising with load', () => {
    for (let k = 0; k < 96; k++) {
      const t = now - k * 900_000;
      const x = instantaneous(truth.meter(1), t);
      if (x.active === 0) continue;
      expect(x.voltage[0] * x.current[0]).toBeCloseTo(x.apparent, 6);
      expect(x.pf).toBeLessThanOrEqual(1);
      expect(x.voltage[0]).toBeGreaterThan(200);
      expect(x.voltage[0]).toBeLessThan(265);
    }
    const m = truth.meter(1);
    expect(m.powerFactor(30)).toBeLessThan(0.5);
    expect(m.powerFactor(2000)).toBeGreaterThan(0.95);
  });

  it('billing rows snapshot the registers at the billing date with MD over the month', () => {
    const rows = truth.profileRows(0, BILLING, 0, now);
    expect(rows).toHaveLength(13);
    const last = cells(rows[rows.length - 1]);
    const stamp = instantOfCell(last[0]!);
    expect(new Date(stamp + 330 * 60_000).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    const at = truth.captureInstant(0, stamp);
    expect(num(last[2])).toBe(num(truth.registerAt(0, KWH, at)));
    const prev = instantOfCell(cells(rows[rows.length - 2])[0]!);
    const blocks = truth.profileRows(0, BLOCK, prev + 1, at, at);
    const md = Math.max(...blocks.map((r) => num(cells(r)[2]) * 4));
    const mdCell = num(last[20]);
    expect(Math.abs(mdCell - md)).toBeLessThanOrEqual(4);
  });
});
