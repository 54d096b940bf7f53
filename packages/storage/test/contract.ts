import type { Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conflictContract } from './contract-conflicts.ts';
import { entityContract } from './contract-entities.ts';
import { meterContract } from './contract-meters.ts';
import { portContract } from './contract-ports.ts';
import { addMeter, DAY, dayOf, energy, failure, type Harness, MIN15, T0, voltage } from './helpers.ts';

/** Behaviour both adapters must show; every test runs on a fresh, empty store. */
export function storeContract(name: string, harness: () => Harness): void {
  describe(`${name}: store contract`, () => {
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
    const s = () => store;

    async function meterWithChannelsVoltage(meterId: number) {
      return s().channels.ensure(meterId, voltage);
    }

    async function meterWithChannels() {
      const meter = await addMeter(s());
      const e = await s().channels.ensure(meter.id, energy);
      const v = await s().channels.ensure(meter.id, voltage);
      return { meter, e, v };
    }

    it('ensureMany creates the missing channels in one go and returns them in order', async () => {
      const { meter, e } = await meterWithChannels();
      const current = {
        ...energy,
        obis: '1.0.31.7.0.255',
        kind: 'instantaneous' as const,
        intervalSeconds: null,
      };
      const got = await s().channels.ensureMany(meter.id, [
        current,
        { ...energy, obis: '1-0:1.8.0.255' },
        current,
      ]);
      expect(got.map((c) => c.obis)).toEqual(['1.0.31.7.0.255', '1.0.1.8.0.255', '1.0.31.7.0.255']);
      expect(got[1]!.id).toBe(e.id);
      expect(got[0]!.id).toBe(got[2]!.id);
      expect((await s().channels.forMeter(meter.id)).map((c) => c.id).sort()).toEqual(
        [e.id, got[0]!.id, (await meterWithChannelsVoltage(meter.id)).id].sort(),
      );
      expect(await s().channels.ensureMany(meter.id, [])).toEqual([]);
      expect(await failure(s().channels.ensureMany(424_242, [energy]))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_METER',
      });
      expect(
        await failure(s().channels.ensureMany(meter.id, [energy, { ...energy, obis: 'x' }])),
      ).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
    });

    it('stores a batch and pages a series back in time order', async () => {
      const { e } = await meterWithChannels();
      const res = await s().readings.ingest({ id: 'b1', readings: dayOf(e.id, 0) });
      expect(res).toMatchObject({
        batchId: 'b1',
        inserted: 96,
        versioned: 0,
        unchanged: 0,
        duplicateBatch: false,
      });
      expect(await s().readings.isBatchStored('b1')).toBe(true);
      expect(await s().readings.isBatchStored('b2')).toBe(false);
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await s().readings.series({
          channelId: e.id,
          from: T0,
          to: T0 + DAY + 1,
          limit: 40,
          cursor,
        });
        seen.push(...page.items.map((r) => r.value));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 96 }, (_, i) => i));
      const one = await s().readings.series({ channelId: e.id, from: T0, to: T0 + MIN15 + 1 });
      expect(one.items[0]).toMatchObject({
        ts: T0 + MIN15,
        value: 0,
        quality: 0,
        source: 'scheduled',
        version: 1,
      });
    });

    it('is idempotent: the same readings again change nothing, the same batch id is skipped', async () => {
      const { e } = await meterWithChannels();
      await s().readings.ingest({ id: 'b1', readings: dayOf(e.id, 0) });
      const again = await s().readings.ingest({ id: 'b2', readings: dayOf(e.id, 0) });
      expect(again).toMatchObject({ inserted: 0, versioned: 0, unchanged: 96 });
      const dup = await s().readings.ingest({ id: 'b1', readings: dayOf(e.id, 0, 1000) });
      expect(dup.duplicateBatch).toBe(true);
      const all = await s().readings.series({ channelId: e.id, from: T0, to: T0 + 2 * DAY, versions: 'all' });
      expect(all.items).toHaveLength(96);
    });

    it('keeps every different value as a new version, newest visible, raw kept', async () => {
      const { e } = await meterWithChannels();
      const ts = T0 + MIN15;
      await s().readings.ingest({ readings: [{ channelId: e.id, ts, value: 10 }] });
      const r2 = await s().readings.ingest({
        readings: [{ channelId: e.id, ts, value: 12, quality: 2, reasons: ['gap-fill'], source: 'estimate' }],
      });
      expect(r2).toMatchObject({ inserted: 0, versioned: 1 });
      const r3 = await s().readings.ingest({ readings: [{ channelId: e.id, ts, value: 10 }] });
      expect(r3.versioned).toBe(1);
      const latest = await s().readings.series({ channelId: e.id, from: ts, to: ts + 1 });
      expect(latest.items).toEqual([expect.objectContaining({ value: 10, version: 3, quality: 0 })]);
      const history = await s().readings.history(e.id, ts);
      expect(history.map((r) => [r.version, r.value, r.quality, r.source])).toEqual([
        [1, 10, 0, 'scheduled'],
        [2, 12, 2, 'estimate'],
        [3, 10, 0, 'scheduled'],
      ]);
      expect(history[1]?.reasons).toEqual(['gap-fill']);
      const all = await s().readings.series({
        channelId: e.id,
        from: ts,
        to: ts + 1,
        versions: 'all',
        limit: 2,
      });
      expect(all.items.map((r) => r.version)).toEqual([1, 2]);
      const rest = await s().readings.series({
        channelId: e.id,
        from: ts,
        to: ts + 1,
        versions: 'all',
        cursor: all.nextCursor,
      });
      expect(rest.items.map((r) => r.version)).toEqual([3]);
    });

    it('pages newest versions correctly when one instant has many versions', async () => {
      const { e } = await meterWithChannels();
      const at = (i: number) => T0 + (i + 1) * MIN15;
      await s().readings.ingest({
        readings: [0, 1, 2, 3].map((i) => ({ channelId: e.id, ts: at(i), value: i })),
      });
      const many = Array.from({ length: 25 }, (_, v) => ({ channelId: e.id, ts: at(1), value: 100 + v }));
      await s().readings.ingest({ readings: many });
      const values: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await s().readings.series({ channelId: e.id, from: T0, to: T0 + DAY, limit: 1, cursor });
        values.push(...page.items.map((r) => r.value));
        cursor = page.nextCursor;
      } while (cursor);
      expect(values).toEqual([0, 124, 2, 3]);
      const two = await s().readings.series({ channelId: e.id, from: T0, to: T0 + DAY, limit: 3 });
      expect(two.items.map((r) => [r.value, r.version])).toEqual([
        [0, 1],
        [124, 26],
        [2, 1],
      ]);
    });

    it('treats conflicting duplicates inside one batch as successive versions', async () => {
      const { e } = await meterWithChannels();
      const ts = T0 + MIN15;
      const res = await s().readings.ingest({
        readings: [
          { channelId: e.id, ts, value: 1 },
          { channelId: e.id, ts, value: 1 },
          { channelId: e.id, ts, value: 2 },
        ],
      });
      expect(res).toMatchObject({ inserted: 1, unchanged: 1, versioned: 1 });
      expect((await s().readings.history(e.id, ts)).map((r) => r.value)).toEqual([1, 2]);
    });

    it('aggregates a series by 15 min, hour, day and month on the newest versions', async () => {
      const { e } = await meterWithChannels();
      await s().readings.ingest({ readings: [...dayOf(e.id, 0), ...dayOf(e.id, 1, 100)] });
      await s().readings.ingest({ readings: [{ channelId: e.id, ts: T0 + MIN15, value: 50 }] });
      const day = await s().readings.aggregate({
        channelId: e.id,
        from: T0,
        to: T0 + 2 * DAY,
        bucket: 'day',
        fn: 'sum',
      });
      const sum0 = (95 * 96) / 2 + 50;
      expect(day).toEqual([
        { bucketStart: T0, value: sum0, count: 96 },
        { bucketStart: T0 + DAY, value: 100 * 96 + (95 * 96) / 2, count: 96 },
      ]);
      const hour = await s().readings.aggregate({
        channelId: e.id,
        from: T0,
        to: T0 + DAY,
        bucket: 'hour',
        fn: 'max',
      });
      expect(hour).toHaveLength(24);
      expect(hour[0]).toEqual({ bucketStart: T0, value: 50, count: 4 });
      expect(hour[1]).toEqual({ bucketStart: T0 + 3_600_000, value: 7, count: 4 });
      const q = await s().readings.aggregate({
        channelId: e.id,
        from: T0,
        to: T0 + 3600_000,
        bucket: '15m',
        fn: 'min',
      });
      expect(q.map((p) => p.value)).toEqual([50, 1, 2, 3]);
      const month = await s().readings.aggregate({
        channelId: e.id,
        from: T0,
        to: Date.UTC(2025, 1, 1),
        bucket: 'month',
        fn: 'avg',
      });
      expect(month).toEqual([
        { bucketStart: T0, value: (sum0 + 100 * 96 + (95 * 96) / 2) / 192, count: 192 },
      ]);
    });

    it('answers day and month buckets from the day rollup exactly as from the readings', async () => {
      const { e } = await meterWithChannels();
      let seed = 7;
      const rand = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      for (let pass = 0; pass < 4; pass++) {
        const readings = [...dayOf(e.id, 0), ...dayOf(e.id, 1), ...dayOf(e.id, 2)]
          .filter(() => rand() < 0.6)
          .map((r) => ({ ...r, value: Math.round(rand() * 1000) }));
        await s().readings.ingest({ readings });
      }
      for (const fn of ['sum', 'avg', 'min', 'max'] as const) {
        for (const bucket of ['day', 'month'] as const) {
          // Whole days use the rollup; a range shifted by 1 ms covers the same readings but not whole days.
          const rolled = await s().readings.aggregate({
            channelId: e.id,
            from: T0,
            to: T0 + 3 * DAY,
            bucket,
            fn,
          });
          const raw = await s().readings.aggregate({
            channelId: e.id,
            from: T0 + 1,
            to: T0 + 3 * DAY + 1,
            bucket,
            fn,
          });
          expect(rolled.map((p) => [p.bucketStart, p.count])).toEqual(
            raw.map((p) => [p.bucketStart, p.count]),
          );
          for (const [i, p] of rolled.entries()) expect(p.value).toBeCloseTo(raw[i]!.value, 6);
        }
      }
      const group = await s().readings.aggregateGroup({
        meterIds: [e.meterId],
        obis: energy.obis,
        attribute: 2,
        from: T0,
        to: T0 + 3 * DAY,
        bucket: 'day',
        fn: 'max',
      });
      const raw = await s().readings.aggregate({
        channelId: e.id,
        from: T0 + 1,
        to: T0 + 3 * DAY + 1,
        bucket: 'day',
        fn: 'max',
      });
      expect(group.items.map((p) => p.value)).toEqual(raw.map((p) => p.value));
    });

    it('reads across period boundaries and the newest value per channel of a meter', async () => {
      const { meter, e, v } = await meterWithChannels();
      const jan31 = Date.UTC(2025, 0, 31);
      const readings = Array.from({ length: 192 }, (_, i) => ({
        channelId: e.id,
        ts: jan31 + (i + 1) * MIN15,
        value: i,
      }));
      await s().readings.ingest({ readings });
      await s().readings.ingest({ readings: [{ channelId: v.id, ts: jan31 + 5000, value: 231.5 }] });
      const page = await s().readings.series({
        channelId: e.id,
        from: jan31,
        to: jan31 + 3 * DAY,
        limit: 10_000,
      });
      expect(page.items.map((r) => r.value)).toEqual(readings.map((r) => r.value));
      const days = await s().readings.aggregate({
        channelId: e.id,
        from: jan31,
        to: jan31 + 2 * DAY,
        bucket: 'day',
        fn: 'sum',
      });
      expect(days.map((d) => d.count)).toEqual([96, 96]);
      const latest = await s().readings.latestForMeter(meter.id);
      expect(latest.map((r) => [r.channelId, r.ts, r.value])).toEqual([
        [e.id, jan31 + 192 * MIN15, 191],
        [v.id, jan31 + 5000, 231.5],
      ]);
    });

    it('aggregates one quantity across many meters, paged by meter', async () => {
      const meters = [];
      for (let i = 0; i < 5; i++) {
        const m = await addMeter(s());
        const c = await s().channels.ensure(m.id, energy);
        await s().readings.ingest({ readings: [...dayOf(c.id, 0, i), ...dayOf(c.id, 1, i)] });
        meters.push(m.id);
      }
      const got: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await s().readings.aggregateGroup({
          meterIds: meters,
          obis: '1.0.1.8.0.255',
          attribute: 2,
          from: T0,
          to: T0 + 2 * DAY,
          bucket: 'day',
          fn: 'sum',
          limit: 4,
          cursor,
        });
        for (const p of page.items) got.push(p.meterId, p.value);
        cursor = page.nextCursor;
      } while (cursor);
      const expected = meters.flatMap((m, i) => [m, 96 * i + 4560, m, 96 * i + 4560]);
      expect(got).toEqual(expected);
    });

    it('reports completeness per meter per day', async () => {
      const { meter, e } = await meterWithChannels();
      const m2 = await addMeter(s());
      await s().readings.ingest({ readings: [...dayOf(e.id, 0), ...dayOf(e.id, 1).slice(0, 90)] });
      const page = await s().readings.completeness({
        meterIds: [meter.id, m2.id],
        fromDay: T0,
        toDay: T0 + 3 * DAY,
      });
      expect(page.items).toEqual([
        { meterId: meter.id, day: T0, expected: 96, present: 96 },
        { meterId: meter.id, day: T0 + DAY, expected: 96, present: 90 },
        { meterId: meter.id, day: T0 + 2 * DAY, expected: 96, present: 0 },
        { meterId: m2.id, day: T0, expected: 0, present: 0 },
        { meterId: m2.id, day: T0 + DAY, expected: 0, present: 0 },
        { meterId: m2.id, day: T0 + 2 * DAY, expected: 0, present: 0 },
      ]);
      const first = await s().readings.completeness({
        meterIds: [meter.id, m2.id],
        fromDay: T0,
        toDay: T0 + 3 * DAY,
        limit: 3,
      });
      expect(first.items).toHaveLength(3);
      const second = await s().readings.completeness({
        meterIds: [meter.id, m2.id],
        fromDay: T0,
        toDay: T0 + 3 * DAY,
        limit: 3,
        cursor: first.nextCursor,
      });
      expect(second.items.every((r) => r.meterId === m2.id)).toBe(true);
      expect(second.nextCursor).toBeNull();
      expect(
        await failure(s().readings.completeness({ meterIds: [meter.id], fromDay: T0 + 1, toDay: T0 + DAY })),
      ).toEqual({ code: 'STORAGE_INVALID_INPUT', reason: 'CORE_INVALID_RANGE' });
    });

    it('rejects bad input with clear codes and stores nothing of a bad batch', async () => {
      const { e } = await meterWithChannels();
      const good = dayOf(e.id, 0);
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const bad = [...good.slice(0, 10), { channelId: e.id, ts: T0 + 999, value }];
        expect(await failure(s().readings.ingest({ readings: bad }))).toEqual({
          code: 'STORAGE_INVALID_INPUT',
          reason: 'CORE_NON_FINITE_VALUE',
        });
      }
      for (const ts of [Date.UTC(1999, 11, 31), Date.UTC(2100, 0, 1), -1]) {
        expect(await failure(s().readings.ingest({ readings: [{ channelId: e.id, ts, value: 1 }] }))).toEqual(
          {
            code: 'STORAGE_INVALID_INPUT',
            reason: 'CORE_INSTANT_OUT_OF_RANGE',
          },
        );
      }
      expect(
        await failure(
          s().readings.ingest({ readings: [...good, { channelId: 99_999, ts: T0 + 1000, value: 1 }] }),
        ),
      ).toEqual({ code: 'STORAGE_NOT_FOUND', reason: 'STORAGE_UNKNOWN_CHANNEL' });
      expect(await failure(s().channels.ensure(424_242, energy))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_METER',
      });
      expect(await failure(s().channels.ensure(1, { ...energy, obis: '1.2.3' }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(
        await failure(s().readings.series({ channelId: e.id, from: T0, to: T0 + DAY, cursor: '!!' })),
      ).toEqual({
        code: 'STORAGE_INVALID_INPUT',
        reason: 'STORAGE_BAD_CURSOR',
      });
      expect(await failure(s().readings.series({ channelId: e.id, from: T0 + DAY, to: T0 }))).toEqual({
        code: 'STORAGE_INVALID_INPUT',
        reason: 'CORE_INVALID_RANGE',
      });
      expect(
        await failure(
          s().readings.aggregate({ channelId: e.id, from: Number.NaN, to: T0, bucket: 'day', fn: 'sum' }),
        ),
      ).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
      const after = await s().readings.series({ channelId: e.id, from: T0, to: T0 + 2 * DAY });
      expect(after.items).toHaveLength(0);
    });

    it('drops whole reading periods older than the retention policy', async () => {
      const { e } = await meterWithChannels();
      const dec = Date.UTC(2024, 11, 1);
      await s().readings.ingest({
        readings: [{ channelId: e.id, ts: dec + MIN15, value: 1 }, ...dayOf(e.id, 40)],
      });
      const created = await s().maintenance.ensurePeriods({
        from: Date.UTC(2025, 2, 1),
        to: Date.UTC(2025, 3, 1),
      });
      expect(created.length).toBeGreaterThan(0);
      const res = await s().maintenance.applyRetention({ readingsDays: 30 }, Date.UTC(2025, 1, 15));
      expect(res.droppedPeriods.length).toBeGreaterThan(0);
      const old = await s().readings.series({ channelId: e.id, from: dec, to: T0 });
      expect(old.items).toHaveLength(0);
      const kept = await s().readings.series({ channelId: e.id, from: T0, to: T0 + 60 * DAY, limit: 1000 });
      expect(kept.items).toHaveLength(96);
    });

    entityContract(s);
    meterContract(s);
    portContract(name, s, () => h);
    conflictContract(s);
  });

  describe(`${name}: migrations`, () => {
    let h: Harness;
    beforeEach(() => {
      h = harness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('upgrades a previous schema keeping its data', async () => {
      const old = await h.open({ migrateTo: 1 });
      // Written as the version-1 schema holds it (today's meter store reads later columns);
      // `disconnected` was a status then, a supply state now (migration 7 makes it active).
      const epoch = name === 'sqlite' ? '0' : 'to_timestamp(0)';
      await h.exec(
        `INSERT INTO meters (serial, manufacturer, model, device_profile, protocol, address, key_refs, status,
           customer_class, payment_mode, created_at, updated_at)
         VALUES ('OLD-1', 'ACME', 'AM550', 'acme-am550', 'dlms-tcp', '127.0.0.1:4059', '{}', 'disconnected',
           'residential', 'postpaid', ${epoch}, ${epoch})`,
      );
      const m = { id: 1, serial: 'OLD-1' };
      const c = await old.channels.ensure(m.id, energy);
      await old.readings.ingest({ id: 'old', readings: dayOf(c.id, 0) });
      await old.close();
      const store = await h.open();
      try {
        expect(await store.meters.get(m.id)).toMatchObject({ serial: m.serial, status: 'active', tags: [] });
        expect(
          (await store.readings.series({ channelId: c.id, from: T0, to: T0 + DAY + 1 })).items,
        ).toHaveLength(96);
        const ev = await store.events.append([
          {
            meterId: m.id,
            ts: T0,
            meterTime: T0,
            log: '0.0.99.98.0.255',
            code: 1,
            category: 'standard',
            raw: null,
          },
        ]);
        expect(ev.inserted).toBe(1);
        expect(
          (await store.users.create({ name: 'op', displayName: 'Op', role: 'operator', passwordHash: null }))
            .id,
        ).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    });

    it('keeps the outbox numbering above every seq handed out across the upgrade to version 5', async () => {
      const old = await h.open({ migrateTo: 4 });
      const first = await old.outbox.append([
        { type: 'test.a', key: 'k', payload: 1 },
        { type: 'test.b', key: 'k', payload: 2 },
      ]);
      await old.outbox.commit('relay', first[1]!.seq);
      await old.close();
      // Everything pruned by hand: only the numbering's own memory is left.
      await h.exec('DELETE FROM outbox');
      const store = await h.open();
      try {
        const next = await store.outbox.append([{ type: 'test.c', key: 'k', payload: 3 }]);
        expect(next[0]!.seq).toBeGreaterThan(first[1]!.seq);
        const unread = await store.outbox.read(await store.outbox.cursor('relay'), 10);
        expect(unread.map((e) => e.type)).toEqual(['test.c']);
      } finally {
        await store.close();
      }
    });

    it('refuses to start against a schema newer than the code', async () => {
      const store = await h.open();
      await store.close();
      await h.exec('UPDATE schema_migrations SET version = 999 WHERE version = 3');
      expect(await failure(h.open())).toMatchObject({ code: 'STORAGE_SCHEMA_TOO_NEW' });
    });
  });
}
