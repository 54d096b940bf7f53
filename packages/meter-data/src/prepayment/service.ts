import type {
  AccountState,
  Actor,
  Clock,
  Instant,
  LedgerEntry,
  LedgerKind,
  Page,
  PostResult,
  PrepaymentAccount,
  PrepaymentSettings,
  Store,
} from '@openhes/core';
import { emergencyCreditOffered, type PrepaymentEngine } from './engine.ts';
import { PrepaymentError } from './errors.ts';
import { appendPrepaymentEvents, PrepaymentEventCode, prepaymentEvent } from './events.ts';
import { MAX_AMOUNT, validatePrepaymentSettings } from './settings.ts';

/** A payment reference: 1–128 visible characters (letters, digits and `-_.:/#@+`). */
const REF_RE = /^[A-Za-z0-9][A-Za-z0-9\-_.:/#@+]{0,127}$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const ACCOUNT_STATES = [
  'connected',
  'disconnect-pending',
  'disconnected',
  'reconnect-pending',
  'disconnect-failed',
  'closed',
] as const;
const LEDGER_KINDS = ['charge', 'top-up', 'adjustment', 'emergency-credit'] as const;

export interface NewAccountInput {
  meterId: number;
  currency: string;
  /** Default 2. */
  minorDigits?: number;
  /** Charge intervals ending after this instant (default now). */
  chargeFrom?: Instant;
  settings?: Partial<PrepaymentSettings>;
}

export interface TopUpInput {
  accountId: number;
  /** The payment reference: a repeated one is credited once. */
  ref: string;
  /** Minor units, > 0 and <= the account's maxTopUp. */
  amount: number;
}

export interface AdjustmentInput {
  accountId: number;
  /** Minor units, either sign, not zero (a reversed top-up is a negative adjustment). */
  amount: number;
  reason: string;
}

export interface TopUpResult extends PostResult {
  /** The account after the engine ran (reconnect requested, alerts re-armed …). */
  account: PrepaymentAccount;
}

export interface PrepaymentServiceOptions {
  clock?: Clock;
}

const who = (actor: Actor | string) => (typeof actor === 'string' ? actor : actor.name);

function id(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) <= 0)
    throw PrepaymentError.invalid(field, 'must be a positive integer id');
  return v as number;
}

function amountOf(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw PrepaymentError.invalid(field, 'must be a number of minor units');
  if (Math.abs(v) > MAX_AMOUNT)
    throw PrepaymentError.invalid(field, `is absurd (more than ${MAX_AMOUNT} minor units)`);
  if (!Number.isSafeInteger(v)) {
    throw PrepaymentError.invalid(
      field,
      `must be a whole number of minor units (got ${v}; money never has fractions of a cent)`,
    );
  }
  return v;
}

/**
 * Prepayment as the API and CLI use it: accounts, top-ups idempotent by payment reference,
 * adjustments with a reason, emergency credit, ledger paging and settings. Every change posts
 * to the append-only ledger, records an event in the meter's prepayment log and an audit
 * entry, then lets the engine act (a top-up that makes the balance positive requests the
 * reconnect at once). Errors are PrepaymentError (invalid/not-found/conflict) naming the field,
 * or the store's typed errors.
 */
export class PrepaymentService {
  readonly #store: Pick<Store, 'prepayment' | 'events' | 'audit' | 'meters'>;
  readonly #engine: PrepaymentEngine;
  readonly #clock: Clock;

  constructor(
    store: Pick<Store, 'prepayment' | 'events' | 'audit' | 'meters'>,
    engine: PrepaymentEngine,
    options: PrepaymentServiceOptions = {},
  ) {
    this.#store = store;
    this.#engine = engine;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  get engine(): PrepaymentEngine {
    return this.#engine;
  }

  async createAccount(input: NewAccountInput, actor: Actor | string): Promise<PrepaymentAccount> {
    if (input === null || typeof input !== 'object')
      throw PrepaymentError.invalid('body', 'must be an object');
    const meterId = id('meterId', input.meterId);
    if (typeof input.currency !== 'string' || !CURRENCY_RE.test(input.currency)) {
      throw PrepaymentError.invalid('currency', 'must be an ISO 4217 code such as INR or EUR');
    }
    const minorDigits = input.minorDigits ?? 2;
    if (!Number.isInteger(minorDigits) || minorDigits < 0 || minorDigits > 4) {
      throw PrepaymentError.invalid('minorDigits', 'must be an integer 0..4');
    }
    if (input.chargeFrom !== undefined && (!Number.isSafeInteger(input.chargeFrom) || input.chargeFrom < 0)) {
      throw PrepaymentError.invalid('chargeFrom', 'must be an instant (epoch ms)');
    }
    const settings = validatePrepaymentSettings(input.settings);
    if ((await this.#store.meters.get(meterId)) === null)
      throw PrepaymentError.notFound('meter', { meterId });
    const account = await this.#store.prepayment.createAccount({
      meterId,
      currency: input.currency,
      minorDigits,
      chargeFrom: input.chargeFrom ?? this.#clock.now(),
      settings,
      createdBy: who(actor),
    });
    await this.#audit(actor, 'prepayment.account.created', account, { meterId, currency: input.currency });
    return account;
  }

  async account(accountId: number): Promise<PrepaymentAccount> {
    const a = await this.#store.prepayment.account(id('accountId', accountId));
    if (a === null) throw PrepaymentError.notFound('prepayment account', { accountId });
    return a;
  }

  /** The meter's open account (not-found when it has none). */
  async accountForMeter(meterId: number): Promise<PrepaymentAccount> {
    const a = await this.#store.prepayment.accountForMeter(id('meterId', meterId));
    if (a === null) throw PrepaymentError.notFound('prepayment account', { meterId });
    return a;
  }

  /**
   * The account with its remaining days (rules §3.2): credit ÷ the average daily cost of the
   * charges of the last 7 days; 9999 when nothing was charged, 0 when the balance is <= 0.
   */
  async status(
    accountId: number,
  ): Promise<{ account: PrepaymentAccount; averageDailyCost: number; remainingDays: number }> {
    const account = await this.account(accountId);
    const since = account.chargedThrough - 7 * 86_400_000;
    let cost = 0;
    let cursor: string | null = null;
    outer: do {
      const page = await this.#store.prepayment.ledger({
        accountId: account.id,
        kind: 'charge',
        order: 'desc',
        limit: 500,
        cursor,
      });
      for (const e of page.items) {
        const to = e.detail?.to;
        if (typeof to !== 'number' || to <= since) break outer;
        cost -= e.amount;
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    const averageDailyCost = Math.round(cost / 7);
    const remainingDays =
      account.balance <= 0
        ? 0
        : averageDailyCost <= 0
          ? 9999
          : Math.floor(account.balance / averageDailyCost);
    return { account, averageDailyCost, remainingDays };
  }

  accounts(query: {
    state?: AccountState | readonly AccountState[];
    meterId?: number;
    limit?: number;
    cursor?: string | null;
  }): Promise<Page<PrepaymentAccount>> {
    const states =
      query.state === undefined ? [] : typeof query.state === 'string' ? [query.state] : query.state;
    for (const s of states) {
      if (!(ACCOUNT_STATES as readonly string[]).includes(s)) {
        throw PrepaymentError.invalid('state', `must be one of ${ACCOUNT_STATES.join(', ')}`);
      }
    }
    if (query.meterId !== undefined) id('meterId', query.meterId);
    return this.#store.prepayment.accounts(query);
  }

  async ledger(query: {
    accountId: number;
    kind?: LedgerKind;
    order?: 'asc' | 'desc';
    limit?: number;
    cursor?: string | null;
  }): Promise<Page<LedgerEntry>> {
    await this.account(query.accountId);
    if (query.kind !== undefined && !(LEDGER_KINDS as readonly string[]).includes(query.kind)) {
      throw PrepaymentError.invalid('kind', `must be one of ${LEDGER_KINDS.join(', ')}`);
    }
    if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
      throw PrepaymentError.invalid('order', 'must be asc or desc');
    }
    return this.#store.prepayment.ledger(query);
  }

  /**
   * Credits a payment once per reference: a repeated (or racing) top-up with the same ref and
   * amount returns the first entry with `duplicate: true`; the same ref with another amount or
   * account is a conflict. Refused: amounts <= 0, fractions, above the account's maxTopUp.
   */
  async topUp(input: TopUpInput, actor: Actor | string): Promise<TopUpResult> {
    if (input === null || typeof input !== 'object')
      throw PrepaymentError.invalid('body', 'must be an object');
    const accountId = id('accountId', input.accountId);
    if (typeof input.ref !== 'string' || !REF_RE.test(input.ref)) {
      throw PrepaymentError.invalid(
        'ref',
        'must be the payment reference: 1-128 letters, digits or -_.:/#@+',
      );
    }
    const amount = amountOf('amount', input.amount);
    if (amount <= 0) throw PrepaymentError.invalid('amount', `must be positive (got ${amount})`);
    const before = await this.account(accountId);
    if (amount > before.settings.maxTopUp) {
      throw PrepaymentError.invalid(
        'amount',
        `is absurd: above the account's limit of ${before.settings.maxTopUp} minor units`,
        {
          maxTopUp: before.settings.maxTopUp,
        },
      );
    }
    if (before.state === 'closed')
      throw PrepaymentError.state(`account ${accountId} is closed`, { accountId });
    const r = await this.#store.prepayment.post(
      { accountId, kind: 'top-up', amount, ref: input.ref, actor: who(actor), detail: null },
      { topUp: true },
    );
    if (!r.duplicate) {
      const now = this.#clock.now();
      await appendPrepaymentEvents(this.#store, [
        prepaymentEvent(r.account.meterId, now, PrepaymentEventCode.topUp, {
          ref: input.ref,
          amount,
          balance: r.entry.balanceAfter,
          currency: r.account.currency,
        }),
      ]);
      await this.#audit(actor, 'prepayment.top-up', r.account, {
        ref: input.ref,
        amount,
        entryId: r.entry.id,
      });
    }
    const step = await this.#engine.evaluate(accountId);
    return { ...r, account: step?.account ?? r.account };
  }

  /** A correction with a reason (required), audited; the engine acts on the new balance. */
  async adjust(input: AdjustmentInput, actor: Actor | string): Promise<PostResult> {
    if (input === null || typeof input !== 'object')
      throw PrepaymentError.invalid('body', 'must be an object');
    const accountId = id('accountId', input.accountId);
    const amount = amountOf('amount', input.amount);
    if (amount === 0) throw PrepaymentError.invalid('amount', 'must not be zero');
    if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 512) {
      throw PrepaymentError.invalid('reason', 'is required (1-512 characters)');
    }
    await this.account(accountId);
    const r = await this.#store.prepayment.post({
      accountId,
      kind: 'adjustment',
      amount,
      reason: input.reason.trim(),
      actor: who(actor),
    });
    await appendPrepaymentEvents(this.#store, [
      prepaymentEvent(r.account.meterId, this.#clock.now(), PrepaymentEventCode.adjustment, {
        amount,
        reason: input.reason.trim(),
        balance: r.entry.balanceAfter,
        by: who(actor),
      }),
    ]);
    await this.#audit(actor, 'prepayment.adjustment', r.account, {
      amount,
      reason: input.reason.trim(),
      entryId: r.entry.id,
    });
    const step = await this.#engine.evaluate(accountId);
    return { ...r, account: step?.account ?? r.account };
  }

  /**
   * Grants emergency credit when offered (configured amount > 0, none outstanding, balance at
   * or below the threshold); it is repaid from the next top-up. A conflict otherwise.
   */
  async grantEmergencyCredit(accountId: number, actor: Actor | string): Promise<PostResult> {
    const a = await this.account(accountId);
    if (!emergencyCreditOffered(a)) {
      throw PrepaymentError.state(
        a.settings.emergencyCreditAmount === 0
          ? `account ${a.id} has no emergency credit configured`
          : a.emergencyOutstanding > 0
            ? `account ${a.id} still owes ${a.emergencyOutstanding} of emergency credit`
            : `emergency credit is offered at a balance of ${a.settings.emergencyCreditThreshold} or less (balance ${a.balance})`,
        { accountId: a.id, balance: a.balance, outstanding: a.emergencyOutstanding },
      );
    }
    const r = await this.#store.prepayment.post(
      {
        accountId: a.id,
        kind: 'emergency-credit',
        amount: a.settings.emergencyCreditAmount,
        ref: `ec:${a.id}:v${a.version}`,
        reason: 'emergency credit',
        actor: who(actor),
      },
      { emergency: a.settings.emergencyCreditAmount },
    );
    if (!r.duplicate) {
      await appendPrepaymentEvents(this.#store, [
        prepaymentEvent(a.meterId, this.#clock.now(), PrepaymentEventCode.emergencyCreditGranted, {
          amount: a.settings.emergencyCreditAmount,
          balance: r.entry.balanceAfter,
          automatic: false,
        }),
      ]);
      await this.#audit(actor, 'prepayment.emergency-credit', r.account, { amount: r.entry.amount });
    }
    const step = await this.#engine.evaluate(a.id);
    return { ...r, account: step?.account ?? r.account };
  }

  /** Changes settings (a patch; unknown keys and bad values refused naming the field). */
  async updateSettings(
    accountId: number,
    patch: Partial<PrepaymentSettings>,
    actor: Actor | string,
  ): Promise<PrepaymentAccount> {
    for (let attempt = 0; ; attempt++) {
      const a = await this.account(accountId);
      const settings = validatePrepaymentSettings(patch, a.settings);
      try {
        const out = await this.#store.prepayment.update(a.id, a.version, { settings });
        await this.#audit(actor, 'prepayment.settings', out, { patch });
        return out;
      } catch (e) {
        if (attempt >= 4 || !(e instanceof Error && (e as { kind?: string }).kind === 'conflict')) throw e;
      }
    }
  }

  /** Closes the account: no more charges or top-ups; the ledger stays. */
  async close(accountId: number, actor: Actor | string): Promise<PrepaymentAccount> {
    for (let attempt = 0; ; attempt++) {
      const a = await this.account(accountId);
      if (a.state === 'closed') return a;
      try {
        const out = await this.#store.prepayment.update(a.id, a.version, {
          state: 'closed',
          pending: null,
          heldUntil: null,
        });
        await this.#audit(actor, 'prepayment.account.closed', out, { balance: out.balance });
        return out;
      } catch (e) {
        if (attempt >= 4 || !(e instanceof Error && (e as { kind?: string }).kind === 'conflict')) throw e;
      }
    }
  }

  async #audit(actor: Actor | string, action: string, a: PrepaymentAccount, detail: Record<string, unknown>) {
    await this.#store.audit.append({
      actor: who(actor),
      action,
      target: `prepayment:${a.id}`,
      outcome: 'succeeded',
      detail: { meterId: a.meterId, address: typeof actor === 'string' ? null : actor.address, ...detail },
    });
  }
}
