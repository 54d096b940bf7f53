import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, meterRow, startApi } from './helpers.ts';

describe('cursor paging under inserts', () => {
  let h: Harness;
  let op: string;
  beforeAll(async () => {
    h = await startApi();
    op = await h.tokenFor('operator');
  });
  afterAll(async () => h.close());

  async function walk(query: string, between: (page: number) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res = await h.call('GET', `/meters?${query}${cursor ? `&cursor=${cursor}` : ''}`, { token: op });
      expect(res.status).toBe(200);
      seen.push(...res.json.items.map((m: { serial: string }) => m.serial));
      cursor = res.json.nextCursor;
      await between(page++);
    } while (cursor !== null);
    return seen;
  }

  it('visits every meter once, in id order, while meters are added between pages', async () => {
    await h.call('POST', '/meters/import', {
      token: op,
      body: Array.from({ length: 25 }, (_, i) => meterRow(i)),
    });
    let next = 25;
    const seen = await walk('limit=7', async (page) => {
      if (page < 3) {
        await h.call('POST', '/meters/import', { token: op, body: [meterRow(next++), meterRow(next++)] });
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(Array.from({ length: 31 }, (_, i) => meterRow(i).serial));
  });

  it('pages a filter the store does not index without skipping or repeating', async () => {
    let next = 1000;
    const seen = await walk('limit=4&manufacturer=Acme', async (page) => {
      if (page < 4) await h.call('POST', '/meters/import', { token: op, body: [meterRow(next++)] });
    });
    const expected = (await h.store.meters.list({ limit: 10_000 })).items
      .filter((m) => m.manufacturer === 'Acme')
      .map((m) => m.serial);
    expect(seen).toEqual(expected);
  });
});
