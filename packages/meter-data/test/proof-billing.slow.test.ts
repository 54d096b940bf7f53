import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingInput, Store, TariffInput } from '@openhes/core';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService, VeeService } from '../src/index.ts';
import {
  BLOCK_OBIS,
  buildMonth,
  type Loaded,
  loadMonth,
  type Month,
  registerChannel,
  STEP,
  ZONE,
} from './harness/month.ts';

/**
 * Bills to the cent against the simulator's truth (issue 14, "Proof"): the scenario month of
 * the VEE proof (outages, theft, dead meters, drift, lost reads, faults), validated by VEE, then
 * billed; for every meter with complete data (no lost read, no fault, no clock drift) the bill
 * must equal one computed here from the truth alone — each 15-minute step's registered energy
 * accumulated from the meter's seeded register, the rate of the step from the simulator's TOU
 * calendar, and this file's tariff with its rounding — and the determinants must agree with the
 * meter's own TOU registers (1.0.1.8.1–3) read from the truth at the cycle's ends.
 *
 * Size: PROOF_METERS (default 60), PROOF_FULL=1 for 500.
 */
const METERS = process.env.PROOF_FULL === '1' ? 500 : Number(process.env.PROOF_METERS ?? 60);

const tariff: TariffInput = {
  id: 'PROOF-TOU',
  name: 'Proof TOU (the simulator calendar: T1 22–06, T2 06–18, T3 18–22)',
  currency: 'INR',
  minorDigits: 2,
  timeZone: ZONE,
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
            { start: '00:00', end: '06:00', period: 'off' },
            { start: '06:00', end: '18:00', period: 'day' },
            { start: '18:00', end: '22:00', period: 'peak' },
            { start: '22:00', end: '24:00', period: 'off' },
          ],
        },
      ],
    },
  ],
  periods: [
    { id: 'off', importRate: '3.9071', meterRate: 1 },
    { id: 'day', importRate: '5.6153', meterRate: 2 },
    { id: 'peak', importRate: '9.1249', meterRate: 3 },
  ],
  fixedCharges: [{ id: 'meter-rent', amount: '2.7777', per: 'day' }],
  demandCharges: [{ id: 'peak-md', rate: '47.35', periods: ['peak'] }],
  netMetering: 'none',
  taxes: [{ id: 'electricity-duty', ratePct: '6.25' }],
};
/** Prices above in 1/10000 of a rupee (per kWh, per day, per kW) and the tax in 1/100 %. */
const RATE = [0n, 39071n, 56153n, 91249n];
const FIXED = 27777n;
const DEMAND = 473500n;
const TAX = 625n;

const halfUp = (n: bigint, d: bigint) => (n * 2n + d) / (2n * d);

let dir: string;
let store: Store;
let month: Month;
let loaded: Loaded;
let billing: BillingService;
let billed: number[] = [];

function registerWh(meter: number, obis: string, t: number): number {
  const d = month.truth.registerAt(meter, obis, t);
  if (!('value' in d) || typeof d.value !== 'number') throw new Error(`${obis} is not a number`);
  return d.value;
}

/** The bill from the truth alone (minor units): nothing of the billing or VEE code is used. */
function independentBill(index: number) {
  const m = month.truth.meter(index);
  let cum = m.initialEnergy()[0]!;
  const k0 = month.truth.anchorStep;
  const kFrom = month.start / STEP;
  const kTo = month.end / STEP;
  for (let k = k0; k < kFrom; k++) cum += m.step(k).wh;
  const wh = [0n, 0n, 0n, 0n];
  let peakMax = 0;
  for (let k = kFrom; k < kTo; k++) {
    const s = m.step(k);
    const v = Math.floor((cum + s.wh) / 1000) - Math.floor(cum / 1000);
    cum += s.wh;
    wh[s.rate] = wh[s.rate]! + BigInt(v);
    if (s.rate === 3) peakMax = Math.max(peakMax, v);
  }
  // Wh × (price/10000 per kWh) / 1000 → rupees; × 100 → paise.
  const energy = [1, 2, 3].map((r) => Number(halfUp(wh[r]! * RATE[r]! * 100n, 1000n * 10000n)));
  const days = BigInt(month.days);
  const fixed = Number(halfUp(days * FIXED * 100n, 10000n));
  // Highest peak quarter hour as kW (Wh × 4 / 1000) × price/10000 × 100 paise.
  const demand = Number(halfUp(BigInt(peakMax) * 4n * DEMAND * 100n, 1000n * 10000n));
  const subtotal = energy.reduce((a, b) => a + b, 0) + fixed + demand;
  const tax = Number(halfUp(BigInt(subtotal) * TAX, 10000n));
  return { wh, energy, fixed, demand, subtotal, tax, total: subtotal + tax };
}

describe(`billing proof: the scenario month of ${METERS} meters against the truth, to the cent`, () => {
  beforeAll(async () => {
    month = buildMonth({ meters: METERS });
    dir = mkdtempSync(join(tmpdir(), 'hes-proof-bill-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
    loaded = await loadMonth(store, month, { tariff: tariff.id });
    // The billing profile's TOU registers at both cycle ends, as the meters hold them.
    for (const [i, mm] of month.meters.entries()) {
      if (mm.smooth) continue;
      const chans = await store.channels.ensureMany(
        loaded.meterIds[i]!,
        [1, 2, 3].map((r) => registerChannel(r)),
      );
      const readings: ReadingInput[] = [];
      chans.forEach((c, r) => {
        for (const t of [month.start, month.end]) {
          if (mm.deadFrom !== undefined && t >= mm.deadFrom) continue;
          readings.push({ channelId: c.id, ts: t, value: registerWh(i, `1.0.1.8.${r + 1}.255`, t) });
        }
      });
      await store.readings.ingest({ readings });
    }
    const now = month.end + 2 * 86_400_000;
    const vee = new VeeService({
      store,
      clock: { now: () => now },
      groups: [
        { id: 'india', timeZone: ZONE, channels: [BLOCK_OBIS], validation: { spike: { enabled: false } } },
      ],
    });
    await vee.run({ from: month.leadStart, to: month.end, concurrency: 2 });
    billing = new BillingService({ store, groups: [{ id: 'india', timeZone: ZONE }] });
    await billing.putTariff(tariff, 'proof');
    billed = month.meters
      .filter(
        (m) =>
          m.complete &&
          (m.deadFrom === undefined || m.deadFrom >= month.end) &&
          m.driftPpm === undefined &&
          !m.smooth,
      )
      .map((m) => m.index);
  }, 1_800_000);

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bills every meter with complete data to the cent of the independent computation', async () => {
    const run = await billing.run('2026-10', {
      actor: 'proof',
      meterIds: billed.map((i) => loaded.meterIds[i]!),
    });
    expect(run).toMatchObject({ meters: billed.length, created: billed.length, failed: [], estimated: 0 });
    const withScenario = billed.filter((i) => month.meters[i]!.outages.length > 0 || month.meters[i]!.theft);
    console.log(
      `proof-billing: ${billed.length} meters with complete data billed (${withScenario.length} of them with an outage or theft)`,
    );
    expect(billed.length).toBeGreaterThanOrEqual(Math.floor(METERS / 6));
    for (const i of billed) {
      const want = independentBill(i);
      const [bill] = await billing.billVersions(loaded.meterIds[i]!, '2026-10');
      const amount = (code: string) => bill!.lines.find((l) => l.code === code)?.amount;
      expect(
        {
          energy: [amount('energy:off'), amount('energy:day'), amount('energy:peak')],
          fixed: amount('fixed:meter-rent'),
          demand: amount('demand:peak-md'),
          tax: amount('tax:electricity-duty'),
          subtotal: bill!.subtotal,
          total: bill!.total,
        },
        `meter ${i}`,
      ).toEqual({
        energy: want.energy,
        fixed: want.fixed,
        demand: want.demand,
        tax: want.tax,
        subtotal: want.subtotal,
        total: want.total,
      });
      expect(bill).toMatchObject({ estimated: false, flags: [] });
      expect(bill!.determinants.periods.map((p) => BigInt(p.importMilliWh / 1000))).toEqual(want.wh.slice(1));
    }
  });

  it("agrees with each meter's own TOU registers (the simulator switches them by its calendar)", async () => {
    for (const i of billed) {
      const [bill] = await billing.billVersions(loaded.meterIds[i]!, '2026-10');
      const d = bill!.determinants;
      expect(d.registerChecks.map((c) => c.ok)).toEqual([true, true, true]);
      let sum = 0;
      for (const [r, p] of d.periods.entries()) {
        const obis = `1.0.1.8.${r + 1}.255`;
        const delta = registerWh(i, obis, month.end) - registerWh(i, obis, month.start);
        sum += delta;
        // Interval values are floored differences of the total register: per rate they can
        // differ from the rate register by under 1 Wh for each daily run of that rate.
        expect(Math.abs(p.importMilliWh / 1000 - delta), `meter ${i} ${obis}`).toBeLessThanOrEqual(
          2 * month.days + 1,
        );
      }
      // The rate registers add up to the total register (each encodes its own floor: < 1 Wh
      // apart at each end), and the intervals telescope to the total register exactly.
      const total = registerWh(i, '1.0.1.8.0.255', month.end) - registerWh(i, '1.0.1.8.0.255', month.start);
      expect(Math.abs(sum - total)).toBeLessThanOrEqual(3);
      expect(d.importMilliWh).toBe(total * 1000);
    }
  });

  it('a meter without complete data gets a bill marked estimated, never a silent one', async () => {
    const i = month.meters.findIndex((m) => m.lost.size > 0 && !m.smooth && m.deadFrom === undefined);
    const run = await billing.run('2026-10', { actor: 'proof', meterIds: [loaded.meterIds[i]!] });
    expect(run).toMatchObject({ created: 1, estimated: 1 });
    const [bill] = await billing.billVersions(loaded.meterIds[i]!, '2026-10');
    expect(bill!.estimated).toBe(true);
    expect(bill!.determinants.estimated).toBe(month.meters[i]!.missing.size);
  });
});
