import {
  type ApiToken,
  type ApiTokenStore,
  type CounterKey,
  type InvocationCounterStore,
  type KeyStore,
  type NewWrappedKey,
  pageLimit,
  Role,
  type User,
  type UserStore,
  validateEnum,
  validateId,
  validateText,
  type WrappedKey,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { bytes, num, numOrNull, parseJson, type Row, type SqlExec } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import { badInput } from './commands.ts';
import type { EntityContext } from './context.ts';

export function createUserStore(ctx: EntityContext): UserStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, name, display_name, role, password_hash, approver, disabled, ${d.ms('created_at')} AS created_at`;
  const toUser = (r: Row): User => ({
    id: num(r.id),
    name: r.name as string,
    displayName: r.display_name as string,
    role: r.role as User['role'],
    passwordHash: (r.password_hash as string | null) ?? null,
    approver: Boolean(r.approver),
    disabled: Boolean(r.disabled),
    createdAt: num(r.created_at),
  });
  async function set(col: 'disabled' | 'role' | 'approver' | 'password_hash', value: unknown, id: number) {
    const row = await exec.get(`UPDATE users SET ${col} = ? WHERE id = ? RETURNING ${cols}`, [value, id]);
    if (!row) throw notFound('user', { userId: id });
    return toUser(row);
  }
  const store: UserStore = {
    async create(u) {
      checked(() => {
        validateText('name', u.name, 128);
        validateText('displayName', u.displayName, 256);
        validateEnum('role', Role, u.role);
        if (u.passwordHash !== null) validateText('passwordHash', u.passwordHash, 1024);
      });
      if (u.approver !== undefined && typeof u.approver !== 'boolean') {
        throw badInput('approver', 'must be a boolean');
      }
      const row = await exec.get(
        `INSERT INTO users (name, display_name, role, password_hash, approver, disabled, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ${d.t('?')}) RETURNING ${cols}`,
        [
          u.name,
          u.displayName,
          u.role,
          u.passwordHash,
          d.bool(u.approver ?? false),
          d.bool(false),
          ctx.clock.now(),
        ],
      );
      return toUser(row as Row);
    },
    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM users WHERE id = ?`, [id]);
      return row ? toUser(row) : null;
    },
    async getByName(name) {
      const row = await exec.get(`SELECT ${cols} FROM users WHERE name = ?`, [name]);
      return row ? toUser(row) : null;
    },
    async setDisabled(id, disabled) {
      return set('disabled', d.bool(disabled), id);
    },
    async setRole(id, role) {
      checked(() => validateEnum('role', Role, role));
      return set('role', role, id);
    },
    async setApprover(id, approver) {
      if (typeof approver !== 'boolean') {
        throw badInput('approver', 'must be a boolean');
      }
      return set('approver', d.bool(approver), id);
    },
    async setPasswordHash(id, passwordHash) {
      checked(() => validateText('passwordHash', passwordHash, 1024));
      return set('password_hash', passwordHash, id);
    },
    async list(page) {
      const limit = checked(() => pageLimit(page.limit));
      const after = cursorNumbers(page.cursor, 1)?.[0] ?? 0;
      const rows = await exec.all(`SELECT ${cols} FROM users WHERE id > ? ORDER BY id LIMIT ?`, [
        after,
        limit + 1,
      ]);
      return pageOf(rows.map(toUser), limit, (u) => [u.id]);
    },
  };
  return store;
}

export function createTokenStore(ctx: EntityContext): ApiTokenStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, user_id, name, token_hash, scopes, ${d.ms('expires_at')} AS expires_at,
    ${d.ms('created_at')} AS created_at, ${d.ms('revoked_at')} AS revoked_at`;
  const toToken = (r: Row): ApiToken => ({
    id: num(r.id),
    userId: num(r.user_id),
    name: r.name as string,
    tokenHash: r.token_hash as string,
    scopes: parseJson(r.scopes),
    expiresAt: numOrNull(r.expires_at),
    createdAt: num(r.created_at),
    revokedAt: numOrNull(r.revoked_at),
  });
  return {
    async create(t) {
      checked(() => {
        validateId('userId', t.userId);
        validateText('name', t.name, 128);
        validateText('tokenHash', t.tokenHash, 512);
      });
      const user = await exec.get('SELECT id FROM users WHERE id = ?', [t.userId]);
      if (!user) throw notFound('user', { userId: t.userId });
      const row = await exec.get(
        `INSERT INTO api_tokens (user_id, name, token_hash, scopes, expires_at, created_at)
         VALUES (?, ?, ?, ${d.json('?')}, ${d.t('?')}, ${d.t('?')}) RETURNING ${cols}`,
        [t.userId, t.name, t.tokenHash, JSON.stringify(t.scopes), t.expiresAt, ctx.clock.now()],
      );
      return toToken(row as Row);
    },
    async findByHash(hash) {
      const row = await exec.get(`SELECT ${cols} FROM api_tokens WHERE token_hash = ?`, [hash]);
      return row ? toToken(row) : null;
    },
    async revoke(id) {
      const n = await exec.run(
        `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ${d.t('?')}) WHERE id = ?`,
        [ctx.clock.now(), id],
      );
      if (n === 0) throw notFound('token', { tokenId: id });
    },
    async forUser(userId, page) {
      const limit = checked(() => pageLimit(page.limit));
      const after = cursorNumbers(page.cursor, 1)?.[0] ?? 0;
      const rows = await exec.all(
        `SELECT ${cols} FROM api_tokens WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`,
        [userId, after, limit + 1],
      );
      return pageOf(rows.map(toToken), limit, (t) => [t.id]);
    },
  };
}

function checkNewKey(k: NewWrappedKey): void {
  checked(() => {
    validateId('meterId', k.meterId);
    validateText('kekId', k.kekId, 128);
    validateText('purpose', k.purpose, 32);
  });
  if (!(k.wrapped instanceof Uint8Array) || k.wrapped.length === 0) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'wrapped key must be non-empty bytes', {
      detail: { reason: 'STORAGE_BAD_KEY' },
    });
  }
}

export function createKeyStore(ctx: EntityContext): KeyStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `meter_id, purpose, version, kek_id, wrapped, ${d.ms('created_at')} AS created_at`;
  const toKey = (r: Row): WrappedKey => ({
    meterId: num(r.meter_id),
    purpose: r.purpose as WrappedKey['purpose'],
    version: num(r.version),
    kekId: r.kek_id as string,
    wrapped: bytes(r.wrapped) as Uint8Array,
    createdAt: num(r.created_at),
  });
  /**
   * The pending key of a meter and purpose, numbered with the version it gets when promoted
   * (one above the current).
   */
  async function readPending(q: SqlExec, meterId: number, purpose: string): Promise<WrappedKey | null> {
    const row = await q.get(
      `SELECT p.meter_id, p.purpose,
         coalesce((SELECT max(version) FROM meter_keys k WHERE k.meter_id = p.meter_id AND k.purpose = p.purpose), 0) + 1
           AS version,
         p.kek_id, p.wrapped, ${d.ms('p.created_at')} AS created_at
       FROM meter_keys_pending p WHERE p.meter_id = ? AND p.purpose = ?`,
      [meterId, purpose],
    );
    return row ? toKey(row) : null;
  }
  return {
    async put(k: NewWrappedKey) {
      checkNewKey(k);
      return exec.tx(async (tx) => {
        const meter = await tx.get('SELECT id FROM meters WHERE id = ?', [k.meterId]);
        if (!meter) throw notFound('meter', { meterId: k.meterId });
        const row = await tx.get(
          `INSERT INTO meter_keys (meter_id, purpose, version, kek_id, wrapped, created_at)
           SELECT ?, ?, coalesce(max(version), 0) + 1, ?, ?, ${d.t('?')} FROM meter_keys
           WHERE meter_id = ? AND purpose = ? RETURNING ${cols}`,
          [k.meterId, k.purpose, k.kekId, Buffer.from(k.wrapped), ctx.clock.now(), k.meterId, k.purpose],
        );
        return toKey(row as Row);
      });
    },
    async current(meterId, purpose) {
      const row = await exec.get(
        `SELECT ${cols} FROM meter_keys WHERE meter_id = ? AND purpose = ? ORDER BY version DESC LIMIT 1`,
        [meterId, purpose],
      );
      return row ? toKey(row) : null;
    },
    async versions(meterId, purpose) {
      const rows = await exec.all(
        `SELECT ${cols} FROM meter_keys WHERE meter_id = ? AND purpose = ? ORDER BY version`,
        [meterId, purpose],
      );
      return rows.map(toKey);
    },
    async putPending(k: NewWrappedKey) {
      checkNewKey(k);
      return exec.tx(async (tx) => {
        const meter = await tx.get('SELECT id FROM meters WHERE id = ?', [k.meterId]);
        if (!meter) throw notFound('meter', { meterId: k.meterId });
        await tx.run(
          `INSERT INTO meter_keys_pending (meter_id, purpose, kek_id, wrapped, created_at)
           VALUES (?, ?, ?, ?, ${d.t('?')})
           ON CONFLICT (meter_id, purpose) DO UPDATE SET kek_id = excluded.kek_id, wrapped = excluded.wrapped,
             created_at = excluded.created_at`,
          [k.meterId, k.purpose, k.kekId, Buffer.from(k.wrapped), ctx.clock.now()],
        );
        return (await readPending(tx, k.meterId, k.purpose)) as WrappedKey;
      });
    },
    async pending(meterId, purpose) {
      return readPending(exec, meterId, purpose);
    },
    async promote(meterId, purpose) {
      return exec.tx(async (tx) => {
        const row = await tx.get(
          `INSERT INTO meter_keys (meter_id, purpose, version, kek_id, wrapped, created_at)
           SELECT p.meter_id, p.purpose,
             coalesce((SELECT max(version) FROM meter_keys k WHERE k.meter_id = p.meter_id AND k.purpose = p.purpose), 0) + 1,
             p.kek_id, p.wrapped, ${d.t('?')}
           FROM meter_keys_pending p WHERE p.meter_id = ? AND p.purpose = ? RETURNING ${cols}`,
          [ctx.clock.now(), meterId, purpose],
        );
        if (!row) return null;
        await tx.run('DELETE FROM meter_keys_pending WHERE meter_id = ? AND purpose = ?', [meterId, purpose]);
        return toKey(row);
      });
    },
    async discardPending(meterId, purpose) {
      await exec.run('DELETE FROM meter_keys_pending WHERE meter_id = ? AND purpose = ?', [meterId, purpose]);
    },
  };
}

const MAX_COUNTER = 0xffff_ffff;

export function createCounterStore(ctx: EntityContext): InvocationCounterStore {
  const { exec } = ctx;
  const keyParams = (k: CounterKey) => [k.meterId, k.direction, k.purpose];
  async function ensureMeter(k: CounterKey): Promise<void> {
    checked(() => validateId('meterId', k.meterId));
    const meter = await exec.get('SELECT id FROM meters WHERE id = ?', [k.meterId]);
    if (!meter) throw notFound('meter', { meterId: k.meterId });
  }
  return {
    async reserve(k, count) {
      if (k.direction !== 'tx' || !Number.isInteger(count) || count < 1) {
        throw new StorageError(
          StorageErrorCode.InvalidInput,
          'reserve needs a tx counter and a positive count',
          {
            detail: { reason: 'STORAGE_BAD_COUNTER' },
          },
        );
      }
      await ensureMeter(k);
      // The stored value is the next one free: a crash after reserving only skips values.
      const row = await exec.get<{ value: unknown }>(
        `INSERT INTO invocation_counters (meter_id, direction, purpose, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (meter_id, direction, purpose) DO UPDATE SET value = invocation_counters.value + ?
         RETURNING value`,
        [...keyParams(k), count, count],
      );
      const next = num(row?.value);
      if (next - 1 > MAX_COUNTER) {
        throw new StorageError(StorageErrorCode.Conflict, 'invocation counter exhausted; change the key', {
          detail: { reason: 'STORAGE_COUNTER_EXHAUSTED' },
        });
      }
      return next - count;
    },
    async accept(k, value) {
      if (k.direction !== 'rx' || !Number.isInteger(value) || value < 0 || value > MAX_COUNTER) {
        throw new StorageError(
          StorageErrorCode.InvalidInput,
          'accept needs an rx counter and a 32-bit value',
          {
            detail: { reason: 'STORAGE_BAD_COUNTER' },
          },
        );
      }
      await ensureMeter(k);
      const n = await exec.run(
        `INSERT INTO invocation_counters (meter_id, direction, purpose, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (meter_id, direction, purpose) DO UPDATE SET value = excluded.value
         WHERE invocation_counters.value < excluded.value`,
        [...keyParams(k), value],
      );
      return n === 1;
    },
    async current(k) {
      const row = await exec.get<{ value: unknown }>(
        'SELECT value FROM invocation_counters WHERE meter_id = ? AND direction = ? AND purpose = ?',
        keyParams(k),
      );
      return row ? num(row.value) : null;
    },
    async resetReceived(k, value) {
      if (k.direction !== 'rx' || !Number.isInteger(value) || value < 0 || value > MAX_COUNTER) {
        throw new StorageError(
          StorageErrorCode.InvalidInput,
          'a reset needs an rx counter and a 32-bit value (tx counters only rise)',
          { detail: { reason: 'STORAGE_BAD_COUNTER' } },
        );
      }
      await ensureMeter(k);
      return exec.tx(async (tx) => {
        const before = await tx.get<{ value: unknown }>(
          'SELECT value FROM invocation_counters WHERE meter_id = ? AND direction = ? AND purpose = ?',
          keyParams(k),
        );
        await tx.run(
          `INSERT INTO invocation_counters (meter_id, direction, purpose, value) VALUES (?, ?, ?, ?)
           ON CONFLICT (meter_id, direction, purpose) DO UPDATE SET value = excluded.value`,
          [...keyParams(k), value],
        );
        return before ? num(before.value) : null;
      });
    },
  };
}
