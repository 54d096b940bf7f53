import type { Actor, Command, CommandRequest, NewMeter, PrepaymentPort, Store } from '@openhes/core';
import { PrepaymentEngine, PrepaymentService, storeConsumption, tariffPriceFor } from '@openhes/meter-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, meterRow, startApi } from './helpers.ts';
import { latePort } from './meter-data-fixture.ts';

/** The command engine as prepayment sees it: requests stored as real commands; `confirm` plays the meter. */
class StoredCommands {
  store!: Store;
  async requestCommand(r: CommandRequest, actor: Actor): Promise<Command> {
    return this.store.commands.create({
      kind: r.kind,
      meterId: r.meterId,
      parameters: r.parameters ?? {},
      reason: r.reason,
      priority: r.priority ?? 'normal',
      deadline: r.deadline ?? null,
      requestedBy: actor.name,
      requestedFrom: actor.address,
    });
  }
  async cancelCommand(id: number, actor: Actor): Promise<Command> {
    return this.store.commands.transition(id, 'queued', 'cancelled', actor.name);
  }
  async confirm(id: number): Promise<void> {
    await this.store.commands.transition(id, 'queued', 'sending', 'runner', { attempts: 1 });
    await this.store.commands.transition(id, 'sending', 'confirmed', 'runner', { result: {} });
  }
}

/** As the head end adapts the service (apps/hes services/meter-data.ts): `reference` is the service's `ref`. */
function port(service: PrepaymentService): PrepaymentPort {
  return {
    openAccount: (i, a) => service.createAccount(i, a),
    account: (id) => service.account(id),
    accounts: (q) => service.accounts(q),
    topUp: (r, a) => service.topUp({ accountId: r.accountId, ref: r.reference, amount: r.amount }, a),
    adjust: (r, a) => service.adjust(r, a),
    ledger: (q) => service.ledger(q),
  };
}

describe('prepayment through the API (issue 14)', () => {
  let h: Harness;
  let op: string;
  let viewer: string;
  let meterId: number;
  let accountId: number;
  const control = new StoredCommands();
  const late = latePort<PrepaymentPort>();

  beforeAll(async () => {
    h = await startApi({ prepayment: late.port });
    control.store = h.store;
    // Wednesday 15 January 2025, 12:00 UTC: outside the default friendly hours (18:00–08:00, Sundays).
    h.clock.t = Date.UTC(2025, 0, 15, 12);
    const engine = new PrepaymentEngine({
      store: h.store,
      control,
      priceFor: tariffPriceFor(h.store),
      consumption: storeConsumption(h.store),
      clock: h.clock,
    });
    late.set(port(new PrepaymentService(h.store, engine, { clock: h.clock })));
    op = await h.tokenFor('operator', 'pp-op');
    viewer = await h.tokenFor('viewer', 'pp-viewer');
    meterId = (await h.store.meters.create(meterRow(1) as unknown as NewMeter)).id;
  });
  afterAll(async () => h.close());

  const topUp = (amount: number, reference: string, token = op) =>
    h.call('POST', `/prepayment/accounts/${accountId}/top-ups`, { token, body: { amount, reference } });

  it('opens an account (operator only, one per meter, bad input named)', async () => {
    const body = { meterId, currency: 'INR' };
    expect((await h.call('POST', '/prepayment/accounts', { token: viewer, body })).status).toBe(403);
    const bad = await h.call('POST', '/prepayment/accounts', {
      token: op,
      body: { meterId, currency: 'rupees' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('currency');
    const settings = await h.call('POST', '/prepayment/accounts', {
      token: op,
      body: { ...body, settings: { maxTopUp: -1 } },
    });
    expect([settings.status, settings.json.error.detail.field]).toEqual([400, 'settings.maxTopUp']);
    const unknown = await h.call('POST', '/prepayment/accounts', {
      token: op,
      body: { meterId: 999, currency: 'INR' },
    });
    expect(unknown.status).toBe(404);
    const res = await h.call('POST', '/prepayment/accounts', { token: op, body });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      meterId,
      balance: 0,
      state: 'connected',
      reconnectPending: false,
      pending: null,
    });
    accountId = res.json.id;
    expect((await h.call('POST', '/prepayment/accounts', { token: op, body })).status).toBe(409);
  });

  it('tops up once per reference: a repeat answers the original entry and credits nothing', async () => {
    expect((await topUp(1000, 'PAY-1', viewer)).status).toBe(403);
    const first = await topUp(1000, 'PAY-1');
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      duplicate: false,
      entry: { kind: 'top-up', amount: 1000, ref: 'PAY-1' },
    });
    expect(first.json.account.balance).toBe(1000);
    const again = await topUp(1000, 'PAY-1');
    expect(again.status).toBe(200);
    expect(again.json.duplicate).toBe(true);
    expect(again.json.entry).toEqual(first.json.entry);
    expect((await h.store.prepayment.account(accountId))?.balance).toBe(1000);
    const other = await topUp(2000, 'PAY-1');
    expect(other.status).toBe(409);
    expect((await h.store.prepayment.account(accountId))?.balance).toBe(1000);
    const audit = await h.store.audit.list({ actor: 'pp-op' });
    expect(
      audit.items.filter((a) => a.action === 'prepayment.top-up' && a.outcome === 'succeeded').length,
    ).toBe(
      // the request (twice answered) and the service's own entry for the one credit
      3,
    );
  });

  it('refuses negative, fractional, absurd amounts and bad references, naming the field', async () => {
    const zero = await topUp(0, 'PAY-0');
    expect([zero.status, zero.json.error.detail.errors[0].field]).toEqual([400, 'body/amount']);
    const frac = await h.call('POST', `/prepayment/accounts/${accountId}/top-ups`, {
      token: op,
      body: { amount: 10.5, reference: 'PAY-F' },
    });
    expect(frac.status).toBe(400);
    const absurd = await topUp(10_000_001, 'PAY-BIG');
    expect([absurd.status, absurd.json.error.detail.field]).toEqual([400, 'amount']);
    const ref = await topUp(100, 'has spaces');
    expect([ref.status, ref.json.error.detail.field]).toEqual([400, 'ref']);
    expect((await h.store.prepayment.account(accountId))?.balance).toBe(1000);
    expect(
      (
        await h.call('POST', '/prepayment/accounts/999/top-ups', {
          token: op,
          body: { amount: 1, reference: 'X' },
        })
      ).status,
    ).toBe(404);
  });

  it('an adjustment needs a reason; at zero outside friendly hours the account goes disconnect-pending', async () => {
    const url = `/prepayment/accounts/${accountId}/adjustments`;
    const none = await h.call('POST', url, { token: op, body: { amount: -1500 } });
    expect(none.status).toBe(400);
    expect(none.json.error.message).toContain('reason');
    const zero = await h.call('POST', url, { token: op, body: { amount: 0, reason: 'x' } });
    expect(zero.status).toBe(400);
    const res = await h.call('POST', url, {
      token: op,
      body: { amount: -1500, reason: 'meter tampering charge' },
    });
    expect(res.status).toBe(201);
    expect(res.json.entry).toMatchObject({
      kind: 'adjustment',
      amount: -1500,
      reason: 'meter tampering charge',
    });
    expect(res.json.account).toMatchObject({
      balance: -500,
      state: 'disconnect-pending',
      disconnectPending: true,
    });
    expect(res.json.account.pending).toMatchObject({ kind: 'disconnect', attempt: 1 });
    const cmd = await h.store.commands.get(res.json.account.pending.commandId);
    expect(cmd).toMatchObject({ kind: 'disconnect', meterId });
  });

  it('a top-up after the confirmed disconnect requests the reconnect: reconnect pending, visible', async () => {
    const a = await h.call('GET', `/prepayment/accounts/${accountId}`, { token: viewer });
    await control.confirm(a.json.pending.commandId);
    const res = await topUp(2000, 'PAY-2');
    expect(res.status).toBe(201);
    expect(res.json.account).toMatchObject({
      balance: 1500,
      state: 'reconnect-pending',
      reconnectPending: true,
    });
    expect(res.json.account.pending).toMatchObject({ kind: 'connect', attempt: 1 });
    const now = await h.call('GET', `/prepayment/accounts/${accountId}`, { token: viewer });
    expect(now.json).toMatchObject({ state: 'reconnect-pending', reconnectPending: true, balance: 1500 });
    expect((await h.store.commands.get(now.json.pending.commandId))?.kind).toBe('connect');
    const list = await h.call('GET', '/prepayment/accounts?state=reconnect-pending', { token: viewer });
    expect(list.json.items.map((x: { id: number }) => x.id)).toEqual([accountId]);
    const bad = await h.call('GET', '/prepayment/accounts?state=asleep', { token: viewer });
    expect(bad.status).toBe(400);
  });

  it('pages the ledger; the balance is its sum', async () => {
    const url = `/prepayment/accounts/${accountId}/ledger`;
    const all = await h.call('GET', url, { token: viewer });
    expect(all.json.items.map((e: { kind: string; amount: number }) => [e.kind, e.amount])).toEqual([
      ['top-up', 1000],
      ['adjustment', -1500],
      ['top-up', 2000],
    ]);
    const sum = all.json.items.reduce((s: number, e: { amount: number }) => s + e.amount, 0);
    expect(sum).toBe((await h.store.prepayment.account(accountId))?.balance);
    const p1 = await h.call('GET', `${url}?limit=2&order=desc`, { token: viewer });
    expect(p1.json.items.map((e: { amount: number }) => e.amount)).toEqual([2000, -1500]);
    const p2 = await h.call(
      'GET',
      `${url}?limit=2&order=desc&cursor=${encodeURIComponent(p1.json.nextCursor)}`,
      {
        token: viewer,
      },
    );
    expect(p2.json.items.map((e: { amount: number }) => e.amount)).toEqual([1000]);
    expect(p2.json.nextCursor).toBeNull();
    const kind = await h.call('GET', `${url}?kind=top-up`, { token: viewer });
    expect(kind.json.items).toHaveLength(2);
    expect((await h.call('GET', '/prepayment/accounts/999/ledger', { token: viewer })).status).toBe(404);
  });
});

describe('prepayment routes without the service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('answer 503 PREPAYMENT_UNAVAILABLE', async () => {
    const token = await h.tokenFor('operator');
    const res = await h.call('GET', '/prepayment/accounts', { token });
    expect([res.status, res.json.error.code]).toEqual([503, 'PREPAYMENT_UNAVAILABLE']);
  });
});
