import {
  type ChannelDef,
  type Meter,
  type NewMeter,
  QualityFlag,
  type ReadingInput,
  type Store,
  type TariffInput,
} from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILL_CSV_COLUMNS, BillingError, BillingService } from '../src/index.ts';

const STEP = 900_000;
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);

const tariff = (extra: Partial<TariffInput> = {}): TariffInput => ({
  id: 'DN',
  name: 'Day, night',
  currency: 'EUR',
  minorDigits: 2,
  timeZone: 'UTC',
  dayTypes: ['all'],
  week: ['all', 'all', 'all', 'all', 'all', 'all', 'all'],
  specialDays: [],
  seasons: [
    {
      id: 'year',
      start: '01-01',
      days: [
        {
          dayType: 'all',
          ranges: [
            { start: '00:00', end: '06:00', period: 'N' },
            { start: '06:00', end: '22:00', period: 'D' },
            { start: '22:00', end: '24:00', period: 'N' },
          ],
        },
      ],
    },
  ],
  periods: [
    { id: 'D', name: 'day, peak', importRate: '0.30', exportRate: '0.05' },
    { id: 'N', name: 'night', importRate: '0.10', exportRate: '0.05' },
  ],
  fixedCharges: [{ id: 'service', name: 'Service, standing', amount: '5.00', per: 'cycle' }],
  demandCharges: [],
  netMetering: 'separate',
  taxes: [{ id: 'vat', ratePct: '10' }],
  ...extra,
});

const energy = (obis: string): ChannelDef => ({
  obis,
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
});

let n = 0;
function newMeter(extra: Partial<NewMeter> = {}): NewMeter {
  n++;
  return {
    serial: `B${n}`,
    manufacturer: 'ACME',
    model: 'AM550',
    deviceProfile: 'acme',
    protocol: 'dlms-tcp',
    address: `10.0.0.${n}:4059`,
    status: 'active',
    tariff: 'DN',
    ...extra,
  };
}

/** 100 Wh in every 15 minutes of [from, to) except the skipped interval ends. */
function flat(
  channelId: number,
  from: number,
  to: number,
  opts: { skip?: (ts: number) => boolean; quality?: (ts: number) => number } = {},
) {
  const out: ReadingInput[] = [];
  for (let ts = from + STEP; ts <= to; ts += STEP) {
    if (opts.skip?.(ts)) continue;
    out.push({ channelId, ts, value: 100, quality: opts.quality?.(ts) ?? QualityFlag.validated });
  }
  return out;
}

/** What a VEE run over November leaves in the VeeStore: a summary per day, open exceptions. */
async function veeRan(store: Store, meterId: number, channelId: number, exceptionAt: number[] = []) {
  const days = Array.from({ length: 30 }, (_, i) => ({
    meterId,
    channelId,
    groupId: 'default',
    day: new Date(NOV + i * 86_400_000).toISOString().slice(0, 10),
    dayStart: NOV + i * 86_400_000,
    dayEnd: NOV + (i + 1) * 86_400_000,
    expected: 96,
    actual: 96,
    estimated: 0,
    edited: 0,
    missing: 0,
    suspect: 0,
    exceptions: 0,
    validated: 96,
  }));
  await store.vee.saveRun({
    channelId,
    from: NOV,
    to: DEC,
    finalDays: 10,
    days,
    exceptions: exceptionAt.map((ts) => ({
      meterId,
      channelId,
      rule: 'spike' as const,
      from: ts,
      to: ts,
      day: new Date(ts - 1).toISOString().slice(0, 10),
      groupId: 'default',
      qualityCode: '3.6.0',
      detail: null,
    })),
  });
}

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

/** The BillingService suite, run on each engine. */
export function billingServiceSuite(engine: string, open: () => Promise<OpenedStore>): void {
  describe(`BillingService on ${engine}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let service: BillingService;
    const m: Record<string, Meter> = {};
    let importA = 0;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
      service = new BillingService({
        store,
        groups: [{ id: 'postpaid', timeZone: 'UTC', match: { paymentModes: ['postpaid'] } }],
      });
      m.complete = await store.meters.create(newMeter());
      m.estimated = await store.meters.create(newMeter());
      m.gaps = await store.meters.create(newMeter());
      m.empty = await store.meters.create(newMeter());
      m.noTariff = await store.meters.create(newMeter({ tariff: null }));
      m.unknownTariff = await store.meters.create(newMeter({ tariff: 'GONE' }));
      m.prepaid = await store.meters.create(newMeter({ paymentMode: 'prepaid' }));
      m.registered = await store.meters.create(newMeter({ status: 'registered' }));
      const [a, aExport] = await store.channels.ensureMany(m.complete.id, [
        energy('1.0.1.29.0.255'),
        energy('1.0.2.29.0.255'),
      ]);
      importA = a!.id;
      const [b] = await store.channels.ensureMany(m.estimated.id, [energy('1-0:1.8.0.255')]);
      const [c] = await store.channels.ensureMany(m.gaps.id, [energy('1.0.1.29.0.255')]);
      await store.channels.ensureMany(m.empty.id, [energy('1.0.1.29.0.255')]);
      const [p] = await store.channels.ensureMany(m.prepaid.id, [energy('1.0.1.29.0.255')]);
      await store.readings.ingest({
        readings: [
          ...flat(a!.id, NOV, DEC),
          // 2 kWh exported at noon on 1 November (8 intervals of 250 Wh).
          ...Array.from({ length: 8 }, (_, i) => ({
            channelId: aExport!.id,
            ts: NOV + 12 * 3_600_000 + (i + 1) * STEP,
            value: 250,
          })),
          ...flat(b!.id, NOV, DEC, {
            quality: (ts) => (ts <= NOV + 4 * STEP ? QualityFlag.estimated : QualityFlag.validated),
          }),
          ...flat(c!.id, NOV, DEC, {
            skip: (ts) => ts > NOV + 10 * 86_400_000 && ts <= NOV + 11 * 86_400_000,
          }),
          ...flat(p!.id, NOV, DEC),
        ],
      });
      await veeRan(store, m.complete.id, a!.id);
      await veeRan(store, m.estimated.id, b!.id, [NOV + 5 * STEP]);
    });

    afterAll(async () => {
      await opened.close();
    });

    it('stores only valid tariffs, each change a revision', async () => {
      const bad = tariff();
      bad.seasons[0]!.days[0]!.ranges[1]!.end = '21:00';
      await expect(service.putTariff(bad, 'alice')).rejects.toThrow(
        'seasons[0].days[0].ranges: hours 21:00–22:00 are not covered (day type all)',
      );
      expect(await service.listTariffs()).toEqual([]);
      await service.putTariff(
        tariff({
          periods: [
            { id: 'D', importRate: '1' },
            { id: 'N', importRate: '1' },
          ],
        }),
        'alice',
      );
      const t = await service.putTariff(tariff(), 'alice');
      expect(t.revision).toBe(2);
      expect((await service.getTariff('DN', 1)).periods[0]!.importRate).toBe('1');
      await expect(service.getTariff('NOPE')).rejects.toMatchObject({
        code: 'BILLING_NOT_FOUND',
        kind: 'not-found',
      });
      await service.putTariff(tariff({ id: 'OLD' }), 'alice');
      await service.retireTariff('OLD', 'alice');
      expect((await service.listTariffs()).map((x) => x.id)).toEqual(['DN']);
    });

    it('bills each meter of the group once, flags estimated and missing data, never skips silently', async () => {
      const run = await service.run('2026-11', { actor: 'alice' });
      expect(run).toMatchObject({
        cycle: '2026-11',
        groups: ['postpaid'],
        // complete, estimated, gaps, empty, noTariff, unknownTariff (not prepaid, not registered)
        meters: 6,
        created: 4,
        rebilled: 0,
        unchanged: 0,
        estimated: 3,
        noData: 1,
        skipped: [{ meterId: m.noTariff!.id, reason: 'no-tariff' }],
      });
      expect(run.failed).toEqual([
        { meterId: m.unknownTariff!.id, code: 'BILLING_NOT_FOUND', message: 'tariff GONE not found' },
      ]);

      const bill = async (meter: Meter) => (await service.billVersions(meter.id, '2026-11'))[0]!;
      const a = await bill(m.complete!);
      // 30 days × 64 day intervals × 100 Wh = 192 kWh × 0.30 = 57.60; night 96 kWh × 0.10 = 9.60;
      // export 2 kWh (day) × 0.05 = −0.10; service 5.00; VAT 10 % of 72.10 = 7.21.
      expect(a.lines.map((l) => [l.code, l.quantity, l.amount])).toEqual([
        ['energy:D', '192', 5760],
        ['export:D', '2', -10],
        ['energy:N', '96', 960],
        ['export:N', '0', 0],
        ['fixed:service', '1', 500],
        ['tax:vat', '72.10', 721],
      ]);
      expect(a).toMatchObject({
        total: 7931,
        estimated: false,
        flags: [],
        version: 1,
        tariffRevision: 2,
        difference: null,
      });
      expect(a.from).toBe(NOV);
      expect(a.to).toBe(DEC);

      const b = await bill(m.estimated!);
      expect(b).toMatchObject({ estimated: true, flags: ['estimated', 'open-exceptions'] });
      expect(b.determinants).toMatchObject({
        estimated: 4,
        actual: 2876,
        missing: 0,
        openExceptions: 1,
        unvalidatedDays: 0,
      });

      const c = await bill(m.gaps!);
      // VEE never ran on this meter: billed as read, flagged unvalidated.
      expect(c.flags).toEqual(['missing-data', 'estimated', 'unvalidated']);
      expect(c.determinants).toMatchObject({
        expected: 2880,
        actual: 2784,
        missing: 96,
        unvalidatedDays: 30,
      });

      const d = await bill(m.empty!);
      expect(d).toMatchObject({ estimated: true, flags: ['no-data', 'estimated'], dataVersion: 'none:0' });
      expect(d.determinants.importMilliWh).toBe(0);
      expect(d.total).toBe(550);
      expect(await service.billVersions(m.prepaid!.id, '2026-11')).toEqual([]);
    });

    it('a second run changes nothing; an edit makes a new version showing the difference', async () => {
      const again = await service.run('2026-11', { actor: 'alice' });
      expect(again).toMatchObject({ created: 0, rebilled: 0, unchanged: 4 });

      // An edit: 1 November 12:15 (day) from 100 Wh to 1,100 Wh — a new reading version.
      await store.readings.ingest({
        readings: [
          { channelId: importA, ts: NOV + 12 * 3_600_000 + STEP, value: 1100, quality: QualityFlag.edited },
        ],
      });
      const v1 = (await service.billVersions(m.complete!.id, '2026-11'))[0]!;
      const skip = await service.run('2026-11', { actor: 'bob', rebill: false });
      expect(skip).toMatchObject({ rebilled: 0, unchanged: 4 });
      const rebill = await service.run('2026-11', { actor: 'bob', reason: 'meter read corrected' });
      expect(rebill).toMatchObject({ created: 0, rebilled: 1, unchanged: 3 });
      const versions = await service.billVersions(m.complete!.id, '2026-11');
      expect(versions).toHaveLength(2);
      expect(versions[0]).toEqual(v1);
      const v2 = versions[1]!;
      expect(v2).toMatchObject({ version: 2, createdBy: 'bob', reason: 'meter read corrected' });
      expect(v2.determinants.edited).toBe(1);
      // +1 kWh day energy: +0.30, VAT +0.03.
      expect(v2.difference).toEqual({
        previousVersion: 1,
        lines: [
          { code: 'energy:D', previous: 5760, current: 5790, difference: 30 },
          { code: 'tax:vat', previous: 721, current: 724, difference: 3 },
        ],
        total: 33,
      });
      expect(v2.dataVersion).not.toBe(v1.dataVersion);
      const latest = await service.listBills({ cycle: '2026-11' });
      expect(latest.items.find((b) => b.meterId === m.complete!.id)?.version).toBe(2);
    });

    it('a cycle without data gets an estimated bill from the previous cycle, flagged', async () => {
      const run = await service.run('2026-12', { actor: 'alice', meterIds: [m.complete!.id] });
      expect(run).toMatchObject({ created: 1, noData: 1, estimated: 1 });
      const [dec] = await service.billVersions(m.complete!.id, '2026-12');
      const nov = (await service.billVersions(m.complete!.id, '2026-11')).at(-1)!;
      expect(dec!.flags).toEqual(['no-data', 'estimated']);
      expect(dec!.determinants.periods[0]!.importMilliWh).toBe(
        Math.round((nov.determinants.periods[0]!.importMilliWh * 31) / 30),
      );
      expect(dec!.dataVersion).toBe(`none:${nov.id}`);
    });

    it('a final run marks the billed intervals final in VEE, once', async () => {
      const run = await service.run('2026-11', { actor: 'carol', meterIds: [m.gaps!.id], final: true });
      expect(run).toMatchObject({ unchanged: 1, created: 0 });
      await service.run('2026-11', { actor: 'carol', meterIds: [m.gaps!.id], final: true });
      const ch = (await store.channels.forMeter(m.gaps!.id)).find((c) => c.kind === 'interval')!;
      const locks = await store.vee.locks(ch.id, NOV, DEC);
      expect(locks.map((l) => [l.label, l.from, l.to, l.lockedBy])).toEqual([
        ['bill 2026-11 v1', NOV + 1, DEC, 'carol'],
      ]);
      // Another meter's channel is untouched.
      expect(await store.vee.locks(importA, NOV, DEC)).toEqual([]);
    });

    it('bills a 25-hour DST day in local time (Europe/Berlin, October 2026)', async () => {
      const berlin = new BillingService({
        store,
        groups: [{ id: 'berlin', timeZone: 'Europe/Berlin', match: { tariffs: ['BER'] } }],
      });
      await berlin.putTariff(tariff({ id: 'BER', timeZone: 'Europe/Berlin', netMetering: 'none' }), 'alice');
      const meter = await store.meters.create(newMeter({ tariff: 'BER' }));
      const [ch] = await store.channels.ensureMany(meter.id, [energy('1.0.1.29.0.255')]);
      const from = Date.UTC(2026, 8, 30, 22);
      const to = Date.UTC(2026, 9, 31, 23);
      await store.readings.ingest({ readings: flat(ch!.id, from, to) });
      await berlin.run('2026-10', { actor: 'alice' });
      const [bill] = await berlin.billVersions(meter.id, '2026-10');
      expect([bill!.from, bill!.to]).toEqual([from, to]);
      // 31 days × 64 day intervals (06–22 local); the 25-hour Sunday adds 4 night intervals.
      expect(bill!.determinants).toMatchObject({ expected: 2980, actual: 2980, missing: 0 });
      expect(bill!.determinants.periods.map((p) => [p.period, p.intervals])).toEqual([
        ['D', 1984],
        ['N', 996],
      ]);
    });

    it('refuses bad runs with a clear error', async () => {
      await expect(service.run('2026-13', { actor: 'a' })).rejects.toThrow('cycle: must be a month YYYY-MM');
      await expect(service.run('2026-11', { actor: '' })).rejects.toBeInstanceOf(BillingError);
      await expect(service.run('2026-11', { actor: 'a', group: 'nope' })).rejects.toMatchObject({
        code: 'BILLING_NOT_FOUND',
      });
      const r = await service.run('2026-11', { actor: 'a', meterIds: [m.prepaid!.id] });
      expect(r.failed[0]).toMatchObject({ meterId: m.prepaid!.id, code: 'BILLING_UNBILLABLE' });
    });

    it('exports bills as CSV and JSON, estimates marked on every row', async () => {
      const csv = await service.exportBills({ cycle: '2026-11' }, 'csv');
      const rows = csv.trimEnd().split('\r\n');
      expect(rows[0]).toBe(BILL_CSV_COLUMNS.join(','));
      const bills = (await service.listBills({ cycle: '2026-11' })).items;
      expect(rows).toHaveLength(1 + bills.reduce((s, b) => s + b.lines.length + 1, 0));
      expect(csv).toContain('"Service, standing"');
      const estimatedId = bills.find((b) => b.meterId === m.estimated!.id)!.id;
      const estRows = rows.filter((r) => r.startsWith(`${estimatedId},`));
      expect(estRows.every((r) => r.includes(',true,estimated|open-exceptions,'))).toBe(true);
      const total = rows.find((r) => r.startsWith(`${bills[0]!.id},`) && r.includes(',total,total,'))!;
      expect(total.endsWith(`,${(bills[0]!.total / 100).toFixed(2)},${bills[0]!.total},EUR`)).toBe(true);

      const json = JSON.parse(await service.exportBills({ cycle: '2026-11', estimated: true }, 'json'));
      expect(json.bills.map((b: { meterId: number }) => b.meterId).sort()).toEqual(
        [m.estimated!.id, m.gaps!.id, m.empty!.id].sort(),
      );
      expect(json.bills[0].from).toBe('2026-11-01T00:00:00.000Z');
      await expect(service.exportBills({}, 'xml' as 'csv')).rejects.toThrow(
        "format: must be 'csv' or 'json'",
      );
    });
  });
}
