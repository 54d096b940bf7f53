import type { Store } from '@openhes/core';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, dayOf, energy } from './helpers.ts';
import { PG_URL, pgHarness } from './pg-harness.ts';

describe('postgres: outbox order', () => {
  let h: ReturnType<typeof pgHarness>;
  let store: Store;
  let raw: pg.Client;
  beforeEach(async () => {
    h = pgHarness();
    store = await h.open();
    raw = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${h.schema}` });
    await raw.connect();
  });
  afterEach(async () => {
    await raw.end();
    await store.close();
    await h.cleanup();
  });

  it('numbers entries in commit order, so a reader past a cursor never misses a late commit', async () => {
    // A transaction that wrote its message first but commits last.
    await raw.query('BEGIN');
    await raw.query(
      `INSERT INTO outbox (id, type, key, at, payload) VALUES ('slow', 'test.slow', 'k', now(), '{}')`,
    );
    const fast = await store.outbox.append([{ id: 'fast', type: 'test.fast', key: 'k', payload: {} }]);
    const seen = await store.outbox.read(0, 10);
    expect(seen.map((e) => e.id)).toEqual(['fast']);
    await store.outbox.commit('relay', seen[0]!.seq);
    await raw.query('COMMIT');
    const next = await store.outbox.read(await store.outbox.cursor('relay'), 10);
    expect(next.map((e) => e.id)).toEqual(['slow']);
    expect(next[0]!.seq).toBeGreaterThan(fast[0]!.seq);
  });

  it('numbers entries of concurrent ingests once each, without gaps or repeats', async () => {
    const channels: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await addMeter(store);
      channels.push((await store.channels.ensure(m.id, energy)).id);
    }
    const reads: Promise<unknown>[] = [];
    const jobs = channels.flatMap((c, i) =>
      Array.from({ length: 5 }, (_, day) =>
        store.readings.ingest({ id: `c${i}d${day}`, readings: dayOf(c, day) }),
      ),
    );
    for (let i = 0; i < 5; i++) reads.push(store.outbox.read(0, 100));
    await Promise.all([...jobs, ...reads]);
    const all = await store.outbox.read(0, 100);
    expect(all).toHaveLength(20);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.id)).size).toBe(20);
  });
});
