import type { Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, failure, type Harness } from './helpers.ts';

async function sumOfLedger(store: Store, accountId: number): Promise<{ sum: number; entries: number }> {
  let sum = 0;
  let entries = 0;
  let cursor: string | null = null;
  do {
    const page = await store.prepayment.ledger({ accountId, limit: 3, cursor });
    for (const e of page.items) {
      sum += e.amount;
      entries++;
      expect(e.balanceAfter).toBe(sum);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { sum, entries };
}

/** The PrepaymentStore contract, run against each engine. */
export function prepaymentContract(name: string, harness: () => Harness): void {
  describe(`${name} prepayment store`, () => {
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

    const open = async () => {
      const meter = await addMeter(store);
      return store.prepayment.createAccount({
        meterId: meter.id,
        currency: 'INR',
        minorDigits: 2,
        chargeFrom: 1_000,
        settings: { maxTopUp: 500_000 },
        createdBy: 'alice',
      });
    };

    it('creates one open account per meter with default settings', async () => {
      const a = await open();
      expect(a).toMatchObject({
        balance: 0,
        state: 'connected',
        chargedThrough: 1_000,
        lastTopUp: null,
        alertsSent: [],
        emergencyOutstanding: 0,
        pending: null,
        version: 1,
      });
      expect(a.settings.alertThresholdsPct).toEqual([30, 10, 0]);
      expect(a.settings.maxTopUp).toBe(500_000);
      expect((await store.prepayment.accountForMeter(a.meterId))?.id).toBe(a.id);
      const dup = await failure(
        store.prepayment.createAccount({
          meterId: a.meterId,
          currency: 'INR',
          minorDigits: 2,
          createdBy: 'x',
        }),
      );
      expect(dup).toEqual({ code: 'STORAGE_CONFLICT', reason: 'STORAGE_PREPAY_ACCOUNT_EXISTS' });
      expect(
        (
          await failure(
            store.prepayment.createAccount({
              meterId: 999_999,
              currency: 'INR',
              minorDigits: 2,
              createdBy: 'x',
            }),
          )
        ).code,
      ).toBe('STORAGE_NOT_FOUND');
      const bad = await failure(
        store.prepayment.createAccount({
          meterId: a.meterId,
          currency: 'rupees',
          minorDigits: 2,
          createdBy: 'x',
        }),
      );
      expect(bad).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
    });

    it('keeps the balance as the sum of the ledger, each entry with its running balance', async () => {
      const a = await open();
      const t = await store.prepayment.post(
        { accountId: a.id, kind: 'top-up', amount: 10_000, ref: 'PAY-1', actor: 'api' },
        { topUp: true },
      );
      expect(t.duplicate).toBe(false);
      expect(t.account).toMatchObject({ balance: 10_000, lastTopUp: 10_000, version: 2 });
      const c = await store.prepayment.post(
        { accountId: a.id, kind: 'charge', amount: -2_345, ref: `charge:${a.id}:5000`, actor: 'system' },
        { chargedThrough: 5_000 },
      );
      expect(c.account.chargedThrough).toBe(5_000);
      // The cursor never goes back.
      await store.prepayment.post(
        { accountId: a.id, kind: 'charge', amount: 0, actor: 'system' },
        { chargedThrough: 4_000 },
      );
      await store.prepayment.post({
        accountId: a.id,
        kind: 'adjustment',
        amount: -55,
        reason: 'meter test',
        actor: 'bob',
      });
      const ec = await store.prepayment.post(
        { accountId: a.id, kind: 'emergency-credit', amount: 1_000, actor: 'system' },
        { emergency: 1_000 },
      );
      expect(ec.account).toMatchObject({
        balance: 8_600,
        emergencyOutstanding: 1_000,
        chargedThrough: 5_000,
      });
      expect(await sumOfLedger(store, a.id)).toEqual({ sum: 8_600, entries: 5 });
      const desc = await store.prepayment.ledger({ accountId: a.id, order: 'desc', limit: 2 });
      expect(desc.items.map((e) => e.kind)).toEqual(['emergency-credit', 'adjustment']);
      const more = await store.prepayment.ledger({
        accountId: a.id,
        order: 'desc',
        limit: 10,
        cursor: desc.nextCursor,
      });
      expect(more.items.map((e) => e.kind)).toEqual(['charge', 'charge', 'top-up']);
      const charges = await store.prepayment.ledger({ accountId: a.id, kind: 'charge' });
      expect(charges.items).toHaveLength(2);
      expect((await store.prepayment.entryByRef('PAY-1'))?.amount).toBe(10_000);
      expect(await store.prepayment.entryByRef('nope')).toBeNull();
    });

    it('credits a payment reference once, also when the same top-up races', async () => {
      const a = await open();
      const posts = await Promise.all(
        Array.from({ length: 12 }, () =>
          store.prepayment.post(
            { accountId: a.id, kind: 'top-up', amount: 5_000, ref: 'UPI-777', actor: 'api' },
            { topUp: true },
          ),
        ),
      );
      expect(posts.filter((p) => !p.duplicate)).toHaveLength(1);
      expect(new Set(posts.map((p) => p.entry.id)).size).toBe(1);
      expect((await store.prepayment.account(a.id))?.balance).toBe(5_000);
      expect(await sumOfLedger(store, a.id)).toEqual({ sum: 5_000, entries: 1 });
      // The same reference for another amount or account is refused, not credited.
      const other = await failure(
        store.prepayment.post({
          accountId: a.id,
          kind: 'top-up',
          amount: 6_000,
          ref: 'UPI-777',
          actor: 'api',
        }),
      );
      expect(other).toEqual({ code: 'STORAGE_CONFLICT', reason: 'STORAGE_LEDGER_REF_USED' });
      expect((await store.prepayment.account(a.id))?.balance).toBe(5_000);
    });

    it('serialises concurrent posts of one account: no lost update', async () => {
      const a = await open();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.prepayment.post({
            accountId: a.id,
            kind: 'top-up',
            amount: 100 + i,
            ref: `R${i}`,
            actor: 'api',
          }),
        ),
      );
      const total = Array.from({ length: 20 }, (_, i) => 100 + i).reduce((s, x) => s + x, 0);
      expect((await store.prepayment.account(a.id))?.balance).toBe(total);
      expect(await sumOfLedger(store, a.id)).toEqual({ sum: total, entries: 20 });
    });

    it('refuses bad entries naming the field, and nothing is stored', async () => {
      const a = await open();
      const cases = [
        [{ accountId: a.id, kind: 'top-up', amount: -5, ref: 'N1', actor: 'api' }, 'amount'],
        [{ accountId: a.id, kind: 'top-up', amount: 1.5, ref: 'N2', actor: 'api' }, 'amount'],
        [{ accountId: a.id, kind: 'top-up', amount: 100, actor: 'api' }, 'ref'],
        [{ accountId: a.id, kind: 'charge', amount: 5, actor: 'system' }, 'amount'],
        [{ accountId: a.id, kind: 'adjustment', amount: 5, actor: 'bob' }, 'reason'],
        [{ accountId: a.id, kind: 'gift', amount: 5, actor: 'bob' }, 'kind'],
      ] as const;
      for (const [entry, field] of cases) {
        try {
          await store.prepayment.post(entry as never);
          expect.unreachable(`accepted ${JSON.stringify(entry)}`);
        } catch (e) {
          expect((e as { code: string }).code).toBe('STORAGE_INVALID_INPUT');
          expect((e as { detail?: { field?: string } }).detail?.field).toBe(field);
        }
      }
      const missing = await failure(
        store.prepayment.post({ accountId: 987_654, kind: 'top-up', amount: 5, ref: 'N3', actor: 'api' }),
      );
      expect(missing.code).toBe('STORAGE_NOT_FOUND');
      expect(await sumOfLedger(store, a.id)).toEqual({ sum: 0, entries: 0 });
    });

    it('updates engine fields by compare-and-set; a closed account takes no posts', async () => {
      const a = await open();
      const pending = {
        kind: 'disconnect' as const,
        commandId: 7,
        attempt: 1,
        requestedAt: 2_000,
        retryAt: null,
        lastError: null,
      };
      const u = await store.prepayment.update(a.id, a.version, {
        state: 'disconnect-pending',
        pending,
        alertsSent: [30, 10],
        heldUntil: 9_000,
        provisional: true,
      });
      expect(u).toMatchObject({
        state: 'disconnect-pending',
        pending,
        alertsSent: [30, 10],
        heldUntil: 9_000,
        provisional: true,
        version: a.version + 1,
      });
      const stale = await failure(store.prepayment.update(a.id, a.version, { state: 'connected' }));
      expect(stale).toEqual({ code: 'STORAGE_CONFLICT', reason: 'STORAGE_PREPAY_VERSION' });
      const listed = await store.prepayment.accounts({ state: ['disconnect-pending'] });
      expect(listed.items.map((x) => x.id)).toEqual([a.id]);
      expect((await store.prepayment.accounts({ state: 'connected' })).items).toEqual([]);
      const closed = await store.prepayment.update(a.id, u.version, {
        state: 'closed',
        pending: null,
        heldUntil: null,
      });
      expect(closed.pending).toBeNull();
      expect(await store.prepayment.accountForMeter(a.meterId)).toBeNull();
      const post = await failure(
        store.prepayment.post({ accountId: a.id, kind: 'top-up', amount: 5, ref: 'late', actor: 'api' }),
      );
      expect(post).toEqual({ code: 'STORAGE_CONFLICT', reason: 'STORAGE_PREPAY_ACCOUNT_CLOSED' });
      // A new account may be opened for the meter once the old one is closed.
      const again = await store.prepayment.createAccount({
        meterId: a.meterId,
        currency: 'INR',
        minorDigits: 2,
        createdBy: 'alice',
      });
      expect(again.id).not.toBe(a.id);
    });

    it('keeps the ledger append-only in the database itself', async () => {
      const a = await open();
      await store.prepayment.post({
        accountId: a.id,
        kind: 'top-up',
        amount: 100,
        ref: 'AO-1',
        actor: 'api',
      });
      await expect(h.exec('UPDATE prepay_ledger SET amount = 1')).rejects.toThrow(/append-only/);
      await expect(h.exec('DELETE FROM prepay_ledger')).rejects.toThrow(/append-only/);
      expect(await sumOfLedger(store, a.id)).toEqual({ sum: 100, entries: 1 });
    });
  });
}
