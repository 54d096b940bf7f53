import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flatPriceFor, PrepaymentError } from '../src/index.ts';
import { eventCodes, type Rig, rig, wholeLedger } from './prepayment-harness.ts';

/** Monday 2 Nov 2026, 09:00 UTC: outside the default friendly hours. */
const T0 = Date.UTC(2026, 10, 2, 9);

async function refusal(p: Promise<unknown>): Promise<{ code: string; field: unknown; kind: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; kind: string; detail?: { field?: unknown } };
    return { code: err.code, field: err.detail?.field, kind: err.kind };
  }
  throw new Error('expected a refusal');
}

describe('prepayment ledger and top-ups (service over SQLite)', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig(T0, { priceFor: flatPriceFor('0.10') });
  });
  afterEach(async () => {
    await r.close();
  });

  it('keeps the balance as the sum of an append-only ledger of top-ups, adjustments and charges', async () => {
    const a = await r.service.createAccount({ meterId: r.meter.id, currency: 'INR' }, 'alice');
    expect(a).toMatchObject({ balance: 0, state: 'connected', minorDigits: 2, chargedThrough: T0 });
    await r.service.topUp({ accountId: a.id, ref: 'UPI-1', amount: 50_000 }, 'api');
    await r.service.adjust({ accountId: a.id, amount: -1_250, reason: 'meter test fee' }, 'bob');
    // 8 quarter hours of 500 Wh at 0.10 per kWh: 8 × 0.05 = 0.40 = 40 minor units.
    await r.ingest(T0 + 900_000, 8, 500);
    await r.engine.evaluate(a.id);
    const entries = await wholeLedger(r.store, a.id);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['top-up', 50_000],
      ['adjustment', -1_250],
      ['charge', -40],
    ]);
    let sum = 0;
    for (const e of entries) {
      sum += e.amount;
      expect(e.balanceAfter).toBe(sum);
    }
    const now = await r.service.account(a.id);
    expect(now.balance).toBe(sum);
    expect(now.balance).toBe(48_710);
    expect(now.chargedThrough).toBe(T0 + 8 * 900_000);
    // Paging: newest first, two per page.
    const p1 = await r.service.ledger({ accountId: a.id, order: 'desc', limit: 2 });
    expect(p1.items.map((e) => e.kind)).toEqual(['charge', 'adjustment']);
    const p2 = await r.service.ledger({ accountId: a.id, order: 'desc', limit: 2, cursor: p1.nextCursor });
    expect(p2.items.map((e) => e.kind)).toEqual(['top-up']);
    expect(p2.nextCursor).toBeNull();
    // Remaining days: 40 charged within the last 7 days → 6 a day (rounded) → 48 710 / 6.
    expect(await r.service.status(a.id)).toMatchObject({ averageDailyCost: 6, remainingDays: 8118 });
    // Re-evaluating charges nothing twice.
    await r.engine.evaluate(a.id);
    expect((await r.service.account(a.id)).balance).toBe(48_710);
    const codes = await eventCodes(r.store, r.meter.id);
    expect(codes).toContain(30);
    expect(codes).toContain(50);
    const audit = await r.store.audit.list({ target: `prepayment:${a.id}`, limit: 10 });
    expect(audit.items.map((x) => x.action)).toEqual([
      'prepayment.account.created',
      'prepayment.top-up',
      'prepayment.adjustment',
    ]);
  });

  it('credits a repeated payment reference once, also when the requests race', async () => {
    const a = await r.service.createAccount({ meterId: r.meter.id, currency: 'INR' }, 'alice');
    const first = await r.service.topUp({ accountId: a.id, ref: 'PAY-42', amount: 10_000 }, 'api');
    const again = await r.service.topUp({ accountId: a.id, ref: 'PAY-42', amount: 10_000 }, 'api');
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.entry.id).toBe(first.entry.id);
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        r.service.topUp({ accountId: a.id, ref: 'PAY-43', amount: 2_500 }, 'api'),
      ),
    );
    expect(racing.filter((x) => !x.duplicate)).toHaveLength(1);
    const account = await r.service.account(a.id);
    expect(account.balance).toBe(12_500);
    expect((await r.service.status(a.id)).remainingDays).toBe(9999);
    expect((await wholeLedger(r.store, a.id)).filter((e) => e.kind === 'top-up')).toHaveLength(2);
    // One top-up event per credited payment.
    expect((await eventCodes(r.store, r.meter.id)).filter((c) => c === 30)).toHaveLength(2);
    // The reference reused for another amount is refused, nothing credited.
    const reuse = await refusal(r.service.topUp({ accountId: a.id, ref: 'PAY-42', amount: 99 }, 'api'));
    expect(reuse.kind).toBe('conflict');
    expect((await r.service.account(a.id)).balance).toBe(12_500);
  });

  it('refuses bad input with the field named and stores nothing', async () => {
    const a = await r.service.createAccount(
      { meterId: r.meter.id, currency: 'INR', settings: { maxTopUp: 1_000_000 } },
      'alice',
    );
    const cases: [() => Promise<unknown>, string][] = [
      [() => r.service.topUp({ accountId: a.id, ref: 'N-1', amount: -500 }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: 'N-2', amount: 0 }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: 'N-3', amount: 10.5 }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: 'N-4', amount: Number.NaN }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: 'N-5', amount: 1_000_001 }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: 'N-6', amount: 1e18 }, 'api'), 'amount'],
      [() => r.service.topUp({ accountId: a.id, ref: '', amount: 100 }, 'api'), 'ref'],
      [() => r.service.topUp({ accountId: a.id, ref: 'has space', amount: 100 }, 'api'), 'ref'],
      [() => r.service.topUp({ accountId: a.id, amount: 100 } as never, 'api'), 'ref'],
      [() => r.service.adjust({ accountId: a.id, amount: 100, reason: ' ' }, 'bob'), 'reason'],
      [() => r.service.adjust({ accountId: a.id, amount: 0, reason: 'x' }, 'bob'), 'amount'],
      [() => r.service.createAccount({ meterId: r.meter.id, currency: 'rupee' }, 'alice'), 'currency'],
      [
        () =>
          r.service.createAccount(
            { meterId: r.meter.id, currency: 'INR', settings: { bogus: 1 } as never },
            'a',
          ),
        'settings.bogus',
      ],
      [
        () =>
          r.service.updateSettings(
            a.id,
            { friendly: { timeZone: 'Mars/Base', windows: [], weekdays: [], holidays: [] } },
            'a',
          ),
        'settings.friendly.timeZone',
      ],
      [
        () =>
          r.service.updateSettings(
            a.id,
            {
              friendly: {
                timeZone: 'UTC',
                windows: [{ start: '25:00', end: '08:00' }],
                weekdays: [],
                holidays: [],
              },
            },
            'a',
          ),
        'settings.friendly.windows[0].start',
      ],
      [
        () => r.service.updateSettings(a.id, { alertThresholdsPct: [30, 120] }, 'a'),
        'settings.alertThresholdsPct[1]',
      ],
    ];
    for (const [p, field] of cases) {
      const f = await refusal(p());
      expect(f.code, field).toBe('PREPAY_INVALID');
      expect(f.field).toBe(field);
    }
    expect((await refusal(r.service.topUp({ accountId: 999, ref: 'X', amount: 1 }, 'api'))).kind).toBe(
      'not-found',
    );
    expect(await wholeLedger(r.store, a.id)).toEqual([]);
    expect((await r.service.account(a.id)).balance).toBe(0);
    expect((await r.service.status(a.id)).remainingDays).toBe(0);
    const err = await r.service.topUp({ accountId: a.id, ref: 'N-9', amount: -1 }, 'api').catch((e) => e);
    expect(err).toBeInstanceOf(PrepaymentError);
    expect(err.message).toMatch(/^amount: must be positive/);
  });

  it('reverses a top-up with a negative adjustment, never an edit, and closes accounts', async () => {
    const a = await r.service.createAccount({ meterId: r.meter.id, currency: 'EUR' }, 'alice');
    await r.service.topUp({ accountId: a.id, ref: 'CARD-1', amount: 2_000 }, 'api');
    await r.service.adjust({ accountId: a.id, amount: -2_000, reason: 'chargeback of CARD-1' }, 'bob');
    const entries = await wholeLedger(r.store, a.id);
    expect(entries.map((e) => e.amount)).toEqual([2_000, -2_000]);
    const closed = await r.service.close(a.id, 'bob');
    expect(closed.state).toBe('closed');
    expect((await refusal(r.service.topUp({ accountId: a.id, ref: 'CARD-2', amount: 1 }, 'api'))).kind).toBe(
      'conflict',
    );
    const listed = await r.service.accounts({ state: 'closed' });
    expect(listed.items.map((x) => x.id)).toEqual([a.id]);
  });
});
