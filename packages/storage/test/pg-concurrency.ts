import type { Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, DAY, dayOf, energy, type Harness, MIN15, T0 } from './helpers.ts';

/** Two stores (two pools) writing into one schema at the same time. */
export function pgConcurrency(harness: () => Harness): void {
  describe('postgres: two writers', () => {
    let h: Harness;
    let a: Store;
    let b: Store;
    beforeEach(async () => {
      h = harness();
      a = await h.open();
      b = await h.open();
    });
    afterEach(async () => {
      await a.close();
      await b.close();
      await h.cleanup();
    });

    it('ingests interleaved batches from two writers without loss or duplicates', async () => {
      const channels: number[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await addMeter(a);
        channels.push((await a.channels.ensure(m.id, energy)).id);
      }
      const jobs: Promise<unknown>[] = [];
      for (let day = 0; day < 5; day++) {
        for (const [i, c] of channels.entries()) {
          const writer = (day + i) % 2 === 0 ? a : b;
          jobs.push(writer.readings.ingest({ id: `d${day}c${c}`, readings: dayOf(c, day, day) }));
          // The other writer sends the very same readings: they must be recognised as unchanged.
          jobs.push((writer === a ? b : a).readings.ingest({ readings: dayOf(c, day, day) }));
        }
      }
      await Promise.all(jobs);
      for (const c of channels) {
        const all = await a.readings.series({
          channelId: c,
          from: T0,
          to: T0 + 6 * DAY,
          versions: 'all',
          limit: 1000,
        });
        expect(all.items).toHaveLength(5 * 96);
        expect(all.items.every((r) => r.version === 1)).toBe(true);
      }
    });

    it('turns racing different values for one instant into successive versions, losing none', async () => {
      const m = await addMeter(a);
      const c = (await a.channels.ensure(m.id, energy)).id;
      const ts = T0 + MIN15;
      const values = Array.from({ length: 12 }, (_, i) => i + 1);
      await Promise.all(
        values.map((value, i) =>
          (i % 2 ? a : b).readings.ingest({ readings: [{ channelId: c, ts, value }] }),
        ),
      );
      const history = await a.readings.history(c, ts);
      expect(history.map((r) => r.version)).toEqual(values.map((_, i) => i + 1));
      expect(history.map((r) => r.value).sort((x, y) => x - y)).toEqual(values);
    });
  });
}
