import type { Store } from '@openhes/core';
import { expect, it } from 'vitest';
import { addMeter, DAY, failure, T0 } from './helpers.ts';

/** Meters, topology and the records around them; part of the store contract. */
export function entityContract(s: () => Store): void {
  it('registers meters, enforces serial uniqueness and the lifecycle, pages lists', async () => {
    const m = await addMeter(s(), { keyRefs: { guek: 'k1' }, customerClass: 'industrial', tariff: 'T2' });
    expect(m).toMatchObject({ status: 'registered', customerClass: 'industrial', paymentMode: 'postpaid' });
    expect((await s().meters.getBySerial(m.serial))?.keyRefs).toEqual({ guek: 'k1' });
    expect(await failure(s().meters.create({ ...m, status: undefined }))).toMatchObject({
      code: 'STORAGE_CONFLICT',
    });
    expect(await failure(s().meters.setStatus(m.id, 'suspended'))).toEqual({
      code: 'STORAGE_CONFLICT',
      reason: 'STORAGE_INVALID_TRANSITION',
    });
    await s().meters.setStatus(m.id, 'commissioned');
    expect((await s().meters.setStatus(m.id, 'active')).status).toBe('active');
    const updated = await s().meters.update(m.id, { paymentMode: 'prepaid', address: '10.0.0.1:4059' });
    expect(updated).toMatchObject({ paymentMode: 'prepaid', address: '10.0.0.1:4059', tariff: 'T2' });
    expect(await failure(s().meters.update(99_999, { tariff: null }))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    for (let i = 0; i < 4; i++) await addMeter(s());
    const p1 = await s().meters.list({ limit: 3 });
    const p2 = await s().meters.list({ limit: 3, cursor: p1.nextCursor });
    expect(p1.items).toHaveLength(3);
    expect(p2.items).toHaveLength(2);
    expect(p2.nextCursor).toBeNull();
    expect((await s().meters.list({ status: 'active' })).items.map((x) => x.id)).toEqual([m.id]);
  });

  it('builds both hierarchies and finds the meters under any node', async () => {
    const feeder = await s().topology.createNode({
      kind: 'feeder',
      parentId: null,
      code: 'F1',
      name: 'Feeder 1',
    });
    const tx = await s().topology.createNode({
      kind: 'transformer',
      parentId: feeder.id,
      code: 'T1',
      name: 'T1',
    });
    const sp = await s().topology.createNode({
      kind: 'service-point',
      parentId: tx.id,
      code: 'SP1',
      name: 'SP1',
    });
    const site = await s().topology.createNode({ kind: 'site', parentId: null, code: 'S1', name: 'Site' });
    const b = await s().topology.createNode({ kind: 'building', parentId: site.id, code: 'B1', name: 'B' });
    const sec = await s().topology.createNode({ kind: 'section', parentId: b.id, code: 'SEC1', name: 'Sec' });
    expect(
      await failure(s().topology.createNode({ kind: 'transformer', parentId: sp.id, code: 'X', name: 'X' })),
    ).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    const m1 = await addMeter(s(), { servicePointId: sp.id });
    const m2 = await addMeter(s(), { sectionId: sec.id });
    await addMeter(s());
    expect(await failure(addMeter(s(), { servicePointId: feeder.id }))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    expect(await s().topology.meterIdsUnder(feeder.id)).toEqual([m1.id]);
    expect(await s().topology.meterIdsUnder(site.id)).toEqual([m2.id]);
    expect((await s().meters.list({ underNode: tx.id })).items.map((m) => m.id)).toEqual([m1.id]);
    expect((await s().topology.children(null, 'network', {})).items.map((n) => n.code)).toEqual(['F1']);
    expect((await s().topology.children(feeder.id, 'network', {})).items.map((n) => n.id)).toEqual([tx.id]);
  });

  it('stores events once and lists them by meter, time and category with paging', async () => {
    const m = await addMeter(s());
    const other = await addMeter(s());
    const events = Array.from({ length: 6 }, (_, i) => ({
      meterId: i < 5 ? m.id : other.id,
      ts: T0 + i * 60_000,
      meterTime: T0 + i * 60_000 - 2000,
      log: '0-0:99.98.0.255',
      code: i,
      category: i % 2 === 0 ? ('power-failure' as const) : ('tamper' as const),
      raw: i === 0 ? new Uint8Array([1, 2, 3]) : null,
    }));
    expect(await s().events.append(events)).toEqual({ inserted: 6, duplicates: 0 });
    expect(await s().events.append(events.slice(0, 2))).toEqual({ inserted: 0, duplicates: 2 });
    const p1 = await s().events.list({ meterId: m.id, limit: 2 });
    const p2 = await s().events.list({ meterId: m.id, limit: 10, cursor: p1.nextCursor });
    expect([...p1.items, ...p2.items].map((e) => e.code)).toEqual([0, 1, 2, 3, 4]);
    expect(p1.items[0]?.raw).toEqual(new Uint8Array([1, 2, 3]));
    expect(p1.items[0]?.log).toBe('0.0.99.98.0.255');
    const tamper = await s().events.list({ category: 'tamper', from: T0, to: T0 + DAY });
    expect(tamper.items.map((e) => e.code)).toEqual([1, 3, 5]);
    const window = await s().events.list({ from: T0 + 60_000, to: T0 + 180_000 });
    expect(window.items.map((e) => e.code)).toEqual([1, 2]);
    expect(await failure(s().events.append([{ ...events[0]!, meterId: 99_999 }]))).toEqual({
      code: 'STORAGE_NOT_FOUND',
      reason: 'STORAGE_UNKNOWN_METER',
    });
    expect(await failure(s().events.append([{ ...events[0]!, ts: 0 }]))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
  });

  it('records collection outcomes and audit entries', async () => {
    const m = await addMeter(s());
    for (let i = 0; i < 3; i++) {
      await s().collection.record({
        meterId: m.id,
        taskId: i === 2 ? 'daily' : 'profile',
        startedAt: T0 + i * 1000,
        finishedAt: T0 + i * 1000 + 500,
        status: i === 1 ? 'failed' : 'success',
        errorCode: i === 1 ? 'DLMS_TIMEOUT' : null,
        readingsStored: i === 1 ? 0 : 768,
        attempt: 1,
      });
    }
    const byTask = await s().collection.list({ taskId: 'profile', limit: 1 });
    const next = await s().collection.list({ taskId: 'profile', cursor: byTask.nextCursor });
    expect([...byTask.items, ...next.items].map((o) => o.status)).toEqual(['success', 'failed']);
    expect(next.items[0]?.errorCode).toBe('DLMS_TIMEOUT');
    const a = await s().audit.append({
      actor: 'alice',
      action: 'meter.disconnect',
      target: `meter:${m.id}`,
      outcome: 'allowed',
      detail: { reason: 'non-payment' },
    });
    await s().audit.append({
      actor: 'bob',
      action: 'login',
      target: 'session',
      outcome: 'denied',
      detail: null,
    });
    expect((await s().audit.list({ actor: 'alice' })).items).toEqual([a]);
    expect(a.detail).toEqual({ reason: 'non-payment' });
  });

  it('moves commands through their states with compare-and-set and keeps the history', async () => {
    const m = await addMeter(s());
    const c = await s().commands.create({
      kind: 'disconnect',
      meterId: m.id,
      parameters: { finalRead: true },
      reason: 'non-payment',
      requestedBy: 'alice',
    });
    expect(c).toMatchObject({ state: 'queued', priority: 'normal', attempts: 0, campaignId: null });
    const sending = await s().commands.transition(c.id, 'queued', 'sending', 'collector-1', { attempts: 1 });
    expect(sending).toMatchObject({ state: 'sending', attempts: 1 });
    expect(await failure(s().commands.transition(c.id, 'queued', 'sending', 'collector-2'))).toEqual({
      code: 'STORAGE_CONFLICT',
      reason: 'STORAGE_STATE_CHANGED',
    });
    expect(await failure(s().commands.transition(c.id, 'sending', 'cancelled', 'x'))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
      reason: 'STORAGE_INVALID_TRANSITION',
    });
    await s().commands.transition(c.id, 'sending', 'confirmed', 'collector-1', {
      result: { relay: 'open' },
      detail: { relay: 'open' },
    });
    const got = await s().commands.get(c.id);
    expect(got?.history.map((h) => [h.state, h.by])).toEqual([
      ['queued', 'alice'],
      ['sending', 'collector-1'],
      ['confirmed', 'collector-1'],
    ]);
    expect(got?.parameters).toEqual({ finalRead: true });
    expect(got?.result).toEqual({ relay: 'open' });
    expect((await s().commands.list({ state: 'confirmed' })).items.map((x) => x.id)).toEqual([c.id]);
    expect(
      await failure(
        s().commands.create({
          kind: 'connect',
          meterId: 99_999,
          parameters: {},
          reason: 'reinstatement',
          requestedBy: 'a',
        }),
      ),
    ).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
  });

  it('keeps users, tokens, wrapped keys and invocation counters', async () => {
    const u = await s().users.create({
      name: 'alice',
      displayName: 'Alice',
      role: 'admin',
      passwordHash: '$argon2id$x',
    });
    expect(
      await failure(
        s().users.create({ name: 'alice', displayName: 'A', role: 'viewer', passwordHash: null }),
      ),
    ).toMatchObject({
      code: 'STORAGE_CONFLICT',
    });
    expect((await s().users.setDisabled(u.id, true)).disabled).toBe(true);
    expect((await s().users.getByName('alice'))?.disabled).toBe(true);
    const t = await s().tokens.create({
      userId: u.id,
      name: 'ci',
      tokenHash: 'h1',
      scopes: ['read'],
      expiresAt: null,
    });
    await s().tokens.revoke(t.id);
    expect((await s().tokens.findByHash('h1'))?.revokedAt).not.toBeNull();
    expect((await s().tokens.forUser(u.id, {})).items).toHaveLength(1);

    const m = await addMeter(s());
    await s().keys.put({ meterId: m.id, purpose: 'guek', kekId: 'kek-1', wrapped: new Uint8Array([1, 2]) });
    const k2 = await s().keys.put({
      meterId: m.id,
      purpose: 'guek',
      kekId: 'kek-1',
      wrapped: new Uint8Array([3, 4]),
    });
    expect(k2.version).toBe(2);
    expect((await s().keys.current(m.id, 'guek'))?.wrapped).toEqual(new Uint8Array([3, 4]));
    expect((await s().keys.versions(m.id, 'guek')).map((k) => k.version)).toEqual([1, 2]);

    const tx = { meterId: m.id, direction: 'tx', purpose: 'guek' } as const;
    const first = await s().counters.reserve(tx, 10);
    const second = await s().counters.reserve(tx, 5);
    expect(second).toBe(first + 10);
    const rx = { meterId: m.id, direction: 'rx', purpose: 'guek' } as const;
    expect(await s().counters.accept(rx, 100)).toBe(true);
    expect(await s().counters.accept(rx, 100)).toBe(false);
    expect(await s().counters.accept(rx, 99)).toBe(false);
    expect(await s().counters.accept(rx, 101)).toBe(true);
    expect(await s().counters.current(rx)).toBe(101);
    expect(await failure(s().counters.accept({ ...rx, meterId: 99_999 }, 1))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });

    // An operator's resync sets the rx floor to the meter's own counter, below what was accepted.
    expect(await s().counters.resetReceived(rx, 7)).toBe(101);
    expect(await s().counters.current(rx)).toBe(7);
    expect(await s().counters.accept(rx, 7)).toBe(false);
    expect(await s().counters.accept(rx, 8)).toBe(true);
    const fresh = { ...rx, purpose: 'gak' } as const;
    expect(await s().counters.resetReceived(fresh, 3)).toBeNull();
    expect(await s().counters.current(fresh)).toBe(3);
    // tx counters never go back; values outside 32 bits and unknown meters are refused.
    expect(await failure(s().counters.resetReceived(tx, 0))).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
    expect(await s().counters.reserve(tx, 1)).toBe(second + 5);
    expect(await failure(s().counters.resetReceived(rx, -1))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
    expect(await failure(s().counters.resetReceived(rx, 2 ** 32))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
    expect(await failure(s().counters.resetReceived({ ...rx, meterId: 99_999 }, 1))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
  });
}
