import { QualityFlag, type TariffInput } from '@openhes/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FriendlyHours,
  flatPriceFor,
  PREPAYMENT_EXACT_SCALE,
  PrepaymentEngine,
  roundExact,
  storeConsumption,
  tariffPriceFor,
  withTaxes,
} from '../src/index.ts';
import { type Rig, rig, STEP, wholeLedger } from './prepayment-harness.ts';

const MON = Date.UTC(2026, 10, 2);

/** Day 0.30, night 0.10 (22:00–06:00) per kWh, VAT 18 % on energy; a fixed charge prepayment leaves to billing. */
const TOU: TariffInput = {
  id: 'PP-TOU',
  name: 'Prepaid TOU',
  currency: 'INR',
  minorDigits: 2,
  timeZone: 'Asia/Kolkata',
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
    { id: 'D', importRate: '0.30' },
    { id: 'N', importRate: '0.10' },
  ],
  fixedCharges: [{ id: 'meter', amount: '50', per: 'cycle' }],
  demandCharges: [],
  netMetering: 'none',
  taxes: [{ id: 'gst', ratePct: '18', appliesTo: ['energy'] }],
};

/** Wh of quarter hour i: an uneven load so rounding matters. */
const load = (i: number) => 37 + ((i * 7919) % 211) + (i % 3) * 0.5;

describe('prepayment charging from interval data at the tariff', () => {
  let r: Rig;
  afterEach(async () => {
    await r.close();
  });

  it('charges two days at the TOU tariff with tax: the charges sum to the independently computed cost, to the cent', async () => {
    r = await rig(MON, { priceFor: () => ({ rate: '0' }), tariff: 'PP-TOU' });
    await r.store.billing.putTariff(TOU, 'alice');
    const engine = new PrepaymentEngine(
      {
        store: r.store,
        control: r.control,
        priceFor: tariffPriceFor(r.store),
        consumption: storeConsumption(r.store),
        clock: r.clock,
      },
      { chargeBatch: 40 },
    );
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', chargeFrom: MON },
      'alice',
    );
    await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 1_000_000 }, 'api');
    const n = 192;
    // Arrives in three parts, charged as each arrives.
    await r.ingest(MON + STEP, 50, load);
    await engine.evaluate(a.id);
    await r.ingest(MON + 51 * STEP, 100, (i) => load(i + 50));
    await engine.evaluate(a.id);
    await r.ingest(MON + 151 * STEP, n - 150, (i) => load(i + 150));
    await engine.evaluate(a.id);

    // Independent: per interval, the period of its start in India time, exact rational sum.
    let exact = 0n; // minor units × 10^24
    for (let i = 0; i < n; i++) {
      const start = MON + i * STEP;
      const hour = new Date(start + 5.5 * 3_600_000).getUTCHours();
      const ratePer1000 = hour >= 6 && hour < 22 ? 300n : 100n; // 0.30 / 0.10 per kWh in 1/1000
      const mWh = BigInt(Math.round(load(i) * 1000));
      // mWh/1e6 kWh × rate/1000 × 1.18 × 100 minor → × 10^24
      exact += (mWh * ratePer1000 * 118n * 10n ** 24n) / (10n ** 6n * 1000n);
    }
    const expected = roundExact(exact);
    const charges = (await wholeLedger(r.store, a.id)).filter((e) => e.kind === 'charge');
    expect(charges.length).toBeGreaterThan(3);
    const charged = -charges.reduce((s, e) => s + e.amount, 0);
    expect(charged).toBe(expected);
    const account = await r.service.account(a.id);
    expect(account.balance).toBe(1_000_000 - expected);
    expect(account.chargedThrough).toBe(MON + n * STEP);
    const periods = charges.reduce(
      (acc, e) => {
        for (const [k, v] of Object.entries((e.detail?.periods ?? {}) as Record<string, number>)) {
          acc[k] = (acc[k] ?? 0) + v;
        }
        return acc;
      },
      {} as Record<string, number>,
    );
    expect(Object.keys(periods).sort()).toEqual(['D', 'N']);
    expect(PREPAYMENT_EXACT_SCALE).toBe(24);
  });

  it('stops at a gap until the reading or its estimate arrives; estimates make the balance provisional', async () => {
    r = await rig(MON, { priceFor: flatPriceFor('1') });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', chargeFrom: MON },
      'alice',
    );
    // Quarter hours 1–4 and 6–8; the 5th is missing. 1 per kWh: 100 Wh = 10 minor units.
    await r.ingest(MON + STEP, 4, 100);
    await r.ingest(MON + 6 * STEP, 3, 100);
    let step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(4);
    expect(step?.account).toMatchObject({ balance: -40, chargedThrough: MON + 4 * STEP, provisional: false });
    // VEE fills the gap with an estimate: charged with the rest, provisional.
    await r.ingest(MON + 5 * STEP, 1, 100, QualityFlag.estimated);
    step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(4);
    expect(step?.account).toMatchObject({ balance: -80, chargedThrough: MON + 8 * STEP, provisional: true });
    // A later real value of an instant already charged changes nothing here (billing reconciles).
    await r.ingest(MON + 5 * STEP, 1, 120);
    expect((await r.engine.evaluate(a.id))?.charged).toBe(0);
    // Values kept aside as conflicts or marked suspect are not charged.
    await r.ingest(MON + 9 * STEP, 1, 100, QualityFlag.suspect);
    expect((await r.engine.evaluate(a.id))?.charged).toBe(0);
    const charges = (await wholeLedger(r.store, a.id)).filter((e) => e.kind === 'charge');
    expect(charges.map((e) => e.detail?.estimated)).toEqual([0, 1]);
  });

  it('withTaxes folds percentages into the rate exactly', () => {
    expect(withTaxes('0.30', ['18'])).toBe('0.354');
    expect(withTaxes('0.1234', ['7.5', '2'])).toBe('0.135123');
    expect(withTaxes('1', [])).toBe('1');
  });
});

describe('friendly hours calendar', () => {
  it('wraps windows over midnight, takes weekdays and holidays (fixed and yearly) in the zone', () => {
    const f = new FriendlyHours({
      timeZone: 'Asia/Kolkata',
      windows: [{ start: '18:00', end: '08:00' }],
      weekdays: [7],
      holidays: ['01-26', '2026-11-11'],
    });
    const ist = (y: number, m: number, d: number, h: number, min = 0) =>
      Date.UTC(y, m - 1, d, h, min) - 5.5 * 3_600_000;
    expect(f.isFriendly(ist(2026, 11, 2, 7, 59))).toBe(true);
    expect(f.isFriendly(ist(2026, 11, 2, 8, 0))).toBe(false);
    expect(f.isFriendly(ist(2026, 11, 2, 17, 59))).toBe(false);
    expect(f.isFriendly(ist(2026, 11, 2, 18, 0))).toBe(true);
    expect(f.isFriendly(ist(2026, 11, 8, 12))).toBe(true); // Sunday
    expect(f.isFriendly(ist(2027, 1, 26, 12))).toBe(true); // yearly holiday
    expect(f.isFriendly(ist(2026, 11, 11, 12))).toBe(true); // fixed holiday
    expect(f.isFriendly(ist(2027, 11, 11, 12))).toBe(false); // only in 2026
    // Saturday 20:00 → Sunday → Monday 08:00 IST.
    expect(f.friendlyUntil(ist(2026, 11, 7, 20))).toBe(ist(2026, 11, 9, 8));
    expect(f.friendlyUntil(ist(2026, 11, 2, 12))).toBe(ist(2026, 11, 2, 12));
  });

  it('follows daylight saving time (Europe/London: the window is local time)', () => {
    const f = new FriendlyHours({
      timeZone: 'Europe/London',
      windows: [{ start: '18:00', end: '11:00' }],
      weekdays: [],
      holidays: [],
    });
    // Summer: 11:00 BST = 10:00 UTC; winter: 11:00 GMT = 11:00 UTC.
    expect(f.friendlyUntil(Date.UTC(2026, 6, 1, 2))).toBe(Date.UTC(2026, 6, 1, 10));
    expect(f.friendlyUntil(Date.UTC(2026, 11, 1, 2))).toBe(Date.UTC(2026, 11, 1, 11));
  });

  it('refuses bad calendars naming the field', () => {
    const bad = [
      [
        { timeZone: 'UTC', windows: [{ start: '08:00', end: '08:00' }], weekdays: [], holidays: [] },
        'friendly.windows[0]',
      ],
      [{ timeZone: 'UTC', windows: [], weekdays: [0], holidays: [] }, 'friendly.weekdays[0]'],
      [{ timeZone: 'UTC', windows: [], weekdays: [], holidays: ['2026-13-01'] }, 'friendly.holidays[0]'],
      [{ timeZone: '', windows: [], weekdays: [], holidays: [] }, 'friendly.timeZone'],
    ] as const;
    for (const [cal, field] of bad) {
      expect(() => new FriendlyHours(cal as never)).toThrow(expect.objectContaining({ detail: { field } }));
    }
  });
});
