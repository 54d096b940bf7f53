import { afterEach, describe, expect, it } from 'vitest';
import { PrepaymentEventCode as E, flatPriceFor, prepaymentEventFacts } from '../src/index.ts';
import { eventCodes, type Rig, rig, STEP, wholeLedger } from './prepayment-harness.ts';

/** Monday 2 Nov 2026, 09:00 UTC. Default friendly hours: 18:00–08:00 UTC and Sundays. */
const MON_0900 = Date.UTC(2026, 10, 2, 9);
const MIN = 60_000;

/** 10 per kWh: a 100 Wh quarter hour costs 1.00 = 100 minor units. */
const PRICE = flatPriceFor('10');

async function commands(r: Rig) {
  return (await r.store.commands.list({ meterId: r.meter.id, limit: 100 })).items;
}

describe('prepayment supply: alerts, friendly hours, disconnect and reconnect through the command engine', () => {
  let r: Rig;
  afterEach(async () => {
    await r.close();
  });

  it('alerts at 30/10/0 % of the last top-up, disconnects at zero, reconnects after a top-up, retried until the meter confirms', async () => {
    r = await rig(MON_0900, { priceFor: PRICE });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', settings: { retryDelayMs: 10_000 } },
      'alice',
    );
    await r.service.topUp({ accountId: a.id, ref: 'UPI-1', amount: 1_000 }, 'api');

    // 7 quarter hours: balance 300 = 30 % of the top-up.
    await r.ingest(MON_0900 + STEP, 7, 100);
    r.clock.t = MON_0900 + 7 * STEP;
    let step = await r.engine.evaluate(a.id);
    expect(step?.account.balance).toBe(300);
    expect(step?.events).toEqual([E.lowCreditTier1]);
    // Evaluating again notifies nothing twice.
    expect((await r.engine.evaluate(a.id))?.events).toEqual([]);

    // Three more: 0 → tiers 10 % and 0 %, and (outside friendly hours) the disconnect.
    await r.ingest(MON_0900 + 8 * STEP, 3, 100);
    r.clock.t = MON_0900 + 10 * STEP;
    step = await r.engine.evaluate(a.id);
    expect(step?.account.balance).toBe(0);
    expect(step?.events).toEqual([E.lowCreditTier2, E.lowCreditTier3, E.disconnectRequested]);
    expect(step?.account.state).toBe('disconnect-pending');
    const [disc] = await commands(r);
    expect(disc).toMatchObject({
      kind: 'disconnect',
      reason: 'non-payment',
      requestedBy: 'system:prepayment',
    });
    expect(step?.account.pending).toMatchObject({ kind: 'disconnect', commandId: disc?.id, attempt: 1 });
    // Not marked disconnected before the meter confirms.
    expect((await r.engine.evaluate(a.id))?.account.state).toBe('disconnect-pending');
    expect(r.control.relay.get(r.meter.id)).toBe(true);
    await r.control.run();
    expect(r.control.relay.get(r.meter.id)).toBe(false);
    step = await r.engine.evaluate(a.id);
    expect(step?.account).toMatchObject({ state: 'disconnected', pending: null });
    expect(step?.events).toEqual([E.disconnected]);

    // Top-up while the meter is unreachable: an urgent connect at once, visible while pending.
    r.control.online.set(r.meter.id, false);
    r.clock.t += 30 * MIN;
    const topUpAt = r.clock.t;
    const t = await r.service.topUp({ accountId: a.id, ref: 'UPI-2', amount: 500 }, 'api');
    expect(t.account.state).toBe('reconnect-pending');
    const connect1 = (await commands(r)).find((c) => c.kind === 'connect');
    expect(connect1).toMatchObject({ reason: 'reinstatement', priority: 'urgent' });
    expect((connect1?.createdAt ?? Number.POSITIVE_INFINITY) - topUpAt).toBeLessThan(MIN);
    expect((await r.service.account(a.id)).pending).toMatchObject({ kind: 'connect', attempt: 1 });
    await r.control.run(); // fails: no answer
    step = await r.engine.evaluate(a.id);
    expect(step?.events).toEqual([E.reconnectRetry]);
    expect(step?.account.pending).toMatchObject({ attempt: 1, retryAt: r.clock.t + 10_000 });
    expect(step?.account.pending?.lastError).toMatch(/did not answer/);
    // Before the retry delay nothing new is requested.
    expect((await r.engine.evaluate(a.id))?.requested).toEqual([]);
    await r.control.run(); // nothing queued
    // A second failure, then the meter comes back.
    r.clock.t += 10_000;
    expect((await r.engine.evaluate(a.id))?.requested).toHaveLength(1);
    await r.control.run();
    await r.engine.evaluate(a.id);
    r.clock.t += 10_000;
    r.control.online.set(r.meter.id, true);
    step = await r.engine.evaluate(a.id);
    expect(step?.account.pending).toMatchObject({ kind: 'connect', attempt: 3 });
    expect(r.control.relay.get(r.meter.id)).toBe(false);
    await r.control.run();
    expect(r.control.relay.get(r.meter.id)).toBe(true);
    step = await r.engine.evaluate(a.id);
    expect(step?.account).toMatchObject({ state: 'connected', pending: null, balance: 500 });
    expect(step?.events).toEqual([E.reconnected]);
    const kinds = (await commands(r)).map((c) => [c.kind, c.state]);
    expect(kinds).toEqual([
      ['disconnect', 'confirmed'],
      ['connect', 'failed'],
      ['connect', 'failed'],
      ['connect', 'confirmed'],
    ]);
    // Alerts are re-armed by the top-up: 30 % of 500 is 150.
    expect((await r.service.account(a.id)).alertsSent).toEqual([]);
    const codes = await eventCodes(r.store, r.meter.id);
    expect(codes.filter((c) => c === E.topUp)).toHaveLength(2);
    const tier1 = (await r.store.events.list({ meterId: r.meter.id, limit: 100 })).items.find(
      (e) => e.code === E.lowCreditTier1,
    );
    expect(prepaymentEventFacts(tier1?.raw ?? null)).toMatchObject({
      pct: 30,
      balance: 300,
      lastTopUp: 1_000,
    });
  });

  it('never disconnects in friendly hours: held at night until 08:00, on Sundays and holidays', async () => {
    const MON_1700 = Date.UTC(2026, 10, 2, 17);
    r = await rig(MON_1700, { priceFor: PRICE });
    const a = await r.service.createAccount(
      {
        meterId: r.meter.id,
        currency: 'INR',
        settings: {
          friendly: {
            timeZone: 'UTC',
            windows: [{ start: '18:00', end: '08:00' }],
            weekdays: [7],
            holidays: ['2026-11-03'],
          },
        },
      },
      'alice',
    );
    await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 500 }, 'api');
    // Credit runs out at 18:15 (five quarter hours from 17:00).
    await r.ingest(MON_1700 + STEP, 5, 100);
    r.clock.t = MON_1700 + 5 * STEP;
    let step = await r.engine.evaluate(a.id);
    expect(step?.account.balance).toBe(0);
    expect(step?.events).toContain(E.disconnectHeld);
    // Tuesday 3 Nov is a holiday: held through it, until Wednesday 08:00.
    const WED_0800 = Date.UTC(2026, 10, 4, 8);
    expect(step?.account.heldUntil).toBe(WED_0800);
    expect(step?.requested).toEqual([]);
    r.clock.t = Date.UTC(2026, 10, 3, 12);
    step = await r.engine.evaluate(a.id);
    expect(step?.events).toEqual([]);
    expect(step?.account.state).toBe('connected');
    r.clock.t = WED_0800 - 1;
    expect((await r.engine.evaluate(a.id))?.requested).toEqual([]);
    r.clock.t = WED_0800;
    step = await r.engine.evaluate(a.id);
    expect(step?.requested.map((c) => c.kind)).toEqual(['disconnect']);
    expect(step?.account).toMatchObject({ state: 'disconnect-pending', heldUntil: null });
    expect(await commands(r)).toHaveLength(1);
    expect(r.control.relay.get(r.meter.id)).toBe(true);
  });

  it('holds on a Sunday, then a top-up during the hold clears it without any command', async () => {
    const SUN_1000 = Date.UTC(2026, 10, 8, 10);
    r = await rig(SUN_1000, { priceFor: PRICE });
    const a = await r.service.createAccount({ meterId: r.meter.id, currency: 'INR' }, 'alice');
    await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 200 }, 'api');
    await r.ingest(SUN_1000 + STEP, 3, 100);
    r.clock.t = SUN_1000 + 3 * STEP;
    const held = await r.engine.evaluate(a.id);
    expect(held?.account.balance).toBe(-100);
    // Sunday, then the 18:00–08:00 night: Monday 08:00.
    expect(held?.account.heldUntil).toBe(Date.UTC(2026, 10, 9, 8));
    const t = await r.service.topUp({ accountId: a.id, ref: 'P2', amount: 1_000 }, 'api');
    expect(t.account).toMatchObject({ balance: 900, heldUntil: null, state: 'connected' });
    r.clock.t = Date.UTC(2026, 10, 9, 9);
    expect((await r.engine.evaluate(a.id))?.requested).toEqual([]);
    expect(await commands(r)).toEqual([]);
  });

  it('retries a disconnect the meter does not answer, then asks for a field work order; a top-up reconnects', async () => {
    r = await rig(MON_0900, { priceFor: PRICE });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', settings: { retryDelayMs: 0, disconnectAttempts: 3 } },
      'alice',
    );
    r.control.online.set(r.meter.id, false);
    await r.ingest(MON_0900 + STEP, 1, 100);
    r.clock.t = MON_0900 + STEP;
    let step = await r.engine.evaluate(a.id);
    expect(step?.account.state).toBe('disconnect-pending');
    for (let i = 0; i < 3; i++) {
      await r.control.run();
      step = await r.engine.evaluate(a.id);
    }
    expect(step?.account).toMatchObject({ state: 'disconnect-failed', pending: null });
    expect(step?.events).toEqual([E.disconnectFailed]);
    expect((await commands(r)).map((c) => c.state)).toEqual(['failed', 'failed', 'failed']);
    expect(r.control.relay.get(r.meter.id)).toBe(true);
    const codes = await eventCodes(r.store, r.meter.id);
    expect(codes.filter((c) => c === E.disconnectRetry)).toHaveLength(2);
    r.control.online.set(r.meter.id, true);
    const t = await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 1_000 }, 'api');
    expect(t.account.state).toBe('reconnect-pending');
    await r.control.run();
    expect((await r.engine.evaluate(a.id))?.account.state).toBe('connected');
  });

  it('cancels a queued disconnect when a top-up arrives first; the relay never moves', async () => {
    r = await rig(MON_0900, { priceFor: PRICE });
    const a = await r.service.createAccount({ meterId: r.meter.id, currency: 'INR' }, 'alice');
    await r.ingest(MON_0900 + STEP, 1, 100);
    r.clock.t = MON_0900 + STEP;
    expect((await r.engine.evaluate(a.id))?.account.state).toBe('disconnect-pending');
    const t = await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 1_000 }, 'api');
    expect((await commands(r))[0]?.state).toBe('cancelled');
    expect(t.account.state).toBe('disconnect-pending');
    const step = await r.engine.evaluate(a.id);
    expect(step?.account).toMatchObject({ state: 'connected', pending: null, balance: 900 });
    expect(await r.control.run()).toBe(0);
    expect(r.control.relay.get(r.meter.id)).toBe(true);
  });

  it('re-requests a claimed command the command engine refused (or a crash left unsent)', async () => {
    r = await rig(MON_0900, { priceFor: PRICE });
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', settings: { retryDelayMs: 5_000 } },
      'alice',
    );
    const real = r.control.requestCommand.bind(r.control);
    let refuse = true;
    r.control.requestCommand = async (req, actor) => {
      if (refuse) throw new Error('command engine unavailable');
      return real(req, actor);
    };
    await r.ingest(MON_0900 + STEP, 1, 100);
    r.clock.t = MON_0900 + STEP;
    let step = await r.engine.evaluate(a.id);
    expect(step?.account).toMatchObject({ state: 'disconnect-pending' });
    expect(step?.account.pending).toMatchObject({ commandId: 0, lastError: 'command engine unavailable' });
    refuse = false;
    expect((await r.engine.evaluate(a.id))?.requested).toEqual([]);
    r.clock.t += 5_000;
    step = await r.engine.evaluate(a.id);
    expect(step?.requested).toHaveLength(1);
    expect(step?.account.pending).toMatchObject({ attempt: 2, commandId: step?.requested[0]?.id });
  });

  it('grants emergency credit once, repays it from the next top-up, and reconnects only when the top-up covers it', async () => {
    r = await rig(MON_0900, { priceFor: PRICE });
    const a = await r.service.createAccount(
      {
        meterId: r.meter.id,
        currency: 'INR',
        settings: { emergencyCreditAmount: 300, emergencyCreditThreshold: 100 },
      },
      'alice',
    );
    await r.service.topUp({ accountId: a.id, ref: 'P1', amount: 200 }, 'api');
    await expect(r.service.grantEmergencyCredit(a.id, 'consumer')).rejects.toMatchObject({
      kind: 'conflict',
    });
    await r.ingest(MON_0900 + STEP, 1, 100);
    r.clock.t = MON_0900 + STEP;
    await r.engine.evaluate(a.id);
    const ec = await r.service.grantEmergencyCredit(a.id, 'consumer');
    expect(ec.account).toMatchObject({ balance: 400, emergencyOutstanding: 300 });
    await expect(r.service.grantEmergencyCredit(a.id, 'consumer')).rejects.toMatchObject({
      code: 'PREPAY_STATE',
    });
    // Consumption eats the emergency credit: disconnected at zero.
    await r.ingest(MON_0900 + 2 * STEP, 4, 100);
    r.clock.t = MON_0900 + 5 * STEP;
    await r.engine.evaluate(a.id);
    await r.control.run();
    expect((await r.engine.evaluate(a.id))?.account.state).toBe('disconnected');
    // 250 does not cover the 300 owed: repaid, balance -50, still off.
    let t = await r.service.topUp({ accountId: a.id, ref: 'P2', amount: 250 }, 'api');
    expect(t.account).toMatchObject({ balance: -50, emergencyOutstanding: 0, state: 'disconnected' });
    t = await r.service.topUp({ accountId: a.id, ref: 'P3', amount: 1_000 }, 'api');
    expect(t.account).toMatchObject({ balance: 950, state: 'reconnect-pending' });
    const kinds = (await wholeLedger(r.store, a.id)).map((e) => [e.kind, e.amount]);
    expect(kinds).toEqual([
      ['top-up', 200],
      ['charge', -100],
      ['emergency-credit', 300],
      ['charge', -400],
      ['top-up', 250],
      ['emergency-credit', -300],
      ['top-up', 1_000],
    ]);
    const codes = await eventCodes(r.store, r.meter.id);
    expect(codes).toContain(E.emergencyCreditGranted);
    expect(codes).toContain(E.emergencyCreditRepaid);
  });
});
