import {
  type Actor,
  type BusMessage,
  type Clock,
  type Command,
  type ControlPort,
  type EventBus,
  type Instant,
  isCodedError,
  type NewMeterEvent,
  type PendingCommand,
  type PrepaymentAccount,
  type PrepaymentAccountPatch,
  type ReadingsStoredPayload,
  type Store,
  type Subscription,
} from '@openhes/core';
import { FriendlyHours } from './calendar.ts';
import type { ConsumptionSource } from './consumption.ts';
import { appendPrepaymentEvents, lowCreditCode, PrepaymentEventCode, prepaymentEvent } from './events.ts';
import { exactCost, type PriceFor, parseRate, roundExact } from './pricing.ts';

/** The principal the engine acts as (ledger entries, commands, events). */
export const PREPAYMENT_ACTOR: Actor = { name: 'system:prepayment', address: 'system', approver: false };

export interface PrepaymentEngineDeps {
  store: Pick<Store, 'prepayment' | 'events' | 'commands'>;
  /** The command engine (ControlPort of @openhes/control); without it supply is never switched. */
  control?: Pick<ControlPort, 'requestCommand' | 'cancelCommand'> | null;
  /** Prices consumption (tariffPriceFor(store) in the head end). */
  priceFor: PriceFor;
  /** Consumption to charge (storeConsumption(store) in the head end); none: nothing charged. */
  consumption?: ConsumptionSource | null;
  clock?: Clock;
}

export interface PrepaymentEngineOptions {
  /** Intervals charged per ledger entry at most (default 2880: a month of quarter hours). */
  chargeBatch?: number;
  /** Deadline of a disconnect command (default 15 min) and of a reconnect (default 10 min). */
  disconnectDeadlineMs?: number;
  reconnectDeadlineMs?: number;
  /**
   * A request claimed in the account but with no command id yet (the process died between the
   * two) is requested again after this long (default 60 s).
   */
  requestGraceMs?: number;
}

/** What one evaluation did (for logs and tests). */
export interface PrepaymentStep {
  account: PrepaymentAccount;
  charged: number;
  events: number[];
  requested: Command[];
}

const FAILED: ReadonlySet<string> = new Set(['failed', 'expired', 'cancelled', 'rejected']);

function isVersionConflict(e: unknown): boolean {
  return isCodedError(e) && e.kind === 'conflict' && e.detail?.reason === 'STORAGE_PREPAY_VERSION';
}

/**
 * The prepayment engine (rules §3.2–§3.4): charges consumption into the ledger as it arrives,
 * notifies low-credit tiers once per top-up, grants automatic emergency credit, repays it
 * from the next top-up, and drives supply: at a balance <= 0 outside friendly hours a
 * disconnect (non-payment) through the command engine, inside them a hold until the window
 * ends; after a top-up that lifts the balance above the reconnect minimum an urgent connect
 * (reinstatement), re-requested after each failure or expiry until the meter confirms.
 * Every request is first claimed in the account (compare-and-set), then sent, then its
 * command id stored, so two processes never both send and a crash in between is resumed.
 * The state lives in the store only: `evaluate` may run anywhere, any number of times.
 */
export class PrepaymentEngine {
  readonly #store: PrepaymentEngineDeps['store'];
  readonly #control: PrepaymentEngineDeps['control'];
  readonly #priceFor: PriceFor;
  readonly #consumption: ConsumptionSource | null;
  readonly #clock: Clock;
  readonly #batch: number;
  readonly #disconnectDeadline: number;
  readonly #reconnectDeadline: number;
  readonly #grace: number;
  readonly #chains = new Map<number, Promise<unknown>>();
  readonly #calendars = new Map<string, FriendlyHours>();

  constructor(deps: PrepaymentEngineDeps, options: PrepaymentEngineOptions = {}) {
    this.#store = deps.store;
    this.#control = deps.control ?? null;
    this.#priceFor = deps.priceFor;
    this.#consumption = deps.consumption ?? null;
    this.#clock = deps.clock ?? { now: () => Date.now() };
    this.#batch = options.chargeBatch ?? 2880;
    this.#disconnectDeadline = options.disconnectDeadlineMs ?? 15 * 60_000;
    this.#reconnectDeadline = options.reconnectDeadlineMs ?? 10 * 60_000;
    this.#grace = options.requestGraceMs ?? 60_000;
  }

  /** Charges, alerts and drives supply for one account; serialised per account in this process. */
  evaluate(accountId: number): Promise<PrepaymentStep | null> {
    const prev = this.#chains.get(accountId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.#evaluate(accountId));
    this.#chains.set(accountId, next);
    void next
      .finally(() => {
        if (this.#chains.get(accountId) === next) this.#chains.delete(accountId);
      })
      .catch(() => undefined);
    return next;
  }

  /** Evaluates every open account (a periodic sweep: friendly windows ending, command outcomes). */
  async tick(): Promise<{ accounts: number; failed: { accountId: number; error: string }[] }> {
    let cursor: string | null = null;
    let accounts = 0;
    const failed: { accountId: number; error: string }[] = [];
    do {
      const page = await this.#store.prepayment.accounts({
        state: ['connected', 'disconnect-pending', 'disconnected', 'reconnect-pending', 'disconnect-failed'],
        limit: 500,
        cursor,
      });
      for (const a of page.items) {
        accounts++;
        try {
          await this.evaluate(a.id);
        } catch (e) {
          failed.push({ accountId: a.id, error: e instanceof Error ? e.message : String(e) });
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    return { accounts, failed };
  }

  /** Evaluates the meter's account after every `readings.stored` on the bus. */
  subscribe(bus: EventBus): Promise<Subscription> {
    return bus.subscribe('readings.stored', async (m: BusMessage) => {
      const payload = m.payload as ReadingsStoredPayload;
      const account = await this.#store.prepayment.accountForMeter(payload.meterId);
      if (account !== null) await this.evaluate(account.id);
    });
  }

  #friendly(a: PrepaymentAccount): FriendlyHours {
    const key = JSON.stringify(a.settings.friendly);
    let f = this.#calendars.get(key);
    if (f === undefined) {
      f = new FriendlyHours(a.settings.friendly);
      if (this.#calendars.size > 1000) this.#calendars.clear();
      this.#calendars.set(key, f);
    }
    return f;
  }

  async #evaluate(accountId: number): Promise<PrepaymentStep | null> {
    let charged = 0;
    for (let attempt = 0; ; attempt++) {
      let account = await this.#store.prepayment.account(accountId);
      if (account === null || account.state === 'closed') return null;
      if (attempt === 0) {
        const c = await this.#charge(account);
        account = c.account;
        charged = c.charged;
      }
      try {
        return { ...(await this.#step(account)), charged };
      } catch (e) {
        // Another writer moved the account (a top-up, another process): decide again.
        if (!isVersionConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  /** Charges contiguous intervals after the account's cursor; stops at the first gap. */
  async #charge(account: PrepaymentAccount): Promise<{ account: PrepaymentAccount; charged: number }> {
    if (this.#consumption === null) return { account, charged: 0 };
    let charged = 0;
    let a = account;
    for (;;) {
      const intervals = await this.#consumption.intervals(a.meterId, a.chargedThrough, this.#batch);
      const take = [];
      let prev = a.chargedThrough;
      for (const iv of intervals) {
        if (iv.ts <= prev) continue;
        if (iv.ts - iv.lengthMs > prev) break; // a gap: wait for the reading or VEE's estimate
        take.push(iv);
        prev = iv.ts;
      }
      if (take.length === 0) break;
      const last = await this.#store.prepayment.ledger({
        accountId: a.id,
        kind: 'charge',
        order: 'desc',
        limit: 1,
      });
      const priorText = last.items[0]?.detail?.exactTotal;
      const prior = typeof priorText === 'string' ? BigInt(priorText) : 0n;
      let exact = 0n;
      let milliWh = 0;
      let estimated = 0;
      const periods: Record<string, number> = {};
      for (const iv of take) {
        const energy = Math.max(0, iv.milliWh);
        const price = await this.#priceFor(a.meterId, { from: iv.ts - iv.lengthMs, to: iv.ts });
        exact += exactCost(energy, parseRate('rate', price.rate), a.minorDigits);
        milliWh += energy;
        if (iv.estimated) estimated++;
        if (price.period !== undefined) periods[price.period] = (periods[price.period] ?? 0) + energy;
      }
      const total = prior + exact;
      const amount = -(roundExact(total) - roundExact(prior));
      const first = take[0]!;
      const through = take[take.length - 1]!.ts;
      try {
        const r = await this.#store.prepayment.post(
          {
            accountId: a.id,
            kind: 'charge',
            amount: amount === 0 ? 0 : amount,
            ref: `charge:${a.id}:${through}`,
            actor: PREPAYMENT_ACTOR.name,
            detail: {
              from: first.ts - first.lengthMs,
              to: through,
              intervals: take.length,
              milliWh,
              estimated,
              periods,
              exactTotal: total.toString(),
            },
          },
          { chargedThrough: through },
        );
        a = r.account;
        if (!r.duplicate) charged += take.length;
        if (estimated > 0 !== a.provisional) {
          a = await this.#store.prepayment.update(a.id, a.version, { provisional: estimated > 0 });
        }
      } catch (e) {
        // Another process charged the same span with other data: re-read and go on later.
        if (isCodedError(e) && e.kind === 'conflict') break;
        throw e;
      }
      if (intervals.length < this.#batch || take.length < intervals.length) break;
    }
    return { account: a, charged };
  }

  async #step(account: PrepaymentAccount): Promise<Omit<PrepaymentStep, 'charged'>> {
    const now = this.#clock.now();
    const events: NewMeterEvent[] = [];
    const codes: number[] = [];
    const requested: Command[] = [];
    let a = account;
    const s = a.settings;

    // Emergency credit repaid from the newest top-up (idempotent by that top-up's id).
    if (a.emergencyOutstanding > 0 && a.lastTopUpAt !== null) {
      const topUp = (
        await this.#store.prepayment.ledger({ accountId: a.id, kind: 'top-up', order: 'desc', limit: 1 })
      ).items[0];
      const grant = (
        await this.#store.prepayment.ledger({
          accountId: a.id,
          kind: 'emergency-credit',
          order: 'desc',
          limit: 1,
        })
      ).items[0];
      if (topUp !== undefined && grant !== undefined && topUp.id > grant.id) {
        const r = await this.#store.prepayment.post(
          {
            accountId: a.id,
            kind: 'emergency-credit',
            amount: -a.emergencyOutstanding,
            ref: `ec-repay:${topUp.id}`,
            reason: 'emergency credit repaid from top-up',
            actor: PREPAYMENT_ACTOR.name,
            detail: { topUpEntryId: topUp.id },
          },
          { emergency: -a.emergencyOutstanding },
        );
        a = r.account;
        if (!r.duplicate) {
          events.push(
            prepaymentEvent(a.meterId, now, PrepaymentEventCode.emergencyCreditRepaid, {
              amount: -r.entry.amount,
              balance: a.balance,
            }),
          );
        }
      }
    }

    // Automatic emergency credit.
    if (s.emergencyCreditAuto && emergencyCreditOffered(a)) {
      const r = await this.#store.prepayment.post(
        {
          accountId: a.id,
          kind: 'emergency-credit',
          amount: s.emergencyCreditAmount,
          ref: `ec:${a.id}:v${a.version}`,
          reason: 'emergency credit (automatic)',
          actor: PREPAYMENT_ACTOR.name,
        },
        { emergency: s.emergencyCreditAmount },
      );
      a = r.account;
      if (!r.duplicate) {
        events.push(
          prepaymentEvent(a.meterId, now, PrepaymentEventCode.emergencyCreditGranted, {
            amount: s.emergencyCreditAmount,
            balance: a.balance,
            automatic: true,
          }),
        );
      }
    }

    const patch: PrepaymentAccountPatch = {};
    // Low-credit tiers, once each per top-up (rules §3.4 step 1).
    if (a.lastTopUp !== null) {
      const sent = new Set(a.alertsSent);
      const tiers = [...s.alertThresholdsPct].sort((x, y) => y - x);
      const newly: number[] = [];
      tiers.forEach((pct, i) => {
        if (sent.has(pct)) return;
        const limit = Math.floor(((a.lastTopUp as number) * pct) / 100);
        if (a.balance > limit) return;
        newly.push(pct);
        events.push(
          prepaymentEvent(a.meterId, now, lowCreditCode(i + 1), {
            tier: i + 1,
            pct,
            threshold: limit,
            balance: a.balance,
            lastTopUp: a.lastTopUp,
            currency: a.currency,
          }),
        );
      });
      if (newly.length > 0) patch.alertsSent = [...a.alertsSent, ...newly];
    }

    const positive = a.balance > s.reconnectMinimum;
    const pending = a.pending;
    const control = this.#control;
    switch (a.state) {
      case 'connected': {
        if (a.balance <= 0) {
          const friendly = this.#friendly(a);
          if (friendly.isFriendly(now)) {
            // The hold already known still stands (no search for the window's end each sweep).
            const until =
              a.heldUntil !== null && a.heldUntil > now ? a.heldUntil : friendly.friendlyUntil(now);
            if (a.heldUntil !== until) {
              patch.heldUntil = until;
              events.push(
                prepaymentEvent(a.meterId, now, PrepaymentEventCode.disconnectHeld, {
                  balance: a.balance,
                  heldUntil: until,
                }),
              );
            }
          } else if (this.#control !== null) {
            a = await this.#save(a, patch, events, codes);
            return this.#request(a, 'disconnect', 1, now, requested, codes);
          }
        } else if (a.heldUntil !== null) {
          patch.heldUntil = null;
        }
        break;
      }
      case 'disconnected':
      case 'disconnect-failed':
        if (positive && this.#control !== null) {
          a = await this.#save(a, patch, events, codes);
          return this.#request(a, 'connect', 1, now, requested, codes);
        }
        break;
      case 'disconnect-pending':
      case 'reconnect-pending': {
        if (pending === null || this.#control === null) break;
        if (pending.commandId === 0) {
          // Claimed but never sent (a crash, or the request was refused): send again when due.
          const due =
            pending.retryAt !== null ? now >= pending.retryAt : now - pending.requestedAt >= this.#grace;
          if (due) {
            a = await this.#save(a, patch, events, codes);
            return this.#request(a, pending.kind, pending.attempt + 1, now, requested, codes);
          }
          break;
        }
        const cmd = await this.#store.commands.get(pending.commandId);
        if (cmd !== null && cmd.state === 'confirmed') {
          if (pending.kind === 'disconnect') {
            patch.state = 'disconnected';
            patch.pending = null;
            events.push(
              prepaymentEvent(a.meterId, now, PrepaymentEventCode.disconnected, {
                commandId: cmd.id,
                balance: a.balance,
              }),
            );
            if (positive) {
              // Topped up while the disconnect was in flight: reconnect at once.
              a = await this.#save(a, patch, events, codes);
              return this.#request(a, 'connect', 1, now, requested, codes);
            }
          } else {
            patch.state = 'connected';
            patch.pending = null;
            patch.heldUntil = null;
            events.push(
              prepaymentEvent(a.meterId, now, PrepaymentEventCode.reconnected, {
                commandId: cmd.id,
                balance: a.balance,
              }),
            );
          }
          break;
        }
        if (cmd === null || FAILED.has(cmd.state)) {
          const error = cmd === null ? 'command not found' : (cmd.error?.message ?? cmd.state);
          if (pending.kind === 'disconnect' && positive) {
            // The disconnect did not happen and is no longer wanted.
            patch.state = 'connected';
            patch.pending = null;
            break;
          }
          if (pending.retryAt === null) {
            const exhausted = pending.kind === 'disconnect' && pending.attempt >= s.disconnectAttempts;
            if (exhausted) {
              patch.state = 'disconnect-failed';
              patch.pending = null;
              events.push(
                prepaymentEvent(a.meterId, now, PrepaymentEventCode.disconnectFailed, {
                  commandId: pending.commandId,
                  attempts: pending.attempt,
                  error,
                  workOrder: true,
                }),
              );
            } else {
              patch.pending = { ...pending, retryAt: now + s.retryDelayMs, lastError: error };
              events.push(
                prepaymentEvent(
                  a.meterId,
                  now,
                  pending.kind === 'disconnect'
                    ? PrepaymentEventCode.disconnectRetry
                    : PrepaymentEventCode.reconnectRetry,
                  {
                    commandId: pending.commandId,
                    attempt: pending.attempt,
                    error,
                    retryAt: now + s.retryDelayMs,
                  },
                ),
              );
            }
            // A zero delay retries in this same evaluation.
            if (exhausted || s.retryDelayMs > 0) break;
            a = await this.#save(a, patch, events, codes);
            return this.#request(a, pending.kind, pending.attempt + 1, now, requested, codes);
          }
          if (now >= pending.retryAt) {
            a = await this.#save(a, patch, events, codes);
            return this.#request(a, pending.kind, pending.attempt + 1, now, requested, codes);
          }
          break;
        }
        // In flight. A disconnect no longer wanted is cancelled while it is still queued.
        if (pending.kind === 'disconnect' && positive && cmd.state === 'queued') {
          await control?.cancelCommand(cmd.id, PREPAYMENT_ACTOR).catch(() => undefined);
        }
        break;
      }
      default:
        break;
    }
    a = await this.#save(a, patch, events, codes);
    return { account: a, events: codes, requested };
  }

  /** Writes the patch (CAS) and the events; events only once the patch is stored. */
  async #save(
    a: PrepaymentAccount,
    patch: PrepaymentAccountPatch,
    events: NewMeterEvent[],
    codes: number[],
  ): Promise<PrepaymentAccount> {
    let out = a;
    if (Object.keys(patch).length > 0) out = await this.#store.prepayment.update(a.id, a.version, patch);
    if (events.length > 0) {
      const batch = events.splice(0);
      await appendPrepaymentEvents(this.#store, batch);
      codes.push(...batch.map((e) => e.code));
    }
    return out;
  }

  /** Claims the request in the account, sends it, stores the command id. */
  async #request(
    a: PrepaymentAccount,
    kind: 'connect' | 'disconnect',
    attempt: number,
    now: Instant,
    requested: Command[],
    codes: number[],
  ): Promise<Omit<PrepaymentStep, 'charged'>> {
    const control = this.#control as NonNullable<PrepaymentEngineDeps['control']>;
    const pending: PendingCommand = {
      kind,
      commandId: 0,
      attempt,
      requestedAt: now,
      retryAt: null,
      lastError: null,
    };
    let account = await this.#store.prepayment.update(a.id, a.version, {
      state: kind === 'disconnect' ? 'disconnect-pending' : 'reconnect-pending',
      pending,
      heldUntil: null,
    });
    let command: Command;
    try {
      command = await control.requestCommand(
        kind === 'disconnect'
          ? {
              kind: 'disconnect',
              meterId: a.meterId,
              reason: 'non-payment',
              priority: 'normal',
              deadline: now + this.#disconnectDeadline,
            }
          : {
              kind: 'connect',
              meterId: a.meterId,
              reason: 'reinstatement',
              priority: 'urgent',
              deadline: now + this.#reconnectDeadline,
            },
        PREPAYMENT_ACTOR,
      );
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      account = await this.#store.prepayment.update(account.id, account.version, {
        pending: {
          ...pending,
          retryAt: now + Math.max(account.settings.retryDelayMs, 1_000),
          lastError: error,
        },
      });
      return { account, events: codes, requested };
    }
    requested.push(command);
    account = await this.#store.prepayment.update(account.id, account.version, {
      pending: { ...pending, commandId: command.id },
    });
    const code =
      kind === 'disconnect'
        ? PrepaymentEventCode.disconnectRequested
        : PrepaymentEventCode.reconnectRequested;
    await appendPrepaymentEvents(this.#store, [
      prepaymentEvent(a.meterId, now, code, { commandId: command.id, attempt, balance: account.balance }),
    ]);
    codes.push(code);
    return { account, events: codes, requested };
  }
}

/** Emergency credit is offered when configured, none is outstanding and the balance is at or below the threshold. */
export function emergencyCreditOffered(a: PrepaymentAccount): boolean {
  return (
    a.state !== 'closed' &&
    a.settings.emergencyCreditAmount > 0 &&
    a.emergencyOutstanding === 0 &&
    a.balance <= a.settings.emergencyCreditThreshold
  );
}
