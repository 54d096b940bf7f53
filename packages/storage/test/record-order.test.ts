import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionOutcome, ListOrder, Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.ts';
import { addMeter, failure, type Harness, MIN15, T0 } from './helpers.ts';
import { pgHarness } from './pg-harness.ts';

function sqliteHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'hes-order-'));
  return {
    open: (opts) => openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal', ...opts }),
    async exec() {},
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every page of a list walked with its cursor. */
async function walk<T>(
  list: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

for (const [name, harness] of [
  ['sqlite', sqliteHarness],
  ['postgres', pgHarness],
] as const) {
  describe(`${name}: event and collection outcome order`, () => {
    let h: Harness;
    let store: Store;
    beforeEach(async () => {
      h = harness();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    it('lists events oldest first by default and newest first with order desc, across pages', async () => {
      const m = await addMeter(store);
      // Two events share each instant: the id breaks the tie in either order.
      const events = Array.from({ length: 7 }, (_, i) => ({
        meterId: m.id,
        meterTime: T0 + Math.floor(i / 2) * MIN15,
        ts: T0 + Math.floor(i / 2) * MIN15,
        log: '0.0.99.98.0.255',
        code: 10 + i,
        category: 'power-quality' as const,
        raw: null,
      }));
      // Stored out of time order, so the id order is not the time order.
      await store.events.append([...events].reverse());
      const asc = await walk((cursor) => store.events.list({ meterId: m.id, limit: 2, cursor }));
      const desc = await walk((cursor) =>
        store.events.list({ meterId: m.id, limit: 2, cursor, order: 'desc' }),
      );
      const key = (e: { ts: number; id: number }) => [e.ts, e.id] as const;
      const sortedAsc = [...asc].sort((a, b) => a.ts - b.ts || a.id - b.id);
      expect(asc.map(key)).toEqual(sortedAsc.map(key));
      expect(asc).toHaveLength(7);
      expect(desc.map(key)).toEqual([...sortedAsc].reverse().map(key));
      // Range filters hold in both orders.
      const lastTwo = await store.events.list({ from: T0 + 2 * MIN15, order: 'desc' });
      expect(lastTwo.items.map((e) => e.ts)).toEqual([T0 + 3 * MIN15, T0 + 2 * MIN15, T0 + 2 * MIN15]);
    });

    it('lists collection outcomes newest first with order desc, across pages', async () => {
      const m = await addMeter(store);
      const outcome = (i: number): CollectionOutcome => ({
        meterId: m.id,
        taskId: `t${i}`,
        startedAt: T0 + (i % 3) * 60_000,
        finishedAt: T0 + (i % 3) * 60_000 + 1000,
        status: 'success',
        errorCode: null,
        readingsStored: i,
        attempt: 1,
      });
      for (let i = 0; i < 6; i++) await store.collection.record(outcome(i));
      const list = (order: ListOrder | undefined) =>
        walk((cursor) =>
          store.collection.list({ meterId: m.id, limit: 4, cursor, ...(order ? { order } : {}) }),
        );
      const asc = await list(undefined);
      const desc = await list('desc');
      expect(asc.map((o) => o.startedAt)).toEqual([0, 0, 1, 1, 2, 2].map((k) => T0 + k * 60_000));
      // Within one start instant the later-recorded outcome (higher id) comes first in desc.
      expect(desc.map((o) => o.taskId)).toEqual(['t5', 't2', 't4', 't1', 't3', 't0']);
      expect(asc.map((o) => o.taskId)).toEqual(['t0', 't3', 't1', 't4', 't2', 't5']);
    });

    it('refuses a cursor of the other order by name, and an unknown order', async () => {
      const m = await addMeter(store);
      for (let i = 0; i < 3; i++) {
        await store.collection.record({
          meterId: m.id,
          taskId: `t${i}`,
          startedAt: T0 + i,
          finishedAt: T0 + i,
          status: 'success',
          errorCode: null,
          readingsStored: 0,
          attempt: 1,
        });
      }
      const first = await store.collection.list({ limit: 1 });
      expect(first.nextCursor).not.toBeNull();
      expect(
        await failure(store.collection.list({ limit: 1, cursor: first.nextCursor, order: 'desc' })),
      ).toEqual({ code: 'STORAGE_INVALID_INPUT', reason: 'STORAGE_BAD_CURSOR' });
      expect(await failure(store.events.list({ order: 'sideways' as ListOrder }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
    });
  });
}
