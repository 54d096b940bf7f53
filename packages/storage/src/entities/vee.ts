import {
  type NewVeeEdit,
  type NewVeeException,
  type NewVeeLock,
  pageLimit,
  type TimelinessFigures,
  type TimelinessQuery,
  type VeeChannelRunWrite,
  type VeeDayQuery,
  type VeeDaySummary,
  type VeeEdit,
  type VeeException,
  type VeeExceptionQuery,
  type VeeLock,
  VeeResolution,
  VeeRule,
  type VeeStore,
  validateEnum,
  validateId,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { decodeCursor, pageOf } from '../sql/cursor.ts';
import { num, numOrNull, type Row, type SqlExec } from '../sql/exec.ts';
import { checked, checkRange, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function invalid(field: string, message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, message, {
    detail: { reason: 'CORE_INVALID_VALUE', field },
  });
}

function checkDay(field: string, v: unknown): string {
  if (typeof v !== 'string' || !DAY_RE.test(v)) throw invalid(field, `${field} must be a day YYYY-MM-DD`);
  return v;
}

function checkCount(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw invalid(field, `${field} must be a non-negative integer`);
  }
  return v as number;
}

function checkTs(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) throw invalid(field, `${field} must be an integer instant (epoch ms)`);
  return v as number;
}

function checkException(e: NewVeeException, i: number): void {
  const f = `exceptions[${i}]`;
  checked(() => {
    validateId(`${f}.meterId`, e.meterId);
    validateId(`${f}.channelId`, e.channelId);
    validateEnum(`${f}.rule`, VeeRule, e.rule);
    validateText(`${f}.groupId`, e.groupId, 64);
    validateText(`${f}.qualityCode`, e.qualityCode, 32);
  });
  checkTs(`${f}.from`, e.from);
  checkTs(`${f}.to`, e.to);
  if (e.to < e.from) throw invalid(`${f}.to`, `${f}.to must not be before ${f}.from`);
  checkDay(`${f}.day`, e.day);
}

export function createVeeStore(ctx: EntityContext): VeeStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const greatest = d.name === 'sqlite' ? 'max' : 'greatest';
  const excCols = `id, meter_id, channel_id, rule, ${d.ms('ts_from')} AS ts_from, ${d.ms('ts_to')} AS ts_to, day,
    group_id, quality_code, detail, status, resolution, note, resolved_by, ${d.ms('resolved_at')} AS resolved_at,
    ${d.ms('created_at')} AS created_at, ${d.ms('updated_at')} AS updated_at`;
  const toException = (r: Row): VeeException => ({
    id: num(r.id),
    meterId: num(r.meter_id),
    channelId: num(r.channel_id),
    rule: r.rule as VeeRule,
    from: num(r.ts_from),
    to: num(r.ts_to),
    day: r.day as string,
    groupId: r.group_id as string,
    qualityCode: r.quality_code as string,
    detail: r.detail === null || r.detail === undefined ? null : d.fromJson(r.detail),
    status: r.status as VeeException['status'],
    resolution: (r.resolution as VeeResolution | null) ?? null,
    note: (r.note as string | null) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    resolvedAt: numOrNull(r.resolved_at),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  });
  const dayCols = `channel_id, day, meter_id, group_id, ${d.ms('day_start')} AS day_start,
    ${d.ms('day_end')} AS day_end, expected, actual, estimated, edited, missing, suspect, exceptions, validated,
    validated_d1, validated_d2, validated_final, ${d.ms('first_run_at')} AS first_run_at,
    ${d.ms('last_run_at')} AS last_run_at`;
  const toDay = (r: Row): VeeDaySummary => ({
    meterId: num(r.meter_id),
    channelId: num(r.channel_id),
    groupId: r.group_id as string,
    day: r.day as string,
    dayStart: num(r.day_start),
    dayEnd: num(r.day_end),
    expected: num(r.expected),
    actual: num(r.actual),
    estimated: num(r.estimated),
    edited: num(r.edited),
    missing: num(r.missing),
    suspect: num(r.suspect),
    exceptions: num(r.exceptions),
    validated: num(r.validated),
    validatedByDay1: num(r.validated_d1),
    validatedByDay2: num(r.validated_d2),
    validatedByFinal: num(r.validated_final),
    firstRunAt: num(r.first_run_at),
    lastRunAt: num(r.last_run_at),
  });
  const editCols = `id, meter_id, channel_id, ${d.ms('ts')} AS ts, old_value, new_value, version, reason, actor,
    ${d.ms('at')} AS at`;
  const toEdit = (r: Row): VeeEdit => ({
    id: num(r.id),
    meterId: num(r.meter_id),
    channelId: num(r.channel_id),
    ts: num(r.ts),
    oldValue: numOrNull(r.old_value),
    newValue: num(r.new_value),
    version: num(r.version),
    reason: r.reason as string,
    actor: r.actor as string,
    at: num(r.at),
  });
  const lockCols = `id, channel_id, ${d.ms('ts_from')} AS ts_from, ${d.ms('ts_to')} AS ts_to, label, locked_by,
    ${d.ms('locked_at')} AS locked_at`;
  const toLock = (r: Row): VeeLock => ({
    id: num(r.id),
    channelId: num(r.channel_id),
    from: num(r.ts_from),
    to: num(r.ts_to),
    label: r.label as string,
    lockedBy: r.locked_by as string,
    lockedAt: num(r.locked_at),
  });

  async function channelMeter(tx: SqlExec, channelId: number): Promise<number> {
    const row = await tx.get<{ meter_id: unknown }>('SELECT meter_id FROM channels WHERE id = ?', [
      channelId,
    ]);
    if (!row) throw notFound('channel', { channelId });
    return num(row.meter_id);
  }

  async function insertExceptions(tx: SqlExec, rows: readonly NewVeeException[], now: number): Promise<void> {
    const CHUNK = 200;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      const values: string[] = [];
      const params: unknown[] = [];
      for (const e of part) {
        values.push(
          `(?, ?, ?, ${d.t('?')}, ${d.t('?')}, ?, ?, ?, ${d.json('?')}, 'open', ${d.t('?')}, ${d.t('?')})`,
        );
        params.push(
          e.meterId,
          e.channelId,
          e.rule,
          e.from,
          e.to,
          e.day,
          e.groupId,
          e.qualityCode,
          e.detail === null ? null : JSON.stringify(e.detail),
          now,
          now,
        );
      }
      await tx.run(
        `INSERT INTO vee_exceptions (meter_id, channel_id, rule, ts_from, ts_to, day, group_id, quality_code, detail,
           status, created_at, updated_at) VALUES ${values.join(', ')}
         ON CONFLICT (channel_id, ts_from, rule) DO UPDATE SET ts_to = excluded.ts_to, day = excluded.day,
           group_id = excluded.group_id, quality_code = excluded.quality_code, detail = excluded.detail,
           updated_at = excluded.updated_at`,
        params,
      );
    }
  }

  return {
    async saveRun(run: VeeChannelRunWrite) {
      const channelId = checked(() => validateId('channelId', run.channelId));
      checkRange(run.from, run.to);
      checkCount('finalDays', run.finalDays);
      run.exceptions.forEach(checkException);
      run.days.forEach((day, i) => {
        checkDay(`days[${i}].day`, day.day);
        checkTs(`days[${i}].dayStart`, day.dayStart);
        checkTs(`days[${i}].dayEnd`, day.dayEnd);
        for (const k of [
          'expected',
          'actual',
          'estimated',
          'edited',
          'missing',
          'suspect',
          'exceptions',
          'validated',
        ] as const) {
          checkCount(`days[${i}].${k}`, day[k]);
        }
        if (day.channelId !== channelId) throw invalid(`days[${i}].channelId`, 'a run covers one channel');
      });
      const dayKeys = new Set(run.days.map((x) => x.day));
      if (dayKeys.size !== run.days.length) throw invalid('days', 'a run lists each day once');
      run.exceptions.forEach((e, i) => {
        if (e.channelId !== channelId)
          throw invalid(`exceptions[${i}].channelId`, 'a run covers one channel');
      });
      if (run.exceptions.length === 0 && run.days.length === 0) {
        // Nothing found and no days (a register's run, mostly): the run clears the open
        // findings of its range, one statement, no transaction to open.
        const cleared = await exec.run(
          `DELETE FROM vee_exceptions WHERE channel_id = ? AND ts_from >= ${d.t('?')} AND ts_from < ${d.t('?')}
           AND status = 'open'`,
          [channelId, run.from, run.to],
        );
        if (cleared === 0) await channelMeter(exec, channelId);
        return { opened: 0, kept: 0, cleared };
      }
      const now = ctx.clock.now();
      return exec.tx(async (tx) => {
        // The channel's meter and the range's findings in one round trip (a row with null
        // finding columns when there is none; no row for an unknown channel).
        const existing = await tx.all(
          `SELECT c.meter_id, e.id, e.rule, ${d.ms('e.ts_from')} AS ts_from, e.status FROM channels c
           LEFT JOIN vee_exceptions e ON e.channel_id = c.id AND e.ts_from >= ${d.t('?')} AND e.ts_from < ${d.t('?')}
           WHERE c.id = ?`,
          [run.from, run.to, channelId],
        );
        if (existing.length === 0) throw notFound('channel', { channelId });
        const meterId = num(existing[0]!.meter_id);
        const byKey = new Map<string, { id: number; status: string }>();
        for (const r of existing) {
          if (r.id === null || r.id === undefined) continue;
          byKey.set(`${num(r.ts_from)}|${r.rule}`, { id: num(r.id), status: String(r.status) });
        }
        const fresh: NewVeeException[] = [];
        const again: NewVeeException[] = [];
        const seen = new Set<string>();
        let kept = 0;
        for (const e of run.exceptions) {
          if (e.meterId !== meterId)
            throw invalid('meterId', `channel ${channelId} belongs to meter ${meterId}`);
          const key = `${e.from}|${e.rule}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const old = byKey.get(key);
          if (old === undefined) {
            fresh.push(e);
          } else {
            // Kept: updated in place by the upsert below (same key; status and id stay).
            kept++;
            again.push(e);
          }
        }
        const gone = [...byKey.entries()]
          .filter(([k, v]) => !seen.has(k) && v.status === 'open')
          .map(([, v]) => v.id);
        if (gone.length > 0) {
          await tx.run(`DELETE FROM vee_exceptions WHERE ${d.inIds('id', '?')}`, [JSON.stringify(gone)]);
        }
        await insertExceptions(tx, fresh.length === 0 ? again : again.concat(fresh), now);
        const CHUNK = 40;
        for (let k = 0; k < run.days.length; k += CHUNK) {
          const part = run.days.slice(k, k + CHUNK);
          const t = d.t('?');
          const row = `(?, ?, ?, ?, ${t}, ${t}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${t}, ${t})`;
          const params: unknown[] = [];
          for (const day of part) {
            const v = day.validated;
            const by = (n: number) => (now <= day.dayEnd + n * DAY_MS ? v : 0);
            params.push(
              channelId,
              day.day,
              meterId,
              day.groupId,
              day.dayStart,
              day.dayEnd,
              day.expected,
              day.actual,
              day.estimated,
              day.edited,
              day.missing,
              day.suspect,
              day.exceptions,
              v,
              by(1),
              by(2),
              by(run.finalDays),
              now,
              now,
            );
          }
          await tx.run(
            `INSERT INTO vee_days (channel_id, day, meter_id, group_id, day_start, day_end, expected, actual, estimated,
               edited, missing, suspect, exceptions, validated, validated_d1, validated_d2, validated_final,
               first_run_at, last_run_at)
             VALUES ${part.map(() => row).join(', ')}
             ON CONFLICT (channel_id, day) DO UPDATE SET group_id = excluded.group_id,
               day_start = excluded.day_start, day_end = excluded.day_end, expected = excluded.expected,
               actual = excluded.actual, estimated = excluded.estimated, edited = excluded.edited,
               missing = excluded.missing, suspect = excluded.suspect, exceptions = excluded.exceptions,
               validated = excluded.validated,
               validated_d1 = ${greatest}(vee_days.validated_d1, excluded.validated_d1),
               validated_d2 = ${greatest}(vee_days.validated_d2, excluded.validated_d2),
               validated_final = ${greatest}(vee_days.validated_final, excluded.validated_final),
               last_run_at = excluded.last_run_at`,
            params,
          );
        }
        return { opened: fresh.length, kept, cleared: gone.length };
      });
    },

    async exception(id) {
      if (!Number.isSafeInteger(id)) return null;
      const row = await exec.get(`SELECT ${excCols} FROM vee_exceptions WHERE id = ?`, [id]);
      return row ? toException(row) : null;
    },

    async exceptions(q: VeeExceptionQuery) {
      const limit = checked(() => pageLimit(q.limit));
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.meterId !== undefined) {
        where.push('meter_id = ?');
        params.push(checked(() => validateId('meterId', q.meterId)));
      }
      if (q.channelId !== undefined) {
        where.push('channel_id = ?');
        params.push(checked(() => validateId('channelId', q.channelId)));
      }
      if (q.rule !== undefined) {
        where.push('rule = ?');
        params.push(checked(() => validateEnum('rule', VeeRule, q.rule)));
      }
      if (q.status !== undefined) {
        if (q.status !== 'open' && q.status !== 'resolved')
          throw invalid('status', 'status must be open or resolved');
        where.push('status = ?');
        params.push(q.status);
      }
      if (q.groupId !== undefined) {
        where.push('group_id = ?');
        params.push(q.groupId);
      }
      if (q.from !== undefined) {
        where.push(`ts_from >= ${d.t('?')}`);
        params.push(checkTs('from', q.from));
      }
      if (q.to !== undefined) {
        where.push(`ts_from < ${d.t('?')}`);
        params.push(checkTs('to', q.to));
      }
      const after = decodeCursor(q.cursor, 1);
      if (after !== null) {
        if (typeof after[0] !== 'number') throw invalid('cursor', 'malformed page cursor');
        where.push('id > ?');
        params.push(after[0]);
      }
      const rows = await exec.all(
        `SELECT ${excCols} FROM vee_exceptions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id LIMIT ?`,
        [...params, limit + 1],
      );
      return pageOf(rows.map(toException), limit, (e) => [e.id]);
    },

    async resolve(id, resolution, by, note) {
      const v = checked(() => ({
        id: validateId('id', id),
        resolution: validateEnum('resolution', VeeResolution, resolution),
        by: validateText('by', by, 128),
        note: note === undefined || note === null ? null : validateText('note', note, 1000, true),
      }));
      const now = ctx.clock.now();
      return exec.tx(async (tx) => {
        const row = await tx.get(`SELECT status FROM vee_exceptions WHERE id = ?`, [v.id]);
        if (!row) throw notFound('vee exception', { exceptionId: v.id });
        if (row.status !== 'open') {
          throw new StorageError(StorageErrorCode.Conflict, `exception ${v.id} is already resolved`, {
            detail: { reason: 'STORAGE_VEE_ALREADY_RESOLVED', exceptionId: v.id },
          });
        }
        const out = await tx.get(
          `UPDATE vee_exceptions SET status = 'resolved', resolution = ?, note = ?, resolved_by = ?,
             resolved_at = ${d.t('?')}, updated_at = ${d.t('?')} WHERE id = ? RETURNING ${excCols}`,
          [v.resolution, v.note, v.by, now, now, v.id],
        );
        return toException(out as Row);
      });
    },

    async days(q: VeeDayQuery) {
      const limit = checked(() => pageLimit(q.limit));
      const where = ['day >= ?', 'day < ?'];
      const params: unknown[] = [checkDay('fromDay', q.fromDay), checkDay('toDay', q.toDay)];
      if (q.meterId !== undefined) {
        where.push('meter_id = ?');
        params.push(checked(() => validateId('meterId', q.meterId)));
      }
      if (q.channelId !== undefined) {
        where.push('channel_id = ?');
        params.push(checked(() => validateId('channelId', q.channelId)));
      }
      if (q.groupId !== undefined) {
        where.push('group_id = ?');
        params.push(q.groupId);
      }
      const after = decodeCursor(q.cursor, 2);
      if (after !== null) {
        if (typeof after[0] !== 'string' || typeof after[1] !== 'number') {
          throw invalid('cursor', 'malformed page cursor');
        }
        where.push('(day > ? OR (day = ? AND channel_id > ?))');
        params.push(after[0], after[0], after[1]);
      }
      const rows = await exec.all(
        `SELECT ${dayCols} FROM vee_days WHERE ${where.join(' AND ')} ORDER BY day, channel_id LIMIT ?`,
        [...params, limit + 1],
      );
      return pageOf(rows.map(toDay), limit, (s) => [s.day, s.channelId]);
    },

    async timeliness(q: TimelinessQuery) {
      const fromDay = checkDay('fromDay', q.fromDay);
      const toDay = checkDay('toDay', q.toDay);
      const agg = `count(DISTINCT day) AS days, count(DISTINCT channel_id) AS channels, sum(expected) AS expected,
        sum(validated_d1) AS d1, sum(validated_d2) AS d2, sum(validated_final) AS fin`;
      const figure = (groupId: string | null, r: Row | undefined): TimelinessFigures => {
        const expected = num(r?.expected ?? 0);
        const d1 = num(r?.d1 ?? 0);
        const d2 = num(r?.d2 ?? 0);
        const fin = num(r?.fin ?? 0);
        const share = (n: number) => (expected > 0 ? n / expected : null);
        return {
          groupId,
          fromDay,
          toDay,
          days: num(r?.days ?? 0),
          channels: num(r?.channels ?? 0),
          expected,
          validatedByDay1: d1,
          validatedByDay2: d2,
          validatedByFinal: fin,
          shareByDay1: share(d1),
          shareByDay2: share(d2),
          shareByFinal: share(fin),
        };
      };
      if (q.groupId !== undefined) {
        const row = await exec.get(
          `SELECT ${agg} FROM vee_days WHERE day >= ? AND day < ? AND group_id = ?`,
          [fromDay, toDay, q.groupId],
        );
        return [figure(q.groupId, row)];
      }
      const rows = await exec.all(
        `SELECT group_id, ${agg} FROM vee_days WHERE day >= ? AND day < ? GROUP BY group_id ORDER BY group_id`,
        [fromDay, toDay],
      );
      const fleet = await exec.get(`SELECT ${agg} FROM vee_days WHERE day >= ? AND day < ?`, [
        fromDay,
        toDay,
      ]);
      return [...rows.map((r) => figure(r.group_id as string, r)), figure(null, fleet)];
    },

    async addEdit(e: NewVeeEdit) {
      const v = checked(() => ({
        channelId: validateId('channelId', e.channelId),
        reason: validateText('reason', e.reason, 500),
        actor: validateText('actor', e.actor, 128),
      }));
      checkTs('ts', e.ts);
      if (!Number.isFinite(e.newValue)) throw invalid('newValue', 'newValue must be a finite number');
      if (e.oldValue !== null && !Number.isFinite(e.oldValue))
        throw invalid('oldValue', 'oldValue must be finite');
      checkCount('version', e.version);
      const meterId = await channelMeter(exec, v.channelId);
      const row = await exec.get(
        `INSERT INTO vee_edits (meter_id, channel_id, ts, old_value, new_value, version, reason, actor, at)
         VALUES (?, ?, ${d.t('?')}, ?, ?, ?, ?, ?, ${d.t('?')}) RETURNING ${editCols}`,
        [meterId, v.channelId, e.ts, e.oldValue, e.newValue, e.version, v.reason, v.actor, ctx.clock.now()],
      );
      return toEdit(row as Row);
    },

    async edits(channelId, from, to) {
      checkRange(from, to);
      const rows = await exec.all(
        `SELECT ${editCols} FROM vee_edits WHERE channel_id = ? AND ts >= ${d.t('?')} AND ts < ${d.t('?')}
         ORDER BY ts, id`,
        [channelId, from, to],
      );
      return rows.map(toEdit);
    },

    async lock(l: NewVeeLock) {
      const v = checked(() => ({
        channelId: validateId('channelId', l.channelId),
        label: validateText('label', l.label, 128),
        lockedBy: validateText('lockedBy', l.lockedBy, 128),
      }));
      checkRange(l.from, l.to);
      await channelMeter(exec, v.channelId);
      const row = await exec.get(
        `INSERT INTO vee_locks (channel_id, ts_from, ts_to, label, locked_by, locked_at)
         VALUES (?, ${d.t('?')}, ${d.t('?')}, ?, ?, ${d.t('?')}) RETURNING ${lockCols}`,
        [v.channelId, l.from, l.to, v.label, v.lockedBy, ctx.clock.now()],
      );
      return toLock(row as Row);
    },

    async locks(channelId, from, to) {
      checkRange(from, to);
      const rows = await exec.all(
        `SELECT ${lockCols} FROM vee_locks WHERE channel_id = ? AND ts_from <= ${d.t('?')} AND ts_to >= ${d.t('?')}
         ORDER BY ts_from, id`,
        [channelId, to, from],
      );
      return rows.map(toLock);
    },
  };
}
