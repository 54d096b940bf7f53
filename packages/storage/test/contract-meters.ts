import type { Meter, Store } from '@openhes/core';
import { expect, it } from 'vitest';
import { StorageError } from '../src/errors.ts';
import { addMeter, failure, T0 } from './helpers.ts';

/** The meter registry of issue 13: labels, filtered paging, lifecycle refusals, targets, removal. */
export function meterContract(s: () => Store): void {
  it('stores firmware version, tags and segment and pages filters over matching rows only', async () => {
    const made: Meter[] = [];
    for (let i = 0; i < 24; i++) {
      made.push(
        await addMeter(s(), {
          firmwareVersion: i % 3 === 0 ? 'fw-2.1' : 'fw-2.0',
          tags: i % 4 === 0 ? ['pilot', 'north'] : ['north'],
          segment: i % 5 === 0 ? 'dc-7' : null,
        }),
      );
    }
    expect(made[0]).toMatchObject({ firmwareVersion: 'fw-2.1', tags: ['pilot', 'north'], segment: 'dc-7' });
    expect(await s().meters.get(made[1]!.id)).toMatchObject({ tags: ['north'], segment: null });
    const ids = (pred: (i: number) => boolean) => made.filter((_, i) => pred(i)).map((m) => m.id);
    const all = async (q: Parameters<Store['meters']['list']>[0]) => {
      const out: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await s().meters.list({ ...q, cursor });
        // A page is empty (or short) only when nothing matching is left.
        if (page.nextCursor !== null) expect(page.items).toHaveLength(q.limit ?? 500);
        else if (cursor !== null) expect(page.items.length).toBeGreaterThan(0);
        out.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await all({ firmwareVersion: 'fw-2.1', limit: 2 })).toEqual(ids((i) => i % 3 === 0));
    expect(await all({ tag: 'pilot', limit: 2 })).toEqual(ids((i) => i % 4 === 0));
    expect(await all({ tag: 'north', limit: 5 })).toEqual(ids(() => true));
    expect(await all({ segment: 'dc-7', limit: 1 })).toEqual(ids((i) => i % 5 === 0));
    expect(await all({ tag: 'pilot', segment: 'dc-7', firmwareVersion: 'fw-2.1', limit: 1 })).toEqual(
      ids((i) => i % 60 === 0),
    );
    expect(await all({ tag: 'south', limit: 3 })).toEqual([]);
    const updated = await s().meters.update(made[1]!.id, { tags: ['south'], firmwareVersion: 'fw-3' });
    expect(updated).toMatchObject({ tags: ['south'], firmwareVersion: 'fw-3' });
    expect(await all({ tag: 'south' })).toEqual([made[1]!.id]);
    expect(await failure(s().meters.update(made[1]!.id, { tags: ['a', 'a'] }))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
  });

  it('refuses a transition naming from, to and the allowed statuses', async () => {
    const m = await addMeter(s());
    try {
      await s().meters.setStatus(m.id, 'suspended');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StorageError);
      expect((e as StorageError).detail).toMatchObject({
        reason: 'STORAGE_INVALID_TRANSITION',
        from: 'registered',
        to: 'suspended',
        allowed: ['commissioned', 'active', 'decommissioned'],
      });
    }
    expect((await s().meters.get(m.id))?.status).toBe('registered');
    expect((await s().meters.setStatus(m.id, 'active')).status).toBe('active');
    expect((await s().meters.setStatus(m.id, 'active')).status).toBe('active');
    expect((await s().meters.setStatus(m.id, 'suspended')).status).toBe('suspended');
    expect(await s().meters.list({ status: 'suspended' })).toMatchObject({ items: [{ id: m.id }] });
    expect((await s().meters.setStatus(m.id, 'active')).status).toBe('active');
    await s().meters.setStatus(m.id, 'decommissioned');
    expect(await failure(s().meters.setStatus(m.id, 'active'))).toEqual({
      code: 'STORAGE_CONFLICT',
      reason: 'STORAGE_INVALID_TRANSITION',
    });
  });

  it('selects a campaign target: AND over fields, OR within a list, decommissioned excluded', async () => {
    const feeder = await s().topology.createNode({ kind: 'feeder', parentId: null, code: 'F9', name: 'F9' });
    const tx = await s().topology.createNode({
      kind: 'transformer',
      parentId: feeder.id,
      code: 'T9',
      name: 'T9',
    });
    const sp = await s().topology.createNode({
      kind: 'service-point',
      parentId: tx.id,
      code: 'P9',
      name: 'P9',
    });
    const a = await addMeter(s(), {
      model: 'M1',
      tags: ['x'],
      segment: 's1',
      firmwareVersion: '1',
      servicePointId: sp.id,
    });
    const b = await addMeter(s(), { model: 'M2', tags: ['y'], segment: 's1', firmwareVersion: '2' });
    const c = await addMeter(s(), { model: 'M1', tags: ['x', 'y'], segment: 's2', deviceProfile: 'other' });
    const d = await addMeter(s(), { model: 'M1', tags: ['x'] });
    await s().meters.setStatus(d.id, 'decommissioned');
    const sel = (t: Parameters<Store['meters']['select']>[0]) => s().meters.select(t);
    expect(await sel({ models: ['M1'] })).toEqual([a.id, c.id]);
    expect(await sel({ models: ['M1', 'M2'], segments: ['s1'] })).toEqual([a.id, b.id]);
    expect(await sel({ tags: ['y'] })).toEqual([b.id, c.id]);
    expect(await sel({ tags: ['x'], deviceProfiles: ['other'] })).toEqual([c.id]);
    expect(await sel({ firmwareVersions: ['2'] })).toEqual([b.id]);
    expect(await sel({ meterIds: [a.id, d.id, 99_999] })).toEqual([a.id]);
    expect(await sel({ nodes: [feeder.id] })).toEqual([a.id]);
    expect(await sel({ nodes: [feeder.id], tags: ['y'] })).toEqual([]);
    expect(await sel({ models: [] })).toEqual([]);
    expect(await failure(sel({ meterIds: [0] }))).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
  });

  it('removes only a meter that never delivered data, with its keys', async () => {
    const fresh = await addMeter(s());
    await s().keys.put({ meterId: fresh.id, purpose: 'guek', kekId: 'k', wrapped: new Uint8Array([1, 2]) });
    await s().meters.remove(fresh.id);
    expect(await s().meters.get(fresh.id)).toBeNull();
    expect(await s().keys.current(fresh.id, 'guek')).toBeNull();
    expect(await failure(s().meters.remove(fresh.id))).toMatchObject({ code: 'STORAGE_NOT_FOUND' });

    const read = await addMeter(s());
    await s().events.append([
      {
        meterId: read.id,
        meterTime: T0,
        ts: T0,
        log: '0.0.99.98.0.255',
        code: 1,
        category: 'standard',
        raw: null,
      },
    ]);
    try {
      await s().meters.remove(read.id);
      expect.unreachable();
    } catch (e) {
      expect((e as StorageError).detail).toMatchObject({ reason: 'STORAGE_METER_HAS_DATA', has: ['events'] });
    }
    expect(await s().meters.get(read.id)).not.toBeNull();
  });
}
