import { type DlmsData, dateTimeFromData, dateTimeToInstant } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { parseScenarios } from '../src/truth/scenarios.ts';
import { consumersOf } from '../src/truth/topology.ts';
import { cells, DAY, fleet, HOUR, num, START } from './helpers.ts';

const POWER_LOG = '0.0.99.98.2.255';
const codes = (rows: DlmsData[]): number[] => rows.map((r) => num(cells(r)[1]));

describe('scenarios', () => {
  it('a transformer outage logs power fail/restore exactly in the meters under it', () => {
    const truth = fleet({ scenarios: parseScenarios('outage@transformer-1+1h/30m', START) });
    const { from, to } = consumersOf(truth.topology, 1);
    const under = new Set([
      ...Array.from({ length: to - from }, (_, i) => from + i),
      truth.topology.consumers + 1,
    ]);
    const at = START + 3 * HOUR;
    for (let i = 0; i < truth.size; i++) {
      const rows = truth.profileRows(i, POWER_LOG, -Infinity, at);
      expect(codes(rows)).toEqual(under.has(i) ? [101, 102] : []);
      if (under.has(i)) {
        expect(
          num(truth.registerAt(i, '0.0.96.7.0.255', at)) - num(truth.registerAt(i, '0.0.96.7.0.255', START)),
        ).toBe(1);
        const k0 = num(truth.registerAt(i, '1.0.1.8.0.255', START + HOUR));
        expect(num(truth.registerAt(i, '1.0.1.8.0.255', START + HOUR + 30 * 60_000))).toBe(k0);
      }
    }
  });

  it('a feeder outage covers every transformer of the feeder', () => {
    const truth = fleet({ scenarios: parseScenarios('outage@feeder-1', START) });
    const hit = [];
    for (let i = 0; i < truth.size; i++) {
      if (codes(truth.profileRows(i, POWER_LOG, -Infinity, START + DAY)).length > 0)
        hit.push(truth.meter(i).place.transformer);
    }
    expect(new Set(hit)).toEqual(new Set([2, 3]));
  });

  it('theft shows as imbalance between the transformer meter and its consumers', () => {
    const clean = fleet();
    const theft = fleet({ scenarios: parseScenarios('theft=30%', START) });
    const from = START - 2 * DAY;
    const to = START;
    const imbalance = (truth: typeof clean, tr: number): number => {
      const { from: a, to: b } = consumersOf(truth.topology, tr);
      let consumers = 0;
      for (let i = a; i < b; i++) {
        consumers +=
          num(truth.registerAt(i, '1.0.1.8.0.255', to)) - num(truth.registerAt(i, '1.0.1.8.0.255', from));
      }
      const dt = truth.topology.consumers + tr;
      const supplied =
        num(truth.registerAt(dt, '1.0.1.8.0.255', to)) - num(truth.registerAt(dt, '1.0.1.8.0.255', from));
      return (supplied - consumers) / supplied;
    };
    let thieves = 0;
    for (let tr = 0; tr < 4; tr++) {
      const { from: a, to: b } = consumersOf(theft.topology, tr);
      const stealing = Array.from({ length: b - a }, (_, i) => a + i).filter(
        (i) => theft.meter(i).effects.theft !== undefined,
      );
      thieves += stealing.length;
      const base = imbalance(clean, tr);
      expect(base).toBeGreaterThan(0);
      expect(base).toBeLessThan(0.2);
      if (stealing.length > 0) expect(imbalance(theft, tr)).toBeGreaterThan(base + 0.001);
      else expect(imbalance(theft, tr)).toBeCloseTo(base, 9);
      for (const i of stealing)
        expect(codes(theft.profileRows(i, '0.0.99.98.1.255', -Infinity, to))).toEqual([
          theft.meter(i).profile.meter.phases === 1 ? 69 : 65,
        ]);
    }
    expect(thieves).toBeGreaterThan(3);
  });

  it('a dead meter stops registering and sags/swells log voltage events', () => {
    const truth = fleet({
      scenarios: parseScenarios('dead=100%,sag@transformer-0+2h/10m,swell@transformer-0+4h/10m', START),
    });
    expect(num(truth.registerAt(0, '1.0.1.8.0.255', START + DAY))).toBe(
      num(truth.registerAt(0, '1.0.1.8.0.255', START)),
    );
    expect(codes(truth.profileRows(0, '0.0.99.98.0.255', -Infinity, START + DAY))).toEqual([9, 10, 7, 8]);
    const v = num(truth.registerAt(0, '1.0.12.7.0.255', START + 2 * HOUR + 60_000));
    const normal = num(truth.registerAt(0, '1.0.12.7.0.255', START + 3 * HOUR + 60_000));
    expect(v / normal).toBeLessThan(0.85);
  });

  it('background history: shared interruptions per transformer, zero energy while off, logs filled', () => {
    const truth = fleet({ background: true });
    const at = START;
    const { from, to } = consumersOf(truth.topology, 0);
    const logs = Array.from({ length: to - from }, (_, i) =>
      codes(truth.profileRows(from + i, POWER_LOG, -Infinity, at)),
    );
    expect(logs[0]!.length).toBeGreaterThan(0);
    for (const l of logs) expect(l).toEqual(logs[0]);
    const w = truth.transformerOutages(0).find((x) => x.to < at && x.to - x.from >= 30 * 60_000)!;
    const kwh = (t: number) => num(truth.registerAt(from, '1.0.1.8.0.255', t));
    expect(kwh(w.to)).toBe(kwh(w.from));
    const voltageEvents = codes(truth.profileRows(from, '0.0.99.98.0.255', -Infinity, at));
    expect(voltageEvents.length).toBeGreaterThan(0);
    expect(voltageEvents.length).toBeLessThanOrEqual(50);
  });

  it('a drifting meter stamps its blocks by its own clock and the blocks still add up', () => {
    const truth = fleet({ scenarios: parseScenarios('drift=100%', START) });
    const now = START + 10 * DAY;
    const rows = truth.profileRows(0, '1.0.99.1.0.255', now - 6 * HOUR, now, now);
    const stamp = (r: DlmsData) => {
      const dt = dateTimeFromData(cells(r)[0]!);
      dt.deviation = -330;
      return dateTimeToInstant(dt).getTime();
    };
    const first = stamp(rows[0]!);
    const last = stamp(rows[rows.length - 1]!);
    expect(first % 900_000).toBe(0);
    const lag = first - truth.captureInstant(0, first);
    expect(Math.abs(lag - 500e-6 * (first - START))).toBeLessThan(5_000);
    const kwh = (t: number) => num(truth.registerAt(0, '1.0.1.8.0.255', truth.captureInstant(0, t)));
    const sum = rows.slice(1).reduce((a, r) => a + num(cells(r)[2]), 0);
    expect(sum).toBe(kwh(last) - kwh(first));
  });

  it('a drifting meter bills when its own clock reaches the billing date', () => {
    const truth = fleet({ scenarios: parseScenarios('drift=100%', START) });
    const now = START + 60 * DAY;
    const rows = truth.profileRows(0, '1.0.98.1.0.255', -Infinity, now, now);
    const last = cells(rows[rows.length - 1]!);
    const dt = dateTimeFromData(last[0]!);
    dt.deviation = -330;
    const stamp = dateTimeToInstant(dt).getTime();
    expect(stamp).toBe(Date.UTC(2026, 7, 1) - 330 * 60_000);
    const at = truth.captureInstant(0, stamp);
    expect(stamp - at).toBeGreaterThan(10 * 60_000);
    const count = (t: number) => num(truth.registerAt(0, '0.0.0.1.0.255', t));
    expect(count(at)).toBe(count(at - 1000) + 1);
    expect(count(stamp)).toBe(count(at));
    expect(num(last[2])).toBe(num(truth.registerAt(0, '1.0.1.8.0.255', at)));
  });

  it('rejects malformed scenario text', () => {
    expect(() => parseScenarios('outage@somewhere', START)).toThrow();
    expect(() => parseScenarios('theft=lots', START)).toThrow();
  });
});
