import { type NewBill, QualityFlag, type Store, type TariffInput } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, DAY, dayOf, energy, failure, type Harness, MIN15, T0 } from './helpers.ts';

const tariff = (extra: Partial<TariffInput> = {}): TariffInput => ({
  id: 'RES-TOU',
  name: 'Residential TOU',
  currency: 'EUR',
  minorDigits: 2,
  timeZone: 'Europe/Berlin',
  dayTypes: ['workday'],
  week: ['workday', 'workday', 'workday', 'workday', 'workday', 'workday', 'workday'],
  specialDays: [],
  seasons: [
    {
      id: 'all',
      start: '01-01',
      days: [{ dayType: 'workday', ranges: [{ start: '00:00', end: '24:00', period: 'T1' }] }],
    },
  ],
  periods: [{ id: 'T1', importRate: '0.25' }],
  fixedCharges: [],
  demandCharges: [],
  netMetering: 'none',
  taxes: [],
  ...extra,
});

function bill(meterId: number, extra: Partial<NewBill> = {}): NewBill {
  return {
    meterId,
    cycle: '2026-11',
    groupId: 'residential',
    from: Date.UTC(2026, 9, 31, 23),
    to: Date.UTC(2026, 10, 30, 23),
    tariffId: 'RES-TOU',
    tariffRevision: 1,
    currency: 'EUR',
    minorDigits: 2,
    lines: [
      {
        kind: 'energy',
        code: 'energy:T1',
        description: 'Energy',
        quantity: '100',
        unit: 'kWh',
        rate: '0.25',
        amount: 2500,
      },
    ],
    subtotal: 2500,
    tax: 0,
    total: 2500,
    estimated: false,
    flags: [],
    determinants: {
      meterId,
      cycle: '2026-11',
      from: 0,
      to: 1,
      intervalSeconds: 900,
      expected: 2880,
      actual: 2880,
      estimated: 0,
      edited: 0,
      missing: 0,
      periods: [],
      importMilliWh: 100_000_000,
      exportMilliWh: 0,
      maxDemandMilliW: null,
      maxDemandAt: null,
      registerChecks: [],
      openExceptions: 0,
      unvalidatedDays: 0,
    },
    dataVersion: 'v1',
    difference: null,
    createdBy: 'alice',
    reason: null,
    ...extra,
  };
}

/** The BillingStore contract, run against each engine. */
export function billingContract(name: string, harness: () => Harness): void {
  describe(`${name} billing store`, () => {
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

    it('keeps every tariff revision; the newest is current; retiring is a revision of its own', async () => {
      const r1 = await store.billing.putTariff(tariff(), 'alice');
      expect(r1).toMatchObject({ id: 'RES-TOU', revision: 1, retired: false, createdBy: 'alice' });
      const r2 = await store.billing.putTariff(
        tariff({ periods: [{ id: 'T1', importRate: '0.30' }] }),
        'bob',
      );
      expect(r2.revision).toBe(2);
      expect((await store.billing.tariff('RES-TOU'))?.periods[0]?.importRate).toBe('0.30');
      expect((await store.billing.tariff('RES-TOU', 1))?.periods[0]?.importRate).toBe('0.25');
      expect(await store.billing.tariff('nope')).toBeNull();
      await store.billing.putTariff(tariff({ id: 'B' }), 'alice');
      expect((await store.billing.tariffs()).map((t) => [t.id, t.revision])).toEqual([
        ['B', 1],
        ['RES-TOU', 2],
      ]);
      expect(await store.billing.retireTariff('RES-TOU', 'carol')).toBe(true);
      expect(await store.billing.retireTariff('nope', 'carol')).toBe(false);
      expect((await store.billing.tariffs()).map((t) => t.id)).toEqual(['B']);
      const all = await store.billing.tariffs({ includeRetired: true });
      expect(all.find((t) => t.id === 'RES-TOU')).toMatchObject({ revision: 3, retired: true });
      expect((await store.billing.tariff('RES-TOU', 2))?.retired).toBe(false);
      expect((await failure(store.billing.putTariff(tariff({ id: 'bad id!' }), 'a'))).code).toBe(
        'STORAGE_INVALID_INPUT',
      );
    });

    it('stores bills immutable: a rebill is the next version, a stale version is a conflict', async () => {
      const m = await addMeter(store);
      const v1 = await store.billing.addBill(bill(m.id), 1);
      expect(v1).toMatchObject({ version: 1, total: 2500, dataVersion: 'v1', meterId: m.id });
      expect((await failure(store.billing.addBill(bill(m.id), 1))).code).toBe('STORAGE_CONFLICT');
      const lines = [
        {
          kind: 'energy' as const,
          code: 'energy:T1',
          description: 'Energy',
          quantity: '110',
          unit: 'kWh',
          rate: '0.25',
          amount: 2750,
        },
      ];
      const v2 = await store.billing.addBill(
        bill(m.id, {
          lines,
          subtotal: 2750,
          total: 2750,
          dataVersion: 'v2',
          reason: 'edits',
          difference: {
            previousVersion: 1,
            lines: [{ code: 'energy:T1', previous: 2500, current: 2750, difference: 250 }],
            total: 250,
          },
        }),
        2,
      );
      expect(v2.version).toBe(2);
      expect(v2.difference?.total).toBe(250);
      // Version 1 is unchanged.
      expect(await store.billing.bill(v1.id)).toEqual(v1);
      expect((await store.billing.billVersions(m.id, '2026-11')).map((b) => b.version)).toEqual([1, 2]);
      const latest = await store.billing.bills({ cycle: '2026-11' });
      expect(latest.items.map((b) => b.id)).toEqual([v2.id]);
      const every = await store.billing.bills({ cycle: '2026-11', latestOnly: false });
      expect(every.items.map((b) => b.id)).toEqual([v1.id, v2.id]);
      expect(await store.billing.bill(999_999)).toBeNull();
    });

    it('keeps stored bill versions immutable in the database itself (only superseding one is allowed)', async () => {
      const m = await addMeter(store);
      const v1 = await store.billing.addBill(bill(m.id), 1);
      await expect(h.exec('UPDATE billing_bills SET total = 1')).rejects.toThrow(/immutable/);
      await expect(h.exec("UPDATE billing_bills SET data_version = 'forged'")).rejects.toThrow(/immutable/);
      await expect(h.exec('DELETE FROM billing_bills')).rejects.toThrow(/immutable/);
      expect(await store.billing.bill(v1.id)).toEqual(v1);
      // A rebill marks the previous version superseded (the one change allowed), never back.
      const v2 = await store.billing.addBill(bill(m.id, { dataVersion: 'v2' }), 2);
      await expect(h.exec(`UPDATE billing_bills SET latest = (1 = 1) WHERE id = ${v1.id}`)).rejects.toThrow(
        /immutable/,
      );
      expect((await store.billing.billVersions(m.id, '2026-11')).map((b) => [b.id, b.total])).toEqual([
        [v1.id, 2500],
        [v2.id, 2500],
      ]);
      expect((await store.billing.bills({ cycle: '2026-11' })).items.map((b) => b.id)).toEqual([v2.id]);
    });

    it('lists bills by cycle, meter, group and estimated flag, paged', async () => {
      const a = await addMeter(store);
      const b = await addMeter(store);
      await store.billing.addBill(bill(a.id), 1);
      await store.billing.addBill(bill(b.id, { estimated: true, flags: ['estimated'], groupId: 'ci' }), 1);
      await store.billing.addBill(bill(a.id, { cycle: '2026-12' }), 1);
      expect((await store.billing.bills({ meterId: a.id })).items).toHaveLength(2);
      expect((await store.billing.bills({ estimated: true })).items.map((x) => x.meterId)).toEqual([b.id]);
      expect((await store.billing.bills({ groupId: 'ci' })).items.map((x) => x.meterId)).toEqual([b.id]);
      const p1 = await store.billing.bills({ limit: 2 });
      expect(p1.items).toHaveLength(2);
      const p2 = await store.billing.bills({ limit: 2, cursor: p1.nextCursor });
      expect(p2.items).toHaveLength(1);
      expect(p2.nextCursor).toBeNull();
      expect((await failure(store.billing.bills({ cycle: '2026-13' }))).code).toBe('STORAGE_INVALID_INPUT');
    });

    it('refuses a bill whose total is not its lines, an unknown meter, a bad cycle', async () => {
      const m = await addMeter(store);
      const f1 = await failure(store.billing.addBill(bill(m.id, { total: 1 }), 1));
      expect(f1.code).toBe('STORAGE_INVALID_INPUT');
      expect((await failure(store.billing.addBill(bill(m.id, { cycle: '2026-1' }), 1))).code).toBe(
        'STORAGE_INVALID_INPUT',
      );
      expect((await failure(store.billing.addBill(bill(987_654), 1))).code).toBe('STORAGE_NOT_FOUND');
      expect((await store.billing.bills({})).items).toHaveLength(0);
    });
    it('counts the estimates among what readings.aggregate sums (what billing and the API show as estimated)', async () => {
      const m = await addMeter(store);
      const e = await store.channels.ensure(m.id, energy);
      await store.readings.ingest({ readings: [...dayOf(e.id, 0), ...dayOf(e.id, 1)] });
      // Day 0: two estimates over gaps' worth of values (new versions), one in the first hour;
      // a later real value replaces one of them: only current versions count.
      const est = (ts: number) => ({
        channelId: e.id,
        ts,
        value: 9,
        quality: QualityFlag.estimated,
        source: 'estimate' as const,
      });
      await store.readings.ingest({
        readings: [est(T0 + MIN15), est(T0 + 10 * MIN15), est(T0 + 20 * MIN15)],
      });
      await store.readings.ingest({ readings: [{ channelId: e.id, ts: T0 + 20 * MIN15, value: 4 }] });
      const days = await store.readings.aggregate({
        channelId: e.id,
        from: T0,
        to: T0 + 2 * DAY,
        bucket: 'day',
        fn: 'sum',
      });
      expect(days.map((p) => [p.count, p.estimated])).toEqual([
        [96, 2],
        [96, undefined],
      ]);
      // The same from the readings (not the day rollup), by hour.
      const hours = await store.readings.aggregate({
        channelId: e.id,
        from: T0,
        to: T0 + 3 * 3_600_000,
        bucket: 'hour',
        fn: 'sum',
      });
      expect(hours.map((p) => p.estimated ?? 0)).toEqual([1, 0, 1]);
    });
  });
}
