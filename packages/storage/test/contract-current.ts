import { QualityFlag, type ReadingBulkReader, type Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, DAY, dayOf, energy, failure, type Harness, MIN15, T0 } from './helpers.ts';

const register = { ...energy, obis: '1-0:1.8.0.255', kind: 'register' as const, intervalSeconds: null };

/** `readings.currentMany`: several channels' current values as columns, values kept aside with them. */
export function currentValuesContract(name: string, harness: () => Harness): void {
  describe(`${name}: bulk read of current values`, () => {
    let h: Harness;
    let store: Store;
    let bulk: ReadingBulkReader;
    beforeEach(async () => {
      h = harness();
      store = await h.open();
      bulk = store.readings as Store['readings'] & ReadingBulkReader;
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    it('answers like series (newest version per instant) for several channels, across a month end', async () => {
      const meter = await addMeter(store);
      const [c, r] = await store.channels.ensureMany(meter.id, [
        { ...energy, obis: '1-0:1.29.0.255' },
        register,
      ]);
      // 30 and 31 days after T0 straddle the end of January (reading tables are per month).
      await store.readings.ingest({ readings: [...dayOf(c!.id, 30), ...dayOf(c!.id, 31, 1000)] });
      await store.readings.ingest({
        readings: [0, 31, 32].map((d) => ({ channelId: r!.id, ts: T0 + d * DAY, value: 5000 + d })),
      });
      const ts5 = T0 + 30 * DAY + 5 * MIN15;
      await store.readings.ingest({
        readings: [
          { channelId: c!.id, ts: ts5, value: 42, quality: QualityFlag.estimated, source: 'estimate' },
        ],
        onDifferent: 'supersede',
      });
      const from = T0 + 30 * DAY + MIN15;
      const to = T0 + 32 * DAY + 1;
      const [a, b, none] = await bulk.currentMany({ channelIds: [c!.id, r!.id, 999_999], from, to });
      const series = await store.readings.series({ channelId: c!.id, from, to, limit: 1000 });
      expect(a!.channelId).toBe(c!.id);
      expect(Array.from(a!.ts)).toEqual(series.items.map((x) => x.ts));
      expect(Array.from(a!.value)).toEqual(series.items.map((x) => x.value));
      expect(Array.from(a!.version)).toEqual(series.items.map((x) => x.version));
      expect(Array.from(a!.quality)).toEqual(series.items.map((x) => x.quality));
      expect(a!.ts.length).toBe(192);
      const k = a!.ts.indexOf(ts5);
      expect([a!.value[k], a!.version[k], a!.estimate[k], a!.quality[k]]).toEqual([
        42,
        2,
        1,
        QualityFlag.estimated,
      ]);
      expect(a!.estimate.reduce((s, x) => s + x, 0)).toBe(1);
      expect(a!.aside).toEqual([]);
      expect(Array.from(b!.ts)).toEqual([T0 + 31 * DAY, T0 + 32 * DAY]);
      expect(Array.from(b!.value)).toEqual([5031, 5032]);
      expect(none!.channelId).toBe(999_999);
      expect(none!.ts.length).toBe(0);
    });

    it('brings every version of an instant holding a push kept aside, and only those', async () => {
      const meter = await addMeter(store);
      const [c] = await store.channels.ensureMany(meter.id, [energy]);
      await store.readings.ingest({ readings: dayOf(c!.id, 3) });
      const ts = T0 + 3 * DAY + 10 * MIN15;
      await store.readings.ingest({
        readings: [{ channelId: c!.id, ts, value: 1, quality: QualityFlag.estimated, source: 'estimate' }],
        onDifferent: 'supersede',
      });
      await store.readings.ingest({
        readings: [{ channelId: c!.id, ts, value: 77, source: 'push' }],
        onDifferent: 'keep-current',
      });
      const [v] = await bulk.currentMany({ channelIds: [c!.id], from: T0 + 3 * DAY, to: T0 + 4 * DAY + 1 });
      expect(v!.ts.length).toBe(96);
      const k = v!.ts.indexOf(ts);
      expect([v!.value[k], v!.version[k], v!.estimate[k]]).toEqual([1, 2, 1]);
      expect(v!.aside.map((r) => [r.ts, r.version, r.value, r.source])).toEqual([
        [ts, 0, 77, 'push'],
        [ts, 1, 9, 'scheduled'],
        [ts, 2, 1, 'estimate'],
      ]);
      expect(v!.aside[0]!.quality & QualityFlag.conflict).toBe(QualityFlag.conflict);
    });

    it('refuses a bad range or channel id naming the field', async () => {
      expect(await failure(bulk.currentMany({ channelIds: [1], from: 10, to: 5 }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(await failure(bulk.currentMany({ channelIds: [1, -3], from: 0, to: 5 }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(await bulk.currentMany({ channelIds: [], from: 0, to: 5 })).toEqual([]);
    });
  });
}
