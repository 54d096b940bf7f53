import {
  type MeterHealth,
  type MeterHealthStore,
  type MeterHealthUpdate,
  validateId,
  validateInstant,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { num, numOrNull, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

export function createHealthStore(ctx: EntityContext): MeterHealthStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `meter_id, failures, ${d.ms('flagged_until')} AS flagged_until,
    ${d.ms('last_success_at')} AS last_success_at, ${d.ms('last_failure_at')} AS last_failure_at, last_error,
    ${d.ms('updated_at')} AS updated_at`;
  const toHealth = (r: Row): MeterHealth => ({
    meterId: num(r.meter_id),
    failures: num(r.failures),
    flaggedUntil: numOrNull(r.flagged_until),
    lastSuccessAt: numOrNull(r.last_success_at),
    lastFailureAt: numOrNull(r.last_failure_at),
    lastError: (r.last_error as string | null) ?? null,
    updatedAt: num(r.updated_at),
  });
  const instantOrNull = (field: string, v: unknown) => (v === null ? null : validateInstant(field, v));

  return {
    async get(meterId) {
      if (!Number.isSafeInteger(meterId)) return null;
      const row = await exec.get(`SELECT ${cols} FROM meter_health WHERE meter_id = ?`, [meterId]);
      return row ? toHealth(row) : null;
    },

    async put(h: MeterHealthUpdate) {
      const v = checked(() => ({
        meterId: validateId('meterId', h.meterId),
        flaggedUntil: instantOrNull('flaggedUntil', h.flaggedUntil),
        lastSuccessAt: instantOrNull('lastSuccessAt', h.lastSuccessAt),
        lastFailureAt: instantOrNull('lastFailureAt', h.lastFailureAt),
        lastError: h.lastError === null ? null : validateText('lastError', h.lastError, 256),
      }));
      if (!Number.isSafeInteger(h.failures) || h.failures < 0) {
        throw new StorageError(StorageErrorCode.InvalidInput, 'failures must be a non-negative integer', {
          detail: { reason: 'CORE_INVALID_VALUE', field: 'failures' },
        });
      }
      const meter = await exec.get('SELECT id FROM meters WHERE id = ?', [v.meterId]);
      if (!meter) throw notFound('meter', { meterId: v.meterId });
      const row = await exec.get(
        `INSERT INTO meter_health (meter_id, failures, flagged_until, last_success_at, last_failure_at, last_error,
           updated_at) VALUES (?, ?, ${d.t('?')}, ${d.t('?')}, ${d.t('?')}, ?, ${d.t('?')})
         ON CONFLICT (meter_id) DO UPDATE SET failures = excluded.failures, flagged_until = excluded.flagged_until,
           last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at,
           last_error = excluded.last_error, updated_at = excluded.updated_at
         RETURNING ${cols}`,
        [
          v.meterId,
          h.failures,
          v.flaggedUntil,
          v.lastSuccessAt,
          v.lastFailureAt,
          v.lastError,
          ctx.clock.now(),
        ],
      );
      return toHealth(row as Row);
    },

    async flagged(now) {
      const rows = await exec.all(
        `SELECT ${cols} FROM meter_health WHERE flagged_until IS NOT NULL AND flagged_until > ${d.t('?')}
         ORDER BY meter_id`,
        [now],
      );
      return rows.map(toHealth);
    },
  };
}
