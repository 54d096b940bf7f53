import {
  AccountState,
  DEFAULT_PREPAYMENT_SETTINGS,
  type LedgerEntry,
  LedgerKind,
  type NewLedgerEntry,
  type PostResult,
  type PrepaymentAccount,
  type PrepaymentAccountPatch,
  type PrepaymentSettings,
  type PrepaymentStore,
  pageLimit,
  validateEnum,
  validateId,
  validateText,
} from '@openhes/core';
import { isStorageError, StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { num, numOrNull, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

/**
 * Prepayment accounts and their append-only ledger (tables prepay_accounts, prepay_ledger).
 * Every post moves the account's balance and appends its entry in one transaction, the
 * account row serialising posts of one account, so `balance` = SUM(ledger.amount) and each
 * entry's `balance_after` is the running sum. A ledger `ref` is unique (top-up payment
 * references, charge keys): a repeated or racing post with the same ref adds nothing.
 * Triggers refuse UPDATE and DELETE on the ledger.
 */

const CURRENCY_RE = /^[A-Z]{3}$/;

function invalid(field: string, message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, message, {
    detail: { reason: 'CORE_INVALID_VALUE', field },
  });
}

function checkMinor(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) throw invalid(field, `${field} must be an integer amount in minor units`);
  return v as number;
}

function checkInstant(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw invalid(field, `${field} must be an instant (integer epoch ms)`);
  }
  return v as number;
}

function checkEntry(e: NewLedgerEntry): void {
  checked(() => {
    validateId('accountId', e.accountId);
    validateEnum('kind', LedgerKind, e.kind);
    validateText('actor', e.actor, 128);
    if (e.ref !== undefined && e.ref !== null) validateText('ref', e.ref, 128);
    if (e.reason !== undefined && e.reason !== null) validateText('reason', e.reason, 512);
  });
  const amount = checkMinor('amount', e.amount);
  if (
    e.detail !== undefined &&
    e.detail !== null &&
    (typeof e.detail !== 'object' || Array.isArray(e.detail))
  ) {
    throw invalid('detail', 'detail must be an object');
  }
  switch (e.kind) {
    case 'top-up':
      if (amount <= 0) throw invalid('amount', 'a top-up amount must be positive');
      if (e.ref === undefined || e.ref === null) throw invalid('ref', 'a top-up needs its payment reference');
      break;
    case 'charge':
      if (amount > 0) throw invalid('amount', 'a charge amount must not be positive');
      break;
    case 'adjustment':
      if (amount === 0) throw invalid('amount', 'an adjustment amount must not be zero');
      if (e.reason === undefined || e.reason === null)
        throw invalid('reason', 'an adjustment needs a reason');
      break;
    case 'emergency-credit':
      if (amount === 0) throw invalid('amount', 'an emergency-credit amount must not be zero');
      break;
  }
}

function settingsOf(s: Partial<PrepaymentSettings> | undefined): PrepaymentSettings {
  if (s !== undefined && (s === null || typeof s !== 'object' || Array.isArray(s))) {
    throw invalid('settings', 'settings must be an object');
  }
  return { ...DEFAULT_PREPAYMENT_SETTINGS, ...(s ?? {}) };
}

export function createPrepaymentStore(ctx: EntityContext): PrepaymentStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const accountCols = `id, meter_id, currency, minor_digits, balance, state, settings, last_top_up,
    ${d.ms('last_top_up_at')} AS last_top_up_at, alerts_sent, emergency_outstanding,
    ${d.ms('charged_through')} AS charged_through, provisional, pending, ${d.ms('held_until')} AS held_until,
    version, created_by, ${d.ms('created_at')} AS created_at, ${d.ms('updated_at')} AS updated_at`;
  const toAccount = (r: Row): PrepaymentAccount => ({
    id: num(r.id),
    meterId: num(r.meter_id),
    currency: r.currency as string,
    minorDigits: num(r.minor_digits),
    balance: num(r.balance),
    state: r.state as AccountState,
    settings: d.fromJson<PrepaymentSettings>(r.settings),
    lastTopUp: numOrNull(r.last_top_up),
    lastTopUpAt: numOrNull(r.last_top_up_at),
    alertsSent: d.fromJson<number[]>(r.alerts_sent),
    emergencyOutstanding: num(r.emergency_outstanding),
    chargedThrough: num(r.charged_through),
    provisional: Boolean(r.provisional),
    pending: r.pending === null || r.pending === undefined ? null : d.fromJson(r.pending),
    heldUntil: numOrNull(r.held_until),
    version: num(r.version),
    createdBy: r.created_by as string,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  });
  const entryCols = `id, account_id, kind, amount, ref, reason, actor, detail, balance_after, ${d.ms('at')} AS at`;
  const toEntry = (r: Row): LedgerEntry => ({
    id: num(r.id),
    accountId: num(r.account_id),
    kind: r.kind as LedgerKind,
    amount: num(r.amount),
    ref: (r.ref as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    actor: r.actor as string,
    detail: r.detail === null || r.detail === undefined ? null : d.fromJson(r.detail),
    balanceAfter: num(r.balance_after),
    at: num(r.at),
  });

  const byRef = async (ref: string) => {
    const row = await exec.get(`SELECT ${entryCols} FROM prepay_ledger WHERE ref = ?`, [ref]);
    return row ? toEntry(row) : null;
  };
  const getAccount = async (id: number) => {
    const row = await exec.get(`SELECT ${accountCols} FROM prepay_accounts WHERE id = ?`, [id]);
    return row ? toAccount(row) : null;
  };

  /** The stored entry of a ref, as a duplicate, or a conflict when it is another post. */
  async function duplicateOf(stored: LedgerEntry, e: NewLedgerEntry): Promise<PostResult> {
    if (stored.accountId !== e.accountId || stored.kind !== e.kind || stored.amount !== e.amount) {
      throw new StorageError(
        StorageErrorCode.Conflict,
        `reference ${JSON.stringify(stored.ref)} was already used for a ${stored.kind} of ${stored.amount} on account ${stored.accountId}`,
        {
          detail: {
            reason: 'STORAGE_LEDGER_REF_USED',
            field: 'ref',
            ref: stored.ref,
            accountId: stored.accountId,
            kind: stored.kind,
            amount: stored.amount,
          },
        },
      );
    }
    const account = await getAccount(stored.accountId);
    return { entry: stored, account: account as PrepaymentAccount, duplicate: true };
  }

  return {
    async createAccount(a) {
      checked(() => {
        validateId('meterId', a.meterId);
        validateText('createdBy', a.createdBy, 128);
      });
      if (typeof a.currency !== 'string' || !CURRENCY_RE.test(a.currency)) {
        throw invalid('currency', 'currency must be an ISO 4217 code (three capital letters)');
      }
      if (!Number.isSafeInteger(a.minorDigits) || a.minorDigits < 0 || a.minorDigits > 4) {
        throw invalid('minorDigits', 'minorDigits must be an integer 0..4');
      }
      const now = ctx.clock.now();
      const chargeFrom = a.chargeFrom === undefined ? now : checkInstant('chargeFrom', a.chargeFrom);
      const settings = settingsOf(a.settings);
      return exec.tx(async (tx) => {
        const meter = await tx.get('SELECT id FROM meters WHERE id = ?', [a.meterId]);
        if (!meter) throw notFound('meter', { meterId: a.meterId });
        const open = await tx.get(`SELECT id FROM prepay_accounts WHERE meter_id = ? AND state <> 'closed'`, [
          a.meterId,
        ]);
        if (open) {
          throw new StorageError(
            StorageErrorCode.Conflict,
            `meter ${a.meterId} already has the open prepayment account ${num(open.id)}`,
            {
              detail: {
                reason: 'STORAGE_PREPAY_ACCOUNT_EXISTS',
                meterId: a.meterId,
                accountId: num(open.id),
              },
            },
          );
        }
        const row = await tx.get(
          `INSERT INTO prepay_accounts (meter_id, currency, minor_digits, balance, state, settings, last_top_up,
             last_top_up_at, alerts_sent, emergency_outstanding, charged_through, provisional, pending, held_until,
             version, created_by, created_at, updated_at)
           VALUES (?, ?, ?, 0, ?, ${d.json('?')}, NULL, NULL, ${d.json('?')}, 0, ${d.t('?')}, ?, NULL, NULL, 1, ?,
             ${d.t('?')}, ${d.t('?')}) RETURNING ${accountCols}`,
          [
            a.meterId,
            a.currency,
            a.minorDigits,
            AccountState.connected,
            JSON.stringify(settings),
            '[]',
            chargeFrom,
            d.bool(false),
            a.createdBy,
            now,
            now,
          ],
        );
        return toAccount(row as Row);
      });
    },

    async account(id) {
      if (!Number.isSafeInteger(id)) return null;
      return getAccount(id);
    },

    async accountForMeter(meterId) {
      if (!Number.isSafeInteger(meterId)) return null;
      const row = await exec.get(
        `SELECT ${accountCols} FROM prepay_accounts WHERE meter_id = ? AND state <> 'closed'`,
        [meterId],
      );
      return row ? toAccount(row) : null;
    },

    async accounts(q) {
      const limit = checked(() => pageLimit(q.limit));
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.state !== undefined) {
        const states = (typeof q.state === 'string' ? [q.state] : [...q.state]) as string[];
        if (states.length === 0) throw invalid('state', 'state must name at least one state');
        checked(() => {
          for (const s of states) validateEnum('state', AccountState, s);
        });
        where.push(`state IN (${states.map(() => '?').join(', ')})`);
        params.push(...states);
      }
      if (q.meterId !== undefined) {
        where.push('meter_id = ?');
        params.push(checked(() => validateId('meterId', q.meterId)));
      }
      const after = cursorNumbers(q.cursor, 1);
      if (after !== null) {
        where.push('id > ?');
        params.push(after[0]);
      }
      const rows = await exec.all(
        `SELECT ${accountCols} FROM prepay_accounts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id LIMIT ?`,
        [...params, limit + 1],
      );
      return pageOf(rows.map(toAccount), limit, (a) => [a.id]);
    },

    async post(e, effects = {}) {
      checkEntry(e);
      const ref = e.ref ?? null;
      const through =
        effects.chargedThrough === undefined ? null : checkInstant('chargedThrough', effects.chargedThrough);
      const emergency = effects.emergency === undefined ? 0 : checkMinor('emergency', effects.emergency);
      const topUp = effects.topUp === true;
      if (ref !== null) {
        const stored = await byRef(ref);
        if (stored) return duplicateOf(stored, e);
      }
      const now = ctx.clock.now();
      try {
        return await exec
          .tx(async (tx) => {
            if (ref !== null) {
              // Inside the transaction too (SQLite serialises writers: this settles a race there).
              const row = await tx.get(`SELECT ${entryCols} FROM prepay_ledger WHERE ref = ?`, [ref]);
              if (row) return { stored: toEntry(row) };
            }
            const sets = ['balance = balance + ?', 'version = version + 1', `updated_at = ${d.t('?')}`];
            const params: unknown[] = [e.amount, now];
            if (through !== null) {
              sets.push(
                `charged_through = CASE WHEN charged_through < ${d.t('?')} THEN ${d.t('?')} ELSE charged_through END`,
              );
              params.push(through, through);
            }
            if (emergency !== 0) {
              sets.push('emergency_outstanding = emergency_outstanding + ?');
              params.push(emergency);
            }
            if (topUp) {
              sets.push('last_top_up = ?', `last_top_up_at = ${d.t('?')}`, `alerts_sent = ${d.json('?')}`);
              params.push(e.amount, now, '[]');
            }
            // The row lock of this UPDATE serialises posts of one account (PostgreSQL).
            const acc = await tx.get(
              `UPDATE prepay_accounts SET ${sets.join(', ')} WHERE id = ? AND state <> 'closed' RETURNING ${accountCols}`,
              [...params, e.accountId],
            );
            if (!acc) {
              const exists = await tx.get('SELECT state FROM prepay_accounts WHERE id = ?', [e.accountId]);
              if (!exists) throw notFound('prepayment account', { accountId: e.accountId });
              throw new StorageError(
                StorageErrorCode.Conflict,
                `prepayment account ${e.accountId} is closed`,
                {
                  detail: { reason: 'STORAGE_PREPAY_ACCOUNT_CLOSED', accountId: e.accountId },
                },
              );
            }
            const account = toAccount(acc);
            const row = await tx.get(
              `INSERT INTO prepay_ledger (account_id, kind, amount, ref, reason, actor, detail, balance_after, at)
             VALUES (?, ?, ?, ?, ?, ?, ${d.json('?')}, ?, ${d.t('?')}) RETURNING ${entryCols}`,
              [
                e.accountId,
                e.kind,
                e.amount,
                ref,
                e.reason ?? null,
                e.actor,
                e.detail === undefined || e.detail === null ? null : JSON.stringify(e.detail),
                account.balance,
                now,
              ],
            );
            return { result: { entry: toEntry(row as Row), account, duplicate: false } satisfies PostResult };
          })
          .then(async (r) => (r.stored !== undefined ? duplicateOf(r.stored, e) : (r.result as PostResult)));
      } catch (err) {
        // Two posts of one ref raced past the check (PostgreSQL): the unique index let one in.
        if (ref !== null && isStorageError(err) && err.code === StorageErrorCode.Conflict) {
          const stored = await byRef(ref);
          if (stored) return duplicateOf(stored, e);
        }
        throw err;
      }
    },

    async entryByRef(ref) {
      if (typeof ref !== 'string') return null;
      return byRef(ref);
    },

    async ledger(q) {
      const limit = checked(() => pageLimit(q.limit));
      const accountId = checked(() => validateId('accountId', q.accountId));
      const order = q.order ?? 'asc';
      if (order !== 'asc' && order !== 'desc') throw invalid('order', 'order must be asc or desc');
      const where = ['account_id = ?'];
      const params: unknown[] = [accountId];
      if (q.kind !== undefined) {
        where.push('kind = ?');
        params.push(checked(() => validateEnum('kind', LedgerKind, q.kind)));
      }
      const after = cursorNumbers(q.cursor, 1);
      if (after !== null) {
        where.push(order === 'asc' ? 'id > ?' : 'id < ?');
        params.push(after[0]);
      }
      const rows = await exec.all(
        `SELECT ${entryCols} FROM prepay_ledger WHERE ${where.join(' AND ')}
         ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
        [...params, limit + 1],
      );
      return pageOf(rows.map(toEntry), limit, (x) => [x.id]);
    },

    async update(id, expectedVersion, patch: PrepaymentAccountPatch) {
      checked(() => validateId('id', id));
      if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
        throw invalid('expectedVersion', 'expectedVersion must be a positive integer');
      }
      const sets = ['version = version + 1', `updated_at = ${d.t('?')}`];
      const params: unknown[] = [ctx.clock.now()];
      if (patch.state !== undefined) {
        sets.push('state = ?');
        params.push(checked(() => validateEnum('state', AccountState, patch.state)));
      }
      if (patch.settings !== undefined) {
        sets.push(`settings = ${d.json('?')}`);
        params.push(JSON.stringify(settingsOf(patch.settings)));
      }
      if (patch.alertsSent !== undefined) {
        if (!Array.isArray(patch.alertsSent) || !patch.alertsSent.every((x) => typeof x === 'number')) {
          throw invalid('alertsSent', 'alertsSent must be a list of numbers');
        }
        sets.push(`alerts_sent = ${d.json('?')}`);
        params.push(JSON.stringify(patch.alertsSent));
      }
      if (patch.provisional !== undefined) {
        sets.push('provisional = ?');
        params.push(d.bool(patch.provisional === true));
      }
      if (patch.pending !== undefined) {
        sets.push(`pending = ${d.json('?')}`);
        params.push(patch.pending === null ? null : JSON.stringify(patch.pending));
      }
      if (patch.heldUntil !== undefined) {
        sets.push(`held_until = ${d.t('?')}`);
        params.push(patch.heldUntil === null ? null : checkInstant('heldUntil', patch.heldUntil));
      }
      const row = await exec.get(
        `UPDATE prepay_accounts SET ${sets.join(', ')} WHERE id = ? AND version = ? RETURNING ${accountCols}`,
        [...params, id, expectedVersion],
      );
      if (row) return toAccount(row);
      const current = await getAccount(id);
      if (!current) throw notFound('prepayment account', { accountId: id });
      throw new StorageError(
        StorageErrorCode.Conflict,
        `prepayment account ${id} is at version ${current.version}, not ${expectedVersion}`,
        { detail: { reason: 'STORAGE_PREPAY_VERSION', accountId: id, current: current.version } },
      );
    },
  };
}
