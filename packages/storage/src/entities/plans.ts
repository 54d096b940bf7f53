import {
  CoreErrorCode,
  type MeterSelector,
  type NewReadingPlan,
  type PlanStore,
  type ReadingPlan,
  ReadKind,
  ValidationError,
  validateEnum,
  validateId,
  validateText,
} from '@openhes/core';
import { num, type Row } from '../sql/exec.ts';
import { checked } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

const MAX_WINDOW_SECONDS = 7 * 86_400;

/** The plan as stored: checked, with a selector holding only the criteria given. */
function validPlan(p: NewReadingPlan): NewReadingPlan {
  return checked(() => {
    if (typeof p !== 'object' || p === null) {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'plan', 'must be an object');
    }
    const name = validateText('name', p.name, 128);
    const cron = validateText('cron', p.cron, 128).trim();
    const fields = cron.split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'cron', 'must have 5 or 6 fields');
    }
    if (!Array.isArray(p.reads) || p.reads.length === 0) {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'reads', 'must list at least one read kind');
    }
    const reads = [...new Set(p.reads.map((r, i) => validateEnum(`reads[${i}]`, ReadKind, r)))];
    let meters: MeterSelector | 'all';
    if (p.meters === 'all') meters = 'all';
    else if (typeof p.meters === 'object' && p.meters !== null) {
      meters = {};
      const { profiles, ids } = p.meters;
      if (profiles !== undefined) {
        if (!Array.isArray(profiles)) {
          throw new ValidationError(CoreErrorCode.InvalidValue, 'meters.profiles', 'must be a list');
        }
        meters.profiles = profiles.map((x, i) => validateText(`meters.profiles[${i}]`, x, 128));
      }
      if (ids !== undefined) {
        if (!Array.isArray(ids)) {
          throw new ValidationError(CoreErrorCode.InvalidValue, 'meters.ids', 'must be a list');
        }
        meters.ids = ids.map((x, i) => validateId(`meters.ids[${i}]`, x));
      }
    } else {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'meters', "must be 'all' or a selector");
    }
    if (!Number.isInteger(p.windowSeconds) || p.windowSeconds < 0 || p.windowSeconds > MAX_WINDOW_SECONDS) {
      throw new ValidationError(
        CoreErrorCode.InvalidValue,
        'windowSeconds',
        `must be an integer in [0, ${MAX_WINDOW_SECONDS}]`,
      );
    }
    if (typeof p.enabled !== 'boolean') {
      throw new ValidationError(CoreErrorCode.InvalidValue, 'enabled', 'must be a boolean');
    }
    return { name, cron, reads, meters, windowSeconds: p.windowSeconds, enabled: p.enabled };
  });
}

/** Reading plans; a second plan with a name in use fails with STORAGE_CONFLICT. */
export function createPlanStore(ctx: EntityContext): PlanStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, name, cron, reads, meters, window_seconds, enabled, ${d.ms('created_at')} AS created_at,
    ${d.ms('updated_at')} AS updated_at`;
  const toPlan = (r: Row): ReadingPlan => ({
    id: num(r.id),
    name: r.name as string,
    cron: r.cron as string,
    reads: d.fromJson(r.reads),
    meters: d.fromJson(r.meters),
    windowSeconds: num(r.window_seconds),
    enabled: Boolean(r.enabled),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  });
  return {
    async list() {
      const rows = await exec.all(`SELECT ${cols} FROM plans ORDER BY id`);
      return rows.map(toPlan);
    },

    async get(id) {
      if (!Number.isSafeInteger(id)) return null;
      const row = await exec.get(`SELECT ${cols} FROM plans WHERE id = ?`, [id]);
      return row ? toPlan(row) : null;
    },

    async create(plan) {
      const p = validPlan(plan);
      const now = ctx.clock.now();
      const row = await exec.get(
        `INSERT INTO plans (name, cron, reads, meters, window_seconds, enabled, created_at, updated_at)
         VALUES (?, ?, ${d.json('?')}, ${d.json('?')}, ?, ?, ${d.t('?')}, ${d.t('?')}) RETURNING ${cols}`,
        [
          p.name,
          p.cron,
          JSON.stringify(p.reads),
          JSON.stringify(p.meters),
          p.windowSeconds,
          d.bool(p.enabled),
          now,
          now,
        ],
      );
      return toPlan(row as Row);
    },

    async replace(id, plan) {
      const p = validPlan(plan);
      if (!Number.isSafeInteger(id)) return null;
      const row = await exec.get(
        `UPDATE plans SET name = ?, cron = ?, reads = ${d.json('?')}, meters = ${d.json('?')},
           window_seconds = ?, enabled = ?, updated_at = ${d.t('?')} WHERE id = ? RETURNING ${cols}`,
        [
          p.name,
          p.cron,
          JSON.stringify(p.reads),
          JSON.stringify(p.meters),
          p.windowSeconds,
          d.bool(p.enabled),
          ctx.clock.now(),
          id,
        ],
      );
      return row ? toPlan(row) : null;
    },

    async delete(id) {
      if (!Number.isSafeInteger(id)) return false;
      return (await exec.run('DELETE FROM plans WHERE id = ?', [id])) > 0;
    },
  };
}
