import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelDef, ReadingInput, Store, TariffInput } from '@openhes/core';
import { Truth } from '@openhes/simulator';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../src/index.ts';

/**
 * Proof against the simulator's truth: for meters with complete data the bill equals one
 * computed here, independently, from the truth's 15-minute step energies and its TOU
 * calendar (nothing of the billing code is used for the expected figures), to the cent; and
 * the determinants agree with the simulated meters' own TOU registers.
 */

const STEP = 900_000;
const METERS = 4;
// Cycle 2026-11 in India (the simulated IS 15959 meters keep UTC+05:30).
const FROM = Date.UTC(2026, 9, 31, 18, 30);
const TO = Date.UTC(2026, 10, 30, 18, 30);
const truth = new Truth({ seed: 20261101, startAt: Date.UTC(2026, 9, 1), consumers: METERS });

/** The simulator's factory calendar (T1 22–06, T2 06–18, T3 18–22 local, every day) as a tariff. */
const tariff: TariffInput = {
  id: 'SIM-TOU',
  name: 'Simulated TOU',
  currency: 'INR',
  minorDigits: 2,
  timeZone: 'Asia/Kolkata',
  dayTypes: ['any'],
  week: ['any', 'any', 'any', 'any', 'any', 'any', 'any'],
  specialDays: [],
  seasons: [
    {
      id: 'year',
      start: '01-01',
      days: [
        {
          dayType: 'any',
          ranges: [
            { start: '00:00', end: '06:00', period: 'T1' },
            { start: '06:00', end: '18:00', period: 'T2' },
            { start: '18:00', end: '22:00', period: 'T3' },
            { start: '22:00', end: '24:00', period: 'T1' },
          ],
        },
      ],
    },
  ],
  periods: [
    { id: 'T1', importRate: '4.8763', meterRate: 1 },
    { id: 'T2', importRate: '6.2519', meterRate: 2 },
    { id: 'T3', importRate: '8.7347', meterRate: 3 },
  ],
  fixedCharges: [{ id: 'fixed', amount: '3.3333', per: 'day' }],
  demandCharges: [{ id: 'evening-md', rate: '51.25', periods: ['T3'] }],
  netMetering: 'none',
  taxes: [{ id: 'duty', ratePct: '5.5' }],
};

const block: ChannelDef = {
  obis: '1.0.1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};
const touRegister = (rate: number): ChannelDef => ({
  obis: `1.0.1.8.${rate}.255`,
  attribute: 2,
  kind: 'register',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: null,
});

function registerWh(meter: number, obis: string, t: number): number {
  const d = truth.registerAt(meter, obis, t);
  if (!('value' in d) || typeof d.value !== 'number') throw new Error(`${obis} is not a number`);
  return d.value;
}

/** Half-up division of non-negative BigInts (the rounding the bill documents). */
const halfUp = (n: bigint, d: bigint) => (n * 2n + d) / (2n * d);

/**
 * The expected bill, from the truth alone: each step's energy (mWh) accumulated from the
 * meter's seeded initial register, the meter's interval value (whole Wh, as its block profile
 * reports floor(register)), its rate from the truth's calendar, then the prices above.
 */
function independentBill(index: number) {
  const m = truth.meter(index);
  let cum = m.initialEnergy()[0]!;
  for (let k = truth.anchorStep; k < FROM / STEP; k++) cum += m.step(k).wh;
  const whByRate = [0n, 0n, 0n, 0n];
  const intervals = new Map<number, number>();
  let maxT3Wh = 0;
  for (let k = FROM / STEP; k < TO / STEP; k++) {
    const s = m.step(k);
    const next = cum + s.wh;
    const wh = Math.floor(next / 1000) - Math.floor(cum / 1000);
    cum = next;
    intervals.set((k + 1) * STEP, wh);
    whByRate[s.rate] = whByRate[s.rate]! + BigInt(wh);
    if (s.rate === 3 && wh > maxT3Wh) maxT3Wh = wh;
  }
  // Prices in 1/10000 of a rupee per kWh; Wh × price / 1000 kWh → paise = × 100 / 10000.
  const energy = [1, 2, 3].map((r, i) =>
    Number(halfUp(whByRate[r]! * BigInt([48763, 62519, 87347][i]!) * 100n, 1000n * 10000n)),
  );
  const fixed = Number(halfUp(30n * 33333n * 100n, 10000n));
  // Demand: the highest 15-minute T3 interval as kW (Wh × 4 / 1000) at 51.25 per kW (5125 paise).
  const demand = Number(halfUp(BigInt(maxT3Wh) * 4n * 5125n, 1000n));
  const subtotal = energy.reduce((a, b) => a + b, 0) + fixed + demand;
  const tax = Number(halfUp(BigInt(subtotal) * 55n, 1000n));
  return { intervals, whByRate, energy, fixed, demand, subtotal, tax, total: subtotal + tax };
}

describe('billing against the simulator truth', () => {
  let dir: string;
  let store: Store;
  let service: BillingService;
  const meterIds: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hes-billing-proof-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db') });
    service = new BillingService({ store, groups: [{ id: 'india', timeZone: 'Asia/Kolkata' }] });
    await service.putTariff(tariff, 'proof');
    for (let i = 0; i < METERS; i++) {
      const meter = await store.meters.create({
        serial: `SIM-${i}`,
        manufacturer: 'OpenHES',
        model: 'is15959-1ph',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: `127.0.0.1:${4059 + i}`,
        status: 'active',
        tariff: 'SIM-TOU',
      });
      meterIds.push(meter.id);
      const [interval, ...registers] = await store.channels.ensureMany(meter.id, [
        block,
        touRegister(1),
        touRegister(2),
        touRegister(3),
      ]);
      // What the meter reports: block energy = difference of its total register at 15-minute ends.
      const readings: ReadingInput[] = [];
      let prev = registerWh(i, '1.0.1.8.0.255', FROM);
      for (let t = FROM + STEP; t <= TO; t += STEP) {
        const now = registerWh(i, '1.0.1.8.0.255', t);
        readings.push({ channelId: interval!.id, ts: t, value: now - prev, quality: 1 });
        prev = now;
      }
      // The billing profile's TOU registers at both cycle ends.
      registers.forEach((c, r) => {
        for (const t of [FROM, TO]) {
          readings.push({ channelId: c.id, ts: t, value: registerWh(i, `1.0.1.8.${r + 1}.255`, t) });
        }
      });
      await store.readings.ingest({ readings });
    }
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the meter reports what the truth says (the interval values of the proof)', async () => {
    const ch = (await store.channels.forMeter(meterIds[0]!)).find((c) => c.kind === 'interval')!;
    const page = await store.readings.series({ channelId: ch.id, from: FROM, to: TO + 1, limit: 5000 });
    const expected = independentBill(0).intervals;
    expect(page.items).toHaveLength(2880);
    for (const r of page.items) expect(r.value).toBe(expected.get(r.ts));
  });

  it('bills every meter to the cent of the independent computation', async () => {
    const run = await service.run('2026-11', { actor: 'proof' });
    expect(run).toMatchObject({ meters: METERS, created: METERS, failed: [], skipped: [], estimated: 0 });
    for (let i = 0; i < METERS; i++) {
      const want = independentBill(i);
      const [bill] = await service.billVersions(meterIds[i]!, '2026-11');
      const amount = (code: string) => bill!.lines.find((l) => l.code === code)?.amount;
      expect([amount('energy:T1'), amount('energy:T2'), amount('energy:T3')]).toEqual(want.energy);
      expect(amount('fixed:fixed')).toBe(want.fixed);
      expect(amount('demand:evening-md')).toBe(want.demand);
      expect(amount('tax:duty')).toBe(want.tax);
      // VEE did not run in this proof: the bill says so and nothing else.
      expect(bill).toMatchObject({
        subtotal: want.subtotal,
        total: want.total,
        estimated: false,
        flags: ['unvalidated'],
      });
      expect(bill!.determinants).toMatchObject({
        expected: 2880,
        actual: 2880,
        missing: 0,
        estimated: 0,
        unvalidatedDays: 30,
      });
      // Energies per period equal the truth's per-rate interval sums.
      expect(bill!.determinants.periods.map((p) => BigInt(p.importMilliWh / 1000))).toEqual(
        want.whByRate.slice(1),
      );
    }
  });

  it("agrees with the simulated meters' own TOU registers", async () => {
    for (let i = 0; i < METERS; i++) {
      const [bill] = await service.billVersions(meterIds[i]!, '2026-11');
      const d = bill!.determinants;
      expect(d.registerChecks).toHaveLength(3);
      for (const [r, p] of d.periods.entries()) {
        const obis = `1.0.1.8.${r + 1}.255`;
        const registerDelta = registerWh(i, obis, TO) - registerWh(i, obis, FROM);
        // Our per-period sums add up floored block values: each of the 31 (T1: 62) daily runs
        // of a period can differ from the register by less than 1 Wh.
        const runs = r === 0 ? 61 : 30;
        expect(Math.abs(p.importMilliWh / 1000 - registerDelta)).toBeLessThanOrEqual(runs + 1);
        const check = d.registerChecks.find((c) => c.obis === obis)!;
        expect(check).toMatchObject({ ok: true, registerMilliWh: registerDelta * 1000 });
      }
      // The totals agree exactly: the block values telescope to the total register's delta.
      const total = registerWh(i, '1.0.1.8.0.255', TO) - registerWh(i, '1.0.1.8.0.255', FROM);
      expect(d.importMilliWh).toBe(total * 1000);
    }
  });

  it('flags a bill whose meter register disagrees beyond the tolerance', async () => {
    const id = meterIds[1]!;
    const reg = (await store.channels.forMeter(id)).find((c) => c.obis === '1.0.1.8.3.255')!;
    // A register that grew 5 kWh more than the intervals say (a newer read of the end value).
    const end = registerWh(1, '1.0.1.8.3.255', TO);
    await store.readings.ingest({ readings: [{ channelId: reg.id, ts: TO, value: end + 5000 }] });
    const run = await service.run('2026-11', { actor: 'proof', meterIds: [id], reason: 'register re-read' });
    expect(run).toMatchObject({ rebilled: 1, registerMismatches: 1 });
    const versions = await service.billVersions(id, '2026-11');
    expect(versions.map((b) => b.version)).toEqual([1, 2]);
    expect(versions[1]!.flags).toContain('register-mismatch');
    const bad = versions[1]!.determinants.registerChecks.find((c) => c.obis === '1.0.1.8.3.255')!;
    expect(bad.ok).toBe(false);
    expect(bad.registerMilliWh - bad.intervalMilliWh).toBeGreaterThan(4_900_000);
    // Same energy, same money: the difference is empty.
    expect(versions[1]!.total).toBe(versions[0]!.total);
    expect(versions[1]!.difference).toEqual({ previousVersion: 1, lines: [], total: 0 });

    // The mismatch is also an exception the operator sees and resolves, on the register channel.
    const found = await store.vee.exceptions({ meterId: id, rule: 'sum-check', status: 'open' });
    expect(found.items).toHaveLength(1);
    expect(found.items[0]).toMatchObject({
      channelId: reg.id,
      from: bad.from,
      to: bad.to,
      detail: {
        source: 'billing',
        cycle: '2026-11',
        obis: '1.0.1.8.3.255',
        registerMilliWh: bad.registerMilliWh,
        intervalMilliWh: bad.intervalMilliWh,
      },
    });
    expect(found.items[0]!.qualityCode).not.toBe('');
    // Billing again with the same data keeps the one finding (no duplicate).
    await service.run('2026-11', { actor: 'proof', meterIds: [id] });
    expect((await store.vee.exceptions({ meterId: id, rule: 'sum-check' })).items).toHaveLength(1);
    // A corrected register read: the rebill finds the registers agreeing and clears the finding.
    await store.readings.ingest({ readings: [{ channelId: reg.id, ts: TO, value: end }] });
    const fixed = await service.run('2026-11', {
      actor: 'proof',
      meterIds: [id],
      reason: 'register corrected',
    });
    expect(fixed).toMatchObject({ rebilled: 1, registerMismatches: 0 });
    expect((await store.vee.exceptions({ meterId: id, rule: 'sum-check' })).items).toHaveLength(0);
    // Wrong again: a new finding, which the operator resolves; a rerun keeps the resolution.
    await store.readings.ingest({ readings: [{ channelId: reg.id, ts: TO, value: end + 5000 }] });
    await service.run('2026-11', { actor: 'proof', meterIds: [id], reason: 'register re-read' });
    const again = await store.vee.exceptions({ meterId: id, rule: 'sum-check', status: 'open' });
    expect(again.items).toHaveLength(1);
    await store.vee.resolve(again.items[0]!.id, 'accepted', 'olga', 'register checked on site');
    await service.run('2026-11', { actor: 'proof', meterIds: [id] });
    const after = await store.vee.exceptions({ meterId: id, rule: 'sum-check' });
    expect(after.items.map((e) => [e.id, e.status, e.resolution])).toEqual([
      [again.items[0]!.id, 'resolved', 'accepted'],
    ]);
  });
});
