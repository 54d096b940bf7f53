import {
  type Campaign,
  CampaignState,
  type CampaignStore,
  type CampaignTarget,
  type CampaignThrottle,
  CommandKind,
  CommandReason,
  canTransitionCampaign,
  type NewCampaign,
  pageLimit,
  validateEnum,
  validateId,
  validateInstant,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { num, numOrNull, parseJson, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import {
  afterBulkWrite,
  badInput,
  ensureImage,
  ensureMeters,
  insertCommandRun,
  invalidTransition,
  isPlainObject,
  jsonAppend,
  jsonText,
  PRIORITY_RANK,
  priorityOf,
  stateList,
} from './commands.ts';
import type { EntityContext } from './context.ts';
import { campaignChangedRow, writeOutbox } from './outbox.ts';

const PRIORITIES = { urgent: 'urgent', normal: 'normal' } as const;
const INITIAL_STATES = { running: 'running', awaitingApproval: 'awaiting-approval' } as const;
const TARGET_LISTS = ['models', 'deviceProfiles', 'firmwareVersions', 'tags', 'segments'] as const;
const ID_LISTS = ['meterIds', 'nodes'] as const;
const THROTTLE_FIELDS = ['maxInFlight', 'perMinute', 'perSegment', 'urgentPerSegment'] as const;

function validateTarget(t: CampaignTarget): void {
  if (!isPlainObject(t)) throw badInput('target', 'must be an object');
  for (const f of TARGET_LISTS) {
    const v = t[f];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw badInput(`target.${f}`, 'must be a list of strings');
    checked(() => {
      for (let i = 0; i < v.length; i++) validateText(`target.${f}[${i}]`, v[i], 256);
    });
  }
  for (const f of ID_LISTS) {
    const v = t[f];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw badInput(`target.${f}`, 'must be a list of ids');
    checked(() => {
      for (let i = 0; i < v.length; i++) validateId(`target.${f}[${i}]`, v[i]);
    });
  }
}

function validateThrottle(t: CampaignThrottle | undefined): void {
  if (t === undefined) return;
  if (!isPlainObject(t)) throw badInput('throttle', 'must be an object');
  for (const f of THROTTLE_FIELDS) {
    const v = t[f];
    if (v === undefined) continue;
    const min = f === 'urgentPerSegment' ? 0 : 1;
    if (!Number.isSafeInteger(v) || (v as number) < min) {
      throw badInput(`throttle.${f}`, `must be an integer >= ${min}`);
    }
  }
}

function validateNewCampaign(c: NewCampaign, meterIds: readonly number[]): void {
  if (!isPlainObject(c)) throw badInput('campaign', 'must be an object');
  checked(() => {
    validateText('name', c.name, 256);
    validateEnum('kind', CommandKind, c.kind);
    validateEnum('reason', CommandReason, c.reason);
    if (c.priority !== undefined) validateEnum('priority', PRIORITIES, c.priority);
    if (c.state !== undefined) validateEnum('state', INITIAL_STATES, c.state);
    if (c.deadline !== undefined && c.deadline !== null) validateInstant('deadline', c.deadline);
    validateText('requestedBy', c.requestedBy, 256);
    if (c.requestedFrom !== undefined && c.requestedFrom !== null) {
      validateText('requestedFrom', c.requestedFrom, 256);
    }
  });
  if (!isPlainObject(c.parameters)) throw badInput('parameters', 'must be an object');
  if (c.dryRun !== undefined && typeof c.dryRun !== 'boolean') throw badInput('dryRun', 'must be a boolean');
  validateTarget(c.target);
  validateThrottle(c.throttle);
  if (!Array.isArray(meterIds)) throw badInput('meterIds', 'must be a list of meter ids');
  checked(() => {
    for (let i = 0; i < meterIds.length; i++) validateId(`meterIds[${i}]`, meterIds[i]);
  });
}

export function createCampaignStore(ctx: EntityContext): CampaignStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, name, kind, target, parameters, reason, priority, throttle, ${d.ms('deadline')} AS deadline,
    dry_run, state, meter_count, requested_by, requested_from, approved_by, history,
    ${d.ms('created_at')} AS created_at, ${d.ms('updated_at')} AS updated_at`;
  const toCampaign = (r: Row): Campaign => ({
    id: num(r.id),
    name: r.name as string,
    kind: r.kind as Campaign['kind'],
    target: parseJson(r.target),
    parameters: parseJson(r.parameters),
    reason: r.reason as Campaign['reason'],
    priority: priorityOf(r.priority),
    throttle: parseJson(r.throttle),
    deadline: numOrNull(r.deadline),
    dryRun: Boolean(r.dry_run),
    state: r.state as CampaignState,
    meterCount: num(r.meter_count),
    requestedBy: r.requested_by as string,
    requestedFrom: (r.requested_from as string | null) ?? null,
    approvedBy: (r.approved_by as string | null) ?? null,
    history: parseJson(r.history),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  });

  const store: CampaignStore = {
    async create(c, meterIds) {
      validateNewCampaign(c, meterIds);
      const ids = [...new Set(meterIds)];
      const state = c.state ?? 'running';
      const priority = c.priority ?? 'normal';
      const parametersJson = checked(() => jsonText('parameters', c.parameters));
      const targetJson = checked(() => jsonText('target', c.target));
      const created = await exec.tx(async (tx) => {
        await ensureMeters(tx, ids);
        await ensureImage(tx, c.kind, c.parameters);
        const now = ctx.clock.now();
        const history = [{ state, at: now, by: c.requestedBy, detail: null }];
        const row = await tx.get(
          `INSERT INTO campaigns (name, kind, target, parameters, reason, priority, throttle, deadline, dry_run,
             state, meter_count, requested_by, requested_from, history, created_at, updated_at)
           VALUES (?, ?, ${d.json('?')}, ${d.json('?')}, ?, ?, ${d.json('?')}, ${d.t('?')}, ?, ?, ?, ?, ?,
             ${d.json('?')}, ${d.t('?')}, ${d.t('?')})
           RETURNING ${cols}`,
          [
            c.name,
            c.kind,
            targetJson,
            parametersJson,
            c.reason,
            PRIORITY_RANK[priority],
            JSON.stringify(c.throttle ?? {}),
            c.deadline ?? null,
            d.bool(c.dryRun ?? false),
            state,
            ids.length,
            c.requestedBy,
            c.requestedFrom ?? null,
            JSON.stringify(history),
            now,
            now,
          ],
        );
        const campaign = toCampaign(row as Row);
        // Its commands wait with it: approval moves them to queued (transitionCampaignCommands).
        await insertCommandRun(
          tx,
          {
            kind: c.kind,
            campaignId: campaign.id,
            parametersJson,
            reason: c.reason,
            priority: PRIORITY_RANK[priority],
            state: state === 'running' ? 'queued' : 'awaiting-approval',
            deadline: c.deadline ?? null,
            requestedBy: c.requestedBy,
            requestedFrom: c.requestedFrom ?? null,
          },
          ids,
          now,
        );
        await writeOutbox(ctx, tx, [campaignChangedRow(campaign, 'requested', c.requestedBy, null, 0, now)]);
        return campaign;
      });
      await afterBulkWrite(exec, ids.length);
      return created;
    },

    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM campaigns WHERE id = ?`, [id]);
      return row ? toCampaign(row) : null;
    },

    async transition(id, from, to, by, patch = {}) {
      checked(() => {
        validateId('id', id);
        validateEnum('from', CampaignState, from);
        validateEnum('to', CampaignState, to);
        validateText('by', by, 256);
        if (patch.approvedBy !== undefined && patch.approvedBy !== null) {
          validateText('approvedBy', patch.approvedBy, 256);
        }
      });
      const detail = patch.detail ?? null;
      if (detail !== null && !isPlainObject(detail)) throw badInput('detail', 'must be an object or null');
      if (!canTransitionCampaign(from, to)) throw invalidTransition(`campaign ${id}`, from, to);
      return exec.tx(async (tx) => {
        const now = ctx.clock.now();
        const entry = checked(() => jsonText('detail', { state: to, at: now, by, detail }));
        const approve = patch.approvedBy !== undefined;
        const row = await tx.get(
          `UPDATE campaigns SET state = ?, history = ${jsonAppend(d, 'history', '?')}, updated_at = ${d.t('?')}
             ${approve ? ', approved_by = ?' : ''}
           WHERE id = ? AND state = ? RETURNING ${cols}`,
          approve ? [to, entry, now, patch.approvedBy, id, from] : [to, entry, now, id, from],
        );
        if (!row) {
          const cur = await tx.get<{ state: string }>('SELECT state FROM campaigns WHERE id = ?', [id]);
          if (!cur) throw notFound('campaign', { campaignId: id });
          throw new StorageError(StorageErrorCode.Conflict, `campaign ${id} is ${cur.state}, not ${from}`, {
            detail: { reason: 'STORAGE_STATE_CHANGED', actual: cur.state, expected: from },
          });
        }
        const campaign = toCampaign(row);
        await writeOutbox(ctx, tx, [
          campaignChangedRow(campaign, from, by, detail, campaign.history.length - 1, now),
        ]);
        return campaign;
      });
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const desc = q.order === 'desc';
      if (q.order !== undefined && q.order !== 'asc' && !desc) throw badInput('order', 'must be asc or desc');
      let states: CampaignState[] | null = null;
      if (q.state !== undefined) {
        states = typeof q.state === 'string' ? [q.state] : [...q.state];
        checked(() => {
          for (const s of states ?? []) validateEnum('state', CampaignState, s);
        });
        if (states.length === 0) return { items: [], nextCursor: null };
      }
      if (q.kind !== undefined) checked(() => validateEnum('kind', CommandKind, q.kind));
      if (q.dryRun !== undefined && typeof q.dryRun !== 'boolean')
        throw badInput('dryRun', 'must be a boolean');
      const after = cursorNumbers(q.cursor, 1)?.[0];
      const where: string[] = [];
      const params: unknown[] = [];
      if (after !== undefined) {
        where.push(desc ? 'id < ?' : 'id > ?');
        params.push(after);
      }
      if (q.kind !== undefined) {
        where.push('kind = ?');
        params.push(q.kind);
      }
      if (q.requestedBy !== undefined) {
        where.push('requested_by = ?');
        params.push(q.requestedBy);
      }
      if (q.dryRun !== undefined) {
        where.push('dry_run = ?');
        params.push(d.bool(q.dryRun));
      }
      if (states !== null) {
        const s = stateList('state', states);
        where.push(s.sql);
        params.push(...s.params);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM campaigns ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`,
        params,
      );
      return pageOf(rows.map(toCampaign), limit, (c) => [c.id]);
    },
  };
  return store;
}
