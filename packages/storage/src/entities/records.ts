import {
  type AuditEntry,
  type AuditStore,
  type CollectionOutcome,
  CollectionStatus,
  type CollectionStore,
  type EventStore,
  type ListOrder,
  type MeterEvent,
  type NewAuditEntry,
  type NewMeterEvent,
  normalizeObis,
  pageLimit,
  validateEnum,
  validateEvent,
  validateId,
  validateInstant,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { bytes, num, parseJson, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';
import { eventStoredRow, type OutboxRow, writeOutbox } from './outbox.ts';

async function checkMeters(ctx: EntityContext, ids: readonly number[]): Promise<void> {
  const unique = [...new Set(ids)];
  const rows = await ctx.exec.all<{ id: unknown }>(
    `SELECT id FROM meters WHERE ${ctx.exec.dialect.inIds('id', '?')}`,
    [JSON.stringify(unique)],
  );
  if (rows.length === unique.length) return;
  const found = new Set(rows.map((r) => num(r.id)));
  throw notFound('meter', { meterId: unique.find((id) => !found.has(id)) });
}

/** How a time-ordered list is walked: `asc` (default) oldest first, `desc` newest first. */
interface OrderPlan {
  sql: 'ASC' | 'DESC';
  /** Comparison of a row's key with the cursor's: rows after it in this order. */
  cmp: '>' | '<';
  /** The cursor key of an item: [time, id], plus a marker for `desc` (a cursor keeps its order). */
  key(k: readonly [number, number]): number[];
}

function listOrder(order: ListOrder | undefined): OrderPlan {
  if (order !== undefined && order !== 'asc' && order !== 'desc') {
    throw new StorageError(StorageErrorCode.InvalidInput, `order must be asc or desc, got ${String(order)}`, {
      detail: { field: 'order' },
    });
  }
  return order === 'desc'
    ? { sql: 'DESC', cmp: '<', key: ([t, id]) => [t, id, 1] }
    : { sql: 'ASC', cmp: '>', key: ([t, id]) => [t, id] };
}

/** The [time, id] a cursor continues after; a cursor of the other order is refused. */
function cursorAfter(cursor: string | null | undefined, o: OrderPlan): number[] | null {
  const arity = o.sql === 'DESC' ? 3 : 2;
  let key: number[] | null;
  try {
    key = cursorNumbers(cursor, arity);
  } catch (e) {
    let other: number[] | null = null;
    try {
      other = cursorNumbers(cursor, arity === 3 ? 2 : 3);
    } catch {
      throw e;
    }
    if (other !== null) {
      throw new StorageError(
        StorageErrorCode.InvalidInput,
        `the cursor was issued for order ${arity === 3 ? 'asc' : 'desc'}; use the same order to continue`,
        { detail: { reason: 'STORAGE_BAD_CURSOR', field: 'cursor' } },
      );
    }
    throw e;
  }
  return key === null ? null : [key[0]!, key[1]!];
}

export function createEventStore(ctx: EntityContext): EventStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, meter_id, ${d.ms('ts')} AS ts, ${d.ms('meter_time')} AS meter_time, log, code, category, raw,
    ${d.ms('received_at')} AS received_at`;
  const toEvent = (r: Row): MeterEvent => ({
    id: num(r.id),
    meterId: num(r.meter_id),
    ts: num(r.ts),
    meterTime: num(r.meter_time),
    log: r.log as string,
    code: num(r.code),
    category: r.category as MeterEvent['category'],
    raw: bytes(r.raw),
    receivedAt: num(r.received_at),
  });
  return {
    async append(events: readonly NewMeterEvent[]) {
      checked(() => {
        for (const [i, e] of events.entries()) validateEvent(e, i);
      });
      if (events.length === 0) return { inserted: 0, duplicates: 0 };
      await checkMeters(
        ctx,
        events.map((e) => e.meterId),
      );
      await ctx.ensurePeriods(
        'events',
        events.map((e) => e.ts),
      );
      const now = ctx.clock.now();
      const inserted = await exec.tx(async (tx) => {
        // Each event stored (not a duplicate) is announced in the same transaction.
        const announce: OutboxRow[] = [];
        for (const e of events) {
          const log = normalizeObis('log', e.log);
          const row = await tx.get<{ id: unknown }>(
            `INSERT INTO events (meter_id, ts, meter_time, log, code, category, raw, received_at)
             VALUES (?, ${d.t('?')}, ${d.t('?')}, ?, ?, ?, ?, ${d.t('?')})
             ON CONFLICT (meter_id, log, ts, code) DO NOTHING RETURNING id`,
            [
              e.meterId,
              e.ts,
              e.meterTime,
              log,
              e.code,
              e.category,
              e.raw === null ? null : Buffer.from(e.raw),
              now,
            ],
          );
          if (row === undefined) continue;
          announce.push(
            eventStoredRow(
              { eventId: num(row.id), meterId: e.meterId, ts: e.ts, log, code: e.code, category: e.category },
              now,
            ),
          );
        }
        await writeOutbox(ctx, tx, announce);
        return announce.length;
      });
      return { inserted, duplicates: events.length - inserted };
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.meterId !== undefined) {
        where.push('meter_id = ?');
        params.push(q.meterId);
      }
      if (q.category !== undefined) {
        where.push('category = ?');
        params.push(q.category);
      }
      if (q.from !== undefined) {
        where.push(`ts >= ${d.t('?')}`);
        params.push(q.from);
      }
      if (q.to !== undefined) {
        where.push(`ts < ${d.t('?')}`);
        params.push(q.to);
      }
      const o = listOrder(q.order);
      const after = cursorAfter(q.cursor, o);
      if (after) {
        where.push(`(ts ${o.cmp} ${d.t('?')} OR (ts = ${d.t('?')} AND id ${o.cmp} ?))`);
        params.push(after[0], after[0], after[1]);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ts ${o.sql}, id ${o.sql} LIMIT ?`,
        params,
      );
      return pageOf(rows.map(toEvent), limit, (e) => o.key([e.ts, e.id]));
    },
  };
}

export function createCollectionStore(ctx: EntityContext): CollectionStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, meter_id, task_id, ${d.ms('started_at')} AS started_at, ${d.ms('finished_at')} AS finished_at,
    status, error_code, readings_stored, attempt`;
  return {
    async record(o: CollectionOutcome) {
      checked(() => {
        validateId('meterId', o.meterId);
        validateText('taskId', o.taskId, 128);
        validateInstant('startedAt', o.startedAt);
        validateInstant('finishedAt', o.finishedAt);
        validateEnum('status', CollectionStatus, o.status);
      });
      await checkMeters(ctx, [o.meterId]);
      await ctx.ensurePeriods('collection', [o.startedAt]);
      await exec.run(
        `INSERT INTO collection_outcomes (meter_id, task_id, started_at, finished_at, status, error_code,
           readings_stored, attempt) VALUES (?, ?, ${d.t('?')}, ${d.t('?')}, ?, ?, ?, ?)`,
        [o.meterId, o.taskId, o.startedAt, o.finishedAt, o.status, o.errorCode, o.readingsStored, o.attempt],
      );
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const o = listOrder(q.order);
      const after = cursorAfter(q.cursor, o);
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [col, v] of [
        ['meter_id', q.meterId],
        ['task_id', q.taskId],
        ['status', q.status],
      ] as const) {
        if (v === undefined) continue;
        where.push(`${col} = ?`);
        params.push(v);
      }
      if (q.from !== undefined) {
        where.push(`started_at >= ${d.t('?')}`);
        params.push(q.from);
      }
      if (q.to !== undefined) {
        where.push(`started_at < ${d.t('?')}`);
        params.push(q.to);
      }
      if (after) {
        where.push(`(started_at ${o.cmp} ${d.t('?')} OR (started_at = ${d.t('?')} AND id ${o.cmp} ?))`);
        params.push(after[0], after[0], after[1]);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM collection_outcomes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY started_at ${o.sql}, id ${o.sql} LIMIT ?`,
        params,
      );
      const items = rows.map((r) => ({
        key: o.key([num(r.started_at), num(r.id)]),
        outcome: {
          meterId: num(r.meter_id),
          taskId: r.task_id as string,
          startedAt: num(r.started_at),
          finishedAt: num(r.finished_at),
          status: r.status as CollectionOutcome['status'],
          errorCode: (r.error_code as string | null) ?? null,
          readingsStored: num(r.readings_stored),
          attempt: num(r.attempt),
        },
      }));
      const page = pageOf(items, limit, (i) => i.key);
      return { items: page.items.map((i) => i.outcome), nextCursor: page.nextCursor };
    },
  };
}

export function createAuditStore(ctx: EntityContext): AuditStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, ${d.ms('at')} AS at, actor, action, target, outcome, detail`;
  const toEntry = (r: Row): AuditEntry => ({
    id: num(r.id),
    at: num(r.at),
    actor: r.actor as string,
    action: r.action as string,
    target: r.target as string,
    outcome: r.outcome as AuditEntry['outcome'],
    detail: r.detail === null ? null : parseJson(r.detail),
  });
  return {
    async append(e: NewAuditEntry) {
      checked(() => {
        validateText('actor', e.actor, 256);
        validateText('action', e.action, 128);
        validateText('target', e.target, 256);
        validateEnum('outcome', { a: 'allowed', d: 'denied', f: 'failed', s: 'succeeded' }, e.outcome);
      });
      const row = await exec.get(
        `INSERT INTO audit_log (at, actor, action, target, outcome, detail)
         VALUES (${d.t('?')}, ?, ?, ?, ?, ${d.json('?')}) RETURNING ${cols}`,
        [
          ctx.clock.now(),
          e.actor,
          e.action,
          e.target,
          e.outcome,
          e.detail === null ? null : JSON.stringify(e.detail),
        ],
      );
      return toEntry(row as Row);
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const after = cursorNumbers(q.cursor, 1)?.[0] ?? 0;
      const where = ['id > ?'];
      const params: unknown[] = [after];
      if (q.actor !== undefined) {
        where.push('actor = ?');
        params.push(q.actor);
      }
      if (q.target !== undefined) {
        where.push('target = ?');
        params.push(q.target);
      }
      if (q.from !== undefined) {
        where.push(`at >= ${d.t('?')}`);
        params.push(q.from);
      }
      if (q.to !== undefined) {
        where.push(`at < ${d.t('?')}`);
        params.push(q.to);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
        params,
      );
      return pageOf(rows.map(toEntry), limit, (e) => [e.id]);
    },
  };
}
