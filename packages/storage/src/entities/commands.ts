import {
  type Command,
  CommandKind,
  type CommandState,
  type CommandStore,
  type CommandTransition,
  canTransitionCommand,
  type NewCommand,
  pageLimit,
  validateEnum,
  validateId,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { num, parseJson, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';
import { commandChangedRow, writeOutbox } from './outbox.ts';

export function createCommandStore(ctx: EntityContext): CommandStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, kind, meter_id, parameters, requested_by, state, history, ${d.ms('created_at')} AS created_at,
    ${d.ms('updated_at')} AS updated_at`;
  const toCommand = (r: Row): Command => ({
    id: num(r.id),
    kind: r.kind as Command['kind'],
    meterId: num(r.meter_id),
    parameters: parseJson(r.parameters),
    requestedBy: r.requested_by as string,
    state: r.state as CommandState,
    history: parseJson(r.history),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  });

  const store: CommandStore = {
    async create(c: NewCommand) {
      checked(() => {
        validateEnum('kind', CommandKind, c.kind);
        validateId('meterId', c.meterId);
        validateText('requestedBy', c.requestedBy, 256);
      });
      const meter = await exec.get('SELECT id FROM meters WHERE id = ?', [c.meterId]);
      if (!meter) throw notFound('meter', { meterId: c.meterId });
      const now = ctx.clock.now();
      const history: CommandTransition[] = [{ state: 'queued', at: now, by: c.requestedBy, detail: null }];
      const row = await exec.get(
        `INSERT INTO commands (kind, meter_id, parameters, requested_by, state, history, created_at, updated_at)
         VALUES (?, ?, ${d.json('?')}, ?, 'queued', ${d.json('?')}, ${d.t('?')}, ${d.t('?')}) RETURNING ${cols}`,
        [c.kind, c.meterId, JSON.stringify(c.parameters), c.requestedBy, JSON.stringify(history), now, now],
      );
      return toCommand(row as Row);
    },

    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM commands WHERE id = ?`, [id]);
      return row ? toCommand(row) : null;
    },

    async transition(id, from, to, by, detail = null) {
      if (!canTransitionCommand(from, to)) {
        throw new StorageError(StorageErrorCode.InvalidInput, `no transition from ${from} to ${to}`, {
          detail: { reason: 'STORAGE_INVALID_TRANSITION', from, to },
        });
      }
      return exec.tx(async (tx) => {
        const cur = await tx.get(`SELECT ${cols} FROM commands WHERE id = ?`, [id]);
        if (!cur) throw notFound('command', { commandId: id });
        const command = toCommand(cur);
        if (command.state !== from) {
          throw new StorageError(
            StorageErrorCode.Conflict,
            `command ${id} is ${command.state}, not ${from}`,
            {
              detail: { reason: 'STORAGE_STATE_CHANGED', actual: command.state },
            },
          );
        }
        const now = ctx.clock.now();
        const history = [...command.history, { state: to, at: now, by, detail }];
        const n = await tx.run(
          `UPDATE commands SET state = ?, history = ${d.json('?')}, updated_at = ${d.t('?')}
           WHERE id = ? AND state = ?`,
          [to, JSON.stringify(history), now, id, from],
        );
        if (n !== 1) {
          throw new StorageError(StorageErrorCode.Conflict, `command ${id} changed concurrently`, {
            detail: { reason: 'STORAGE_STATE_CHANGED' },
          });
        }
        const changed: Command = { ...command, state: to, history, updatedAt: now };
        await writeOutbox(ctx, tx, [commandChangedRow(changed, from, by, detail, history.length - 1, now)]);
        return changed;
      });
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const after = cursorNumbers(q.cursor, 1)?.[0] ?? 0;
      const where = ['id > ?'];
      const params: unknown[] = [after];
      for (const [col, v] of [
        ['meter_id', q.meterId],
        ['state', q.state],
        ['kind', q.kind],
      ] as const) {
        if (v === undefined) continue;
        where.push(`${col} = ?`);
        params.push(v);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM commands WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
        params,
      );
      return pageOf(rows.map(toCommand), limit, (c) => [c.id]);
    },
  };
  return store;
}
