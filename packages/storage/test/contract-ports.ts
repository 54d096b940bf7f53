import type {
  CommandChangedPayload,
  EventStoredPayload,
  Meter,
  NewReadingPlan,
  OutboxEntry,
  ReadingsStoredPayload,
  Store,
} from '@openhes/core';
import { expect, it } from 'vitest';
import { StorageError } from '../src/errors.ts';
import { addMeter, DAY, dayOf, energy, failure, type Harness, MIN15, T0, voltage } from './helpers.ts';

/** Every outbox entry, oldest first. */
async function outbox(store: Store): Promise<OutboxEntry[]> {
  const all: OutboxEntry[] = [];
  for (;;) {
    const more = await store.outbox.read(all.at(-1)?.seq ?? 0, 100);
    if (more.length === 0) return all;
    all.push(...more);
  }
}

/** SQL making every outbox insert with this key fail (a fault inside the data's transaction). */
function failOutboxSql(dialect: string, key: string): string {
  if (dialect === 'sqlite') {
    return `CREATE TRIGGER outbox_fault BEFORE INSERT ON outbox WHEN NEW.key = '${key}'
            BEGIN SELECT RAISE(ABORT, 'injected outbox fault'); END`;
  }
  return `CREATE FUNCTION outbox_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.key = '${key}' THEN RAISE EXCEPTION 'injected outbox fault'; END IF; RETURN NEW; END $$;
          CREATE TRIGGER outbox_fault BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_fault()`;
}

function clearFaultSql(dialect: string): string {
  return dialect === 'sqlite'
    ? 'DROP TRIGGER outbox_fault'
    : 'DROP TRIGGER outbox_fault ON outbox; DROP FUNCTION outbox_fault()';
}

const plan = (extra: Partial<NewReadingPlan> = {}): NewReadingPlan => ({
  name: 'daily profile',
  cron: '0 2 * * *',
  reads: ['block', 'daily'],
  meters: { profiles: ['acme-am550'] },
  windowSeconds: 3600,
  enabled: true,
  ...extra,
});

/** Plans, meter health, the outbox and the meter list filters; part of the store contract. */
export function portContract(dialect: string, s: () => Store, h: () => Harness): void {
  it('errors carry the port-level kind derived from their code', async () => {
    const m = await addMeter(s());
    for (const [p, kind] of [
      [() => s().meters.create({ ...m, status: undefined }), 'conflict'],
      [() => s().meters.update(99_999, { tariff: null }), 'not-found'],
      [() => s().channels.ensure(m.id, { ...energy, obis: 'x' }), 'invalid'],
    ] as const) {
      const e = await p().then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(StorageError);
      expect((e as StorageError).kind).toBe(kind);
    }
  });

  it('keeps reading plans: unique names, replace, delete, JSON selectors', async () => {
    expect(await s().plans.list()).toEqual([]);
    const a = await s().plans.create(plan());
    expect(a).toMatchObject({ ...plan(), id: expect.any(Number) });
    expect(a.createdAt).toBe(a.updatedAt);
    const b = await s().plans.create(plan({ name: 'registers', meters: 'all', reads: ['registers'] }));
    expect(await s().plans.get(a.id)).toEqual(a);
    expect((await s().plans.list()).map((p) => p.name)).toEqual(['daily profile', 'registers']);
    const dup = await s()
      .plans.create(plan())
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(StorageError);
    expect(dup).toMatchObject({ code: 'STORAGE_CONFLICT', kind: 'conflict' });
    const replaced = await s().plans.replace(
      a.id,
      plan({ meters: { ids: [3, 1] }, enabled: false, windowSeconds: 0 }),
    );
    expect(replaced).toMatchObject({ id: a.id, meters: { ids: [3, 1] }, enabled: false, windowSeconds: 0 });
    expect(await s().plans.get(a.id)).toEqual(replaced);
    expect(await s().plans.replace(99_999, plan({ name: 'nobody' }))).toBeNull();
    expect(await failure(s().plans.replace(b.id, plan()))).toMatchObject({ code: 'STORAGE_CONFLICT' });
    for (const bad of [
      plan({ name: '' }),
      plan({ cron: '* *' }),
      plan({ reads: [] }),
      plan({ reads: ['teleport' as 'block'] }),
      plan({ meters: { ids: [0] } }),
      plan({ windowSeconds: -1 }),
    ]) {
      expect(await failure(s().plans.create(bad))).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
    }
    expect(await s().plans.delete(a.id)).toBe(true);
    expect(await s().plans.delete(a.id)).toBe(false);
    expect(await s().plans.get(a.id)).toBeNull();
    expect((await s().plans.list()).map((p) => p.id)).toEqual([b.id]);
    // The freed name can be used again.
    expect((await s().plans.create(plan())).name).toBe('daily profile');
  });

  it('keeps each meter health and lists the flagged ones', async () => {
    const m1 = await addMeter(s());
    const m2 = await addMeter(s());
    const m3 = await addMeter(s());
    expect(await s().health.get(m1.id)).toBeNull();
    const h1 = await s().health.put({
      meterId: m1.id,
      failures: 3,
      flaggedUntil: T0 + DAY,
      lastSuccessAt: null,
      lastFailureAt: T0,
      lastError: 'DLMS_TIMEOUT',
    });
    expect(h1).toMatchObject({
      meterId: m1.id,
      failures: 3,
      flaggedUntil: T0 + DAY,
      lastError: 'DLMS_TIMEOUT',
    });
    expect(await s().health.get(m1.id)).toEqual(h1);
    await s().health.put({ ...h1, meterId: m3.id, flaggedUntil: T0 + 2 * DAY });
    await s().health.put({
      meterId: m2.id,
      failures: 0,
      flaggedUntil: null,
      lastSuccessAt: T0,
      lastFailureAt: null,
      lastError: null,
    });
    expect((await s().health.flagged(T0)).map((x) => x.meterId)).toEqual([m1.id, m3.id]);
    expect((await s().health.flagged(T0 + DAY)).map((x) => x.meterId)).toEqual([m3.id]);
    const cleared = await s().health.put({ ...h1, failures: 0, flaggedUntil: null, lastSuccessAt: T0 + 5 });
    expect(cleared).toMatchObject({ failures: 0, flaggedUntil: null, lastSuccessAt: T0 + 5 });
    expect((await s().health.flagged(T0)).map((x) => x.meterId)).toEqual([m3.id]);
    expect(await failure(s().health.put({ ...h1, meterId: 99_999 }))).toEqual({
      code: 'STORAGE_NOT_FOUND',
      reason: 'STORAGE_UNKNOWN_METER',
    });
    expect(await failure(s().health.put({ ...h1, failures: -1 }))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
  });

  it('announces each ingested batch once in the outbox, in the same transaction', async () => {
    const m = await addMeter(s());
    const e = await s().channels.ensure(m.id, energy);
    const v = await s().channels.ensure(m.id, voltage);
    const readings = [...dayOf(e.id, 0), { channelId: v.id, ts: T0 + MIN15, value: 230 }];
    await s().readings.ingest({ id: 'b1', readings, receivedAt: T0 + DAY });
    let all = await outbox(s());
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: 'b1', type: 'readings.stored', key: `meter:${m.id}`, at: T0 + DAY });
    expect(all[0]!.payload as ReadingsStoredPayload).toEqual({
      meterId: m.id,
      batchId: 'b1',
      channels: 2,
      readings: 97,
      from: T0 + MIN15,
      to: T0 + DAY,
    });
    // A re-sent batch is not stored again and not announced again.
    expect((await s().readings.ingest({ id: 'b1', readings })).duplicateBatch).toBe(true);
    expect(await outbox(s())).toHaveLength(1);
    // A failed ingest (unknown channel) announces nothing.
    await expect(
      s().readings.ingest({ id: 'b2', readings: [{ channelId: 99_999, ts: T0 + MIN15, value: 1 }] }),
    ).rejects.toThrow();
    expect(await outbox(s())).toHaveLength(1);

    // A fault inside the transaction, at the announcement itself: the readings are not stored.
    const other = await addMeter(s());
    const c = await s().channels.ensure(other.id, energy);
    await h().exec(failOutboxSql(dialect, `meter:${other.id}`));
    await expect(s().readings.ingest({ id: 'b3', readings: dayOf(c.id, 1) })).rejects.toThrow();
    expect(await s().readings.isBatchStored('b3')).toBe(false);
    expect((await s().readings.series({ channelId: c.id, from: T0, to: T0 + 3 * DAY })).items).toHaveLength(
      0,
    );
    expect(await outbox(s())).toHaveLength(1);
    await h().exec(clearFaultSql(dialect));
    const ok = await s().readings.ingest({ id: 'b3', readings: dayOf(c.id, 1) });
    expect(ok).toMatchObject({ inserted: 96, duplicateBatch: false });
    all = await outbox(s());
    expect(all.map((x) => x.id)).toEqual(['b1', 'b3']);
    expect(all[1]!.seq).toBeGreaterThan(all[0]!.seq);
  });

  it('announces each stored event (not duplicates) and each command state change', async () => {
    const m = await addMeter(s());
    const ev = (code: number) => ({
      meterId: m.id,
      ts: T0 + code * 1000,
      meterTime: T0 + code * 1000,
      log: '0-0:99.98.0.255',
      code,
      category: 'tamper' as const,
      raw: null,
    });
    await s().events.append([ev(1), ev(2)]);
    expect(await s().events.append([ev(2), ev(3)])).toEqual({ inserted: 1, duplicates: 1 });
    let all = await outbox(s());
    expect(all.map((x) => [x.type, (x.payload as EventStoredPayload).code])).toEqual([
      ['event.stored', 1],
      ['event.stored', 2],
      ['event.stored', 3],
    ]);
    const stored = await s().events.list({ meterId: m.id });
    expect(all.map((x) => (x.payload as EventStoredPayload).eventId)).toEqual(stored.items.map((x) => x.id));
    expect(all[0]!.payload).toEqual({
      eventId: stored.items[0]!.id,
      meterId: m.id,
      ts: T0 + 1000,
      log: '0.0.99.98.0.255',
      code: 1,
      category: 'tamper',
    });
    expect(new Set(all.map((x) => x.id)).size).toBe(3);

    const cmd = await s().commands.create({
      kind: 'disconnect',
      meterId: m.id,
      parameters: {},
      reason: 'non-payment',
      requestedBy: 'al',
    });
    await s().commands.transition(cmd.id, 'queued', 'sending', 'collector-1');
    await failure(s().commands.transition(cmd.id, 'queued', 'sending', 'collector-2'));
    await s().commands.transition(cmd.id, 'sending', 'confirmed', 'collector-1', {
      detail: { relay: 'open' },
    });
    all = (await outbox(s())).slice(3);
    expect(all.map((x) => [x.type, x.key, x.id])).toEqual([
      ['command.queued', `meter:${m.id}`, `command:${cmd.id}:0`],
      ['command.sending', `meter:${m.id}`, `command:${cmd.id}:1`],
      ['command.confirmed', `meter:${m.id}`, `command:${cmd.id}:2`],
    ]);
    expect(all[2]!.payload as CommandChangedPayload).toEqual({
      commandId: cmd.id,
      meterId: m.id,
      kind: 'disconnect',
      from: 'sending',
      to: 'confirmed',
      by: 'collector-1',
      detail: { relay: 'open' },
    });

    // A fault at the announcement rolls the event, the new command and the state change back.
    const c2 = await s().commands.create({
      kind: 'connect',
      meterId: m.id,
      parameters: {},
      reason: 'reinstatement',
      requestedBy: 'al',
    });
    await h().exec(failOutboxSql(dialect, `meter:${m.id}`));
    await expect(s().events.append([ev(4)])).rejects.toThrow();
    await expect(s().commands.transition(c2.id, 'queued', 'sending', 'x')).rejects.toThrow();
    await expect(
      s().commands.create({
        kind: 'connect',
        meterId: m.id,
        parameters: {},
        reason: 'test',
        requestedBy: 'al',
      }),
    ).rejects.toThrow();
    await h().exec(clearFaultSql(dialect));
    expect((await s().events.list({ meterId: m.id })).items.map((x) => x.code)).toEqual([1, 2, 3]);
    expect((await s().commands.get(c2.id))?.state).toBe('queued');
    expect((await s().commands.list({ meterId: m.id })).items.map((x) => x.id)).toEqual([cmd.id, c2.id]);
    expect(await outbox(s())).toHaveLength(7);
  });

  it('appends, reads after a cursor, keeps relay cursors and prunes what every relay passed', async () => {
    expect(await s().outbox.cursor('webhooks')).toBe(0);
    expect(await s().outbox.read(0, 10)).toEqual([]);
    const appended = await s().outbox.append([
      { type: 'test.one', key: 'k1', payload: { n: 1 }, at: T0 },
      { type: 'test.two', key: 'k2', payload: { n: 2, nested: { ok: true } }, id: 'fixed-id', at: T0 + DAY },
    ]);
    expect(appended.map((x) => x.type)).toEqual(['test.one', 'test.two']);
    expect(appended[1]).toMatchObject({
      id: 'fixed-id',
      key: 'k2',
      at: T0 + DAY,
      payload: { n: 2, nested: { ok: true } },
    });
    expect(appended[0]!.id).toMatch(/.+/);
    expect(appended[1]!.seq).toBeGreaterThan(appended[0]!.seq);
    const later = await s().outbox.append([{ type: 'test.three', key: 'k1', payload: 'text' }]);
    expect(later[0]!.seq).toBeGreaterThan(appended[1]!.seq);
    expect(await s().outbox.append([])).toEqual([]);

    expect((await s().outbox.read(0, 2)).map((x) => x.type)).toEqual(['test.one', 'test.two']);
    expect((await s().outbox.read(appended[0]!.seq, 10)).map((x) => x.type)).toEqual([
      'test.two',
      'test.three',
    ]);
    expect(await s().outbox.read(later[0]!.seq, 10)).toEqual([]);
    expect(later[0]!.payload).toBe('text');
    expect((await s().outbox.read(appended[1]!.seq, 1))[0]).toEqual(later[0]);

    await s().outbox.commit('webhooks', appended[1]!.seq);
    await s().outbox.commit('webhooks', appended[0]!.seq); // never back
    expect(await s().outbox.cursor('webhooks')).toBe(appended[1]!.seq);
    await s().outbox.commit('cim', appended[0]!.seq);

    // Only entries every relay has passed and older than the instant go.
    expect(await s().outbox.prune(T0 + 2 * DAY)).toBe(1);
    expect((await outbox(s())).map((x) => x.type)).toEqual(['test.two', 'test.three']);
    await s().outbox.commit('cim', later[0]!.seq);
    expect(await s().outbox.prune(T0 + 2 * DAY)).toBe(1);
    expect((await outbox(s())).map((x) => x.type)).toEqual(['test.three']);
    // Pruning never lowers the numbering.
    const next = await s().outbox.append([{ type: 'test.four', key: 'k', payload: 4 }]);
    expect(next[0]!.seq).toBeGreaterThan(later[0]!.seq);
    // Every relay past everything, everything old: the newest entry stays, the numbering goes on.
    await s().outbox.commit('webhooks', next[0]!.seq);
    await s().outbox.commit('cim', next[0]!.seq);
    expect(await s().outbox.prune(Date.UTC(2099, 0, 1))).toBe(1);
    expect((await outbox(s())).map((x) => x.type)).toEqual(['test.four']);
    const last = await s().outbox.append([{ type: 'test.five', key: 'k', payload: 5 }]);
    expect(last[0]!.seq).toBeGreaterThan(next[0]!.seq);

    expect(await failure(s().outbox.append([{ type: '', key: 'k', payload: 1 }]))).toMatchObject({
      code: 'STORAGE_INVALID_INPUT',
    });
    expect(await failure(s().outbox.read(-1, 10))).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
  });

  it('filters the meter list in the store and pages without empty pages before the end', async () => {
    const feeder = await s().topology.createNode({ kind: 'feeder', parentId: null, code: 'F', name: 'F' });
    const tx = await s().topology.createNode({
      kind: 'transformer',
      parentId: feeder.id,
      code: 'T',
      name: 'T',
    });
    const sp = await s().topology.createNode({
      kind: 'service-point',
      parentId: tx.id,
      code: 'SP',
      name: 'SP',
    });
    const made: Meter[] = [];
    for (let i = 0; i < 30; i++) {
      made.push(
        await addMeter(s(), {
          serial: `Ab_${String(i).padStart(3, '0')}%x`,
          manufacturer: i % 3 === 0 ? 'ZIV' : 'ACME',
          model: i % 2 === 0 ? 'M1' : 'M2',
          protocol: i % 5 === 0 ? 'dlms-hdlc' : 'dlms-tcp',
          deviceProfile: i % 7 === 0 ? 'ziv-5ctm' : 'acme-am550',
          customerClass: i % 10 === 0 ? 'industrial' : 'residential',
          servicePointId: i % 4 === 0 ? sp.id : null,
        }),
      );
    }
    const ids = (pred: (i: number) => boolean) => made.filter((_, i) => pred(i)).map((m) => m.id);
    const all = async (q: Parameters<Store['meters']['list']>[0]) => {
      const out: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await s().meters.list({ ...q, cursor });
        if (page.nextCursor !== null) expect(page.items.length).toBe(q.limit ?? 500);
        out.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await all({ manufacturer: 'ZIV', limit: 2 })).toEqual(ids((i) => i % 3 === 0));
    expect(await all({ model: 'M2', limit: 4 })).toEqual(ids((i) => i % 2 === 1));
    expect(await all({ protocol: 'dlms-hdlc', limit: 1 })).toEqual(ids((i) => i % 5 === 0));
    expect(await all({ deviceProfile: 'ziv-5ctm', limit: 2 })).toEqual(ids((i) => i % 7 === 0));
    expect(await all({ customerClass: 'industrial', limit: 2 })).toEqual(ids((i) => i % 10 === 0));
    expect(await all({ underNode: feeder.id, limit: 3 })).toEqual(ids((i) => i % 4 === 0));
    expect(await all({ manufacturer: 'ZIV', model: 'M1', underNode: tx.id, limit: 1 })).toEqual(
      ids((i) => i % 3 === 0 && i % 2 === 0 && i % 4 === 0),
    );
    expect(await all({ serial: made[7]!.serial })).toEqual([made[7]!.id]);
    expect(await all({ search: 'ab_01', limit: 3 })).toEqual(ids((i) => i >= 10 && i < 20));
    // `_` and `%` are text, not wildcards.
    expect(await all({ search: '_00' })).toEqual(ids((i) => i < 10));
    expect(await all({ search: '9%X' })).toEqual(ids((i) => i % 10 === 9));
    expect(await all({ search: 'a%b' })).toEqual([]);
    await s().meters.setStatus(made[3]!.id, 'commissioned');
    await s().meters.setStatus(made[6]!.id, 'commissioned');
    expect(await all({ status: 'commissioned', manufacturer: 'ZIV', limit: 1 })).toEqual([
      made[3]!.id,
      made[6]!.id,
    ]);
    expect(await all({ manufacturer: 'nobody', limit: 1 })).toEqual([]);
    expect(await failure(s().meters.list({ underNode: 99_999 }))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
  });
}
