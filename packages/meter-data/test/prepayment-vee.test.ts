import { afterEach, describe, expect, it } from 'vitest';
import { flatPriceFor, VeeService } from '../src/index.ts';
import { type Rig, rig, STEP, wholeLedger } from './prepayment-harness.ts';

const MON = Date.UTC(2026, 10, 2);
const DAY = 86_400_000;
/** An uneven load of 100–220 Wh (no flat lines), 10 minor units per 100 Wh at 1 per kWh. */
const base = (i: number) => 100 + 10 * ((i * 7) % 13);
/** Quarter hour 40 of the day (ends at MON + 41 steps) is a spike VEE finds. */
const SPIKE = 40;
const wh = (i: number) => (i === SPIKE ? 5_000 : base(i));
/** Minor units of quarter hours [a, b) at their base load. */
const cost = (a: number, b: number) => {
  let s = 0;
  for (let i = a; i < b; i++) s += base(i) / 10;
  return s;
};

async function ranVee(r: Rig): Promise<VeeService> {
  const vee = new VeeService({
    store: r.store,
    clock: r.clock,
    groups: [{ id: 'all', timeZone: 'UTC', channels: ['1.0.1.29.0.255'] }],
  });
  await r.ingest(MON + STEP, 96, wh);
  r.clock.t = MON + DAY + 3_600_000;
  await vee.run({ from: MON, to: MON + DAY, meterIds: [r.meter.id] });
  return vee;
}

describe('prepayment charges validated readings only: open VEE findings hold their intervals', () => {
  let r: Rig;
  afterEach(async () => {
    await r.close();
  });

  it('holds a spike VEE found until the finding is resolved, then charges it', async () => {
    r = await rig(MON, { priceFor: flatPriceFor('1') });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', chargeFrom: MON },
      'alice',
    );
    const vee = await ranVee(r);
    const open = await vee.exceptions({ meterId: r.meter.id, status: 'open' });
    const spike = open.items.find((e) => e.rule === 'spike');
    expect(spike).toMatchObject({ from: MON + (SPIKE + 1) * STEP, to: MON + (SPIKE + 1) * STEP });
    // The raw spike is stored as it came (no suspect flag): only VEE's finding says so.
    const raw = await r.store.readings.history(r.channel.id, spike!.from);
    expect(raw.map((x) => [x.value, x.quality])).toEqual([[5_000, 0]]);

    // 1 per kWh: 100 Wh = 10 minor units. Charged up to the spike, not over it.
    let step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(SPIKE);
    expect(step?.account).toMatchObject({ balance: -cost(0, SPIKE), chargedThrough: MON + SPIKE * STEP });
    expect((await r.engine.evaluate(a.id))?.charged).toBe(0);

    // The operator accepts the value: the spike and the rest of the day are charged.
    await vee.resolve(spike!.id, 'accepted', 'alice', 'a real kettle');
    step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(96 - SPIKE);
    const total = cost(0, 96) - base(SPIKE) / 10 + 500;
    expect(step?.account).toMatchObject({ balance: -total, chargedThrough: MON + 96 * STEP });
    const charges = (await wholeLedger(r.store, a.id)).filter((e) => e.kind === 'charge');
    expect(-charges.reduce((s, e) => s + e.amount, 0)).toBe(total);
  });

  it('charges the edited value that replaces a spike, never the spike itself', async () => {
    r = await rig(MON, { priceFor: flatPriceFor('1') });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', chargeFrom: MON },
      'alice',
    );
    const vee = await ranVee(r);
    expect((await r.engine.evaluate(a.id))?.charged).toBe(SPIKE);
    await vee.edit(
      { channelId: r.channel.id, ts: MON + (SPIKE + 1) * STEP, value: base(SPIKE), reason: 'spike replaced' },
      'alice',
    );
    const step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(96 - SPIKE);
    expect(step?.account).toMatchObject({ balance: -cost(0, 96), chargedThrough: MON + 96 * STEP });
  });

  it('informational findings (a gap VEE estimated) do not hold the estimate', async () => {
    r = await rig(MON, { priceFor: flatPriceFor('1') });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', chargeFrom: MON },
      'alice',
    );
    const vee = new VeeService({
      store: r.store,
      clock: r.clock,
      groups: [{ id: 'all', timeZone: 'UTC', channels: ['1.0.1.29.0.255'] }],
    });
    await r.ingest(MON + STEP, 10, base);
    await r.ingest(MON + 12 * STEP, 85, (i) => base(i + 11));
    r.clock.t = MON + DAY + 3_600_000;
    await vee.run({ from: MON, to: MON + DAY, meterIds: [r.meter.id] });
    const open = await vee.exceptions({ meterId: r.meter.id, status: 'open' });
    expect(open.items.map((e) => e.rule)).toEqual(['missing']);
    const step = await r.engine.evaluate(a.id);
    expect(step?.charged).toBe(96);
    expect(step?.account).toMatchObject({ chargedThrough: MON + 96 * STEP, provisional: true });
  });
});
