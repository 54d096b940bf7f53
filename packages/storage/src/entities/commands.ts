import {
  type CampaignProgress,
  type Command,
  type CommandError,
  CommandKind,
  type CommandPatch,
  type CommandPriority,
  CommandReason,
  CommandState,
  type CommandStore,
  type CommandTransition,
  CoreErrorCode,
  canTransitionCommand,
  type Instant,
  isTerminalCommandState,
  MAX_PAGE_LIMIT,
  type NewCommand,
  pageLimit,
  ValidationError,
  validateEnum,
  validateId,
  validateInstant,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { type Dialect, num, numOrNull, parseJson, type Row, type SqlExec } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';
import { commandChangedRow, writeOutbox } from './outbox.ts';

/** Stored as a rank so the due index reads urgent commands first: 0 urgent, 1 normal. */
export const PRIORITY_RANK: Readonly<Record<CommandPriority, number>> = { urgent: 0, normal: 1 };
export const priorityOf = (rank: unknown): CommandPriority => (num(rank) === 0 ? 'urgent' : 'normal');
const PRIORITIES = { urgent: 'urgent', normal: 'normal' } as const;
const INITIAL_STATES = { queued: 'queued', awaitingApproval: 'awaiting-approval' } as const;

/** States that still hold work or a decision (a firmware image named by one cannot go). */
export const OPEN_COMMAND_STATES: readonly CommandState[] = Object.values(CommandState).filter(
  (s) => !isTerminalCommandState(s),
);

/** Rows a bulk write changes from which PostgreSQL's planner statistics are refreshed at once. */
const BULK_STATS_ROWS = 5_000;

/**
 * After a bulk write (a campaign's commands created or moved), PostgreSQL's statistics still
 * describe the table before it until autovacuum gets to it, and due() would be planned as a
 * sort of every row of the campaign instead of an ordered probe of the due index. Refreshes
 * the statistics of the columns due() filters on; best effort (the write is committed).
 */
export async function afterBulkWrite(exec: SqlExec, rows: number): Promise<void> {
  if (exec.dialect.name !== 'postgres' || rows < BULK_STATS_ROWS) return;
  await exec.run('ANALYZE commands (campaign_id, state, priority)').catch(() => undefined);
}

/** Meter ids per INSERT … SELECT of a run of like commands. */
const INSERT_CHUNK = 20_000;

/** SQL appending the JSON value in `param` to the JSON array column `col`. */
export function jsonAppend(d: Dialect, col: string, param: string): string {
  return d.name === 'sqlite'
    ? `json_insert(${col}, '$[#]', json(${param}))`
    : `${col} || jsonb_build_array(${param}::jsonb)`;
}

/** SQL: the rows of a JSON array of integers in `param`, as `value` (in array order). */
function jsonIds(d: Dialect, param: string): string {
  return d.name === 'sqlite'
    ? `(SELECT value, key AS ord FROM json_each(${param}))`
    : `(SELECT value::int8 AS value, ord FROM jsonb_array_elements_text(${param}::jsonb) WITH ORDINALITY AS j(value, ord))`;
}

/** `IN (?, ?, …)` for a list of states, with its parameters. */
export function stateList(col: string, states: readonly string[]): { sql: string; params: string[] } {
  return { sql: `${col} IN (${states.map(() => '?').join(', ')})`, params: [...states] };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(CoreErrorCode.InvalidValue, field, message);
}

/** The storage error for bad input outside a core validator (same shape as `checked`'s). */
export function badInput(field: string, message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, `${field}: ${message}`, {
    detail: { reason: CoreErrorCode.InvalidValue, field },
  });
}

/** A parameter typed for PostgreSQL where it cannot infer it (INSERT … SELECT lists). */
export function typed(d: Dialect, param: string, pgType: string): string {
  return d.name === 'postgres' ? `${param}::${pgType}` : param;
}

export function jsonText(field: string, v: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw invalid(field, 'must be JSON');
  return text;
}

/** Validates one command request; `at` prefixes field names (`commands[3].`). */
function validateNewCommand(c: NewCommand, at = ''): void {
  if (!isPlainObject(c)) throw invalid(at || 'command', 'must be an object');
  validateEnum(`${at}kind`, CommandKind, c.kind);
  validateId(`${at}meterId`, c.meterId);
  if (c.campaignId !== undefined && c.campaignId !== null) validateId(`${at}campaignId`, c.campaignId);
  if (!isPlainObject(c.parameters)) throw invalid(`${at}parameters`, 'must be an object');
  validateEnum(`${at}reason`, CommandReason, c.reason);
  if (c.priority !== undefined) validateEnum(`${at}priority`, PRIORITIES, c.priority);
  if (c.state !== undefined) validateEnum(`${at}state`, INITIAL_STATES, c.state);
  if (c.deadline !== undefined && c.deadline !== null) validateInstant(`${at}deadline`, c.deadline);
  validateText(`${at}requestedBy`, c.requestedBy, 256);
  if (c.requestedFrom !== undefined && c.requestedFrom !== null) {
    validateText(`${at}requestedFrom`, c.requestedFrom, 256);
  }
}

function validatePatch(p: CommandPatch): void {
  if (!isPlainObject(p)) throw invalid('patch', 'must be an object');
  const attempts: unknown = p.attempts;
  if (
    attempts !== undefined &&
    (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0)
  ) {
    throw invalid('attempts', 'must be a non-negative integer');
  }
  if (p.approvedBy !== undefined && p.approvedBy !== null) validateText('approvedBy', p.approvedBy, 256);
  for (const f of ['progress', 'result'] as const) {
    const v = p[f];
    if (v !== undefined && v !== null && !isPlainObject(v)) throw invalid(f, 'must be an object or null');
  }
  const e = p.error;
  if (e !== undefined && e !== null) {
    if (!isPlainObject(e)) throw invalid('error', 'must be { code, message } or null');
    validateText('error.code', e.code, 128);
    validateText('error.message', e.message, 4096, true);
  }
}

export function commandColumns(d: Dialect): string {
  return `id, kind, meter_id, campaign_id, parameters, reason, priority, state, attempts,
    ${d.ms('deadline')} AS deadline, requested_by, requested_from, approved_by, progress, result, error, history,
    ${d.ms('created_at')} AS created_at, ${d.ms('updated_at')} AS updated_at`;
}

export function toCommand(r: Row): Command {
  return {
    id: num(r.id),
    kind: r.kind as Command['kind'],
    meterId: num(r.meter_id),
    campaignId: numOrNull(r.campaign_id),
    parameters: parseJson(r.parameters),
    reason: r.reason as Command['reason'],
    priority: priorityOf(r.priority),
    state: r.state as CommandState,
    attempts: num(r.attempts),
    deadline: numOrNull(r.deadline),
    requestedBy: r.requested_by as string,
    requestedFrom: (r.requested_from as string | null) ?? null,
    approvedBy: (r.approved_by as string | null) ?? null,
    progress: parseJson<Record<string, unknown> | null>(r.progress ?? null),
    result: parseJson<Record<string, unknown> | null>(r.result ?? null),
    error: parseJson<CommandError | null>(r.error ?? null),
    history: parseJson(r.history),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** SET clauses (and their parameters) for the fields a patch gives. */
function patchSets(d: Dialect, p: CommandPatch): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (p.attempts !== undefined) {
    sets.push('attempts = ?');
    params.push(p.attempts);
  }
  if (p.approvedBy !== undefined) {
    sets.push('approved_by = ?');
    params.push(p.approvedBy);
  }
  for (const [col, v] of [
    ['progress', p.progress],
    ['result', p.result],
    ['error', p.error],
  ] as const) {
    if (v === undefined) continue;
    sets.push(`${col} = ${d.json('?')}`);
    params.push(v === null ? null : jsonText(col, v));
  }
  return { sets, params };
}

/** Fails with not found (no such command) or conflict (not in `expected` any more). */
async function casFailure(tx: SqlExec, id: number, expected: CommandState): Promise<never> {
  const cur = await tx.get<{ state: string }>('SELECT state FROM commands WHERE id = ?', [id]);
  if (!cur) throw notFound('command', { commandId: id });
  throw new StorageError(StorageErrorCode.Conflict, `command ${id} is ${cur.state}, not ${expected}`, {
    detail: { reason: 'STORAGE_STATE_CHANGED', actual: cur.state, expected },
  });
}

export function invalidTransition(what: string, from: string, to: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, `${what}: no transition from ${from} to ${to}`, {
    detail: { reason: 'STORAGE_INVALID_TRANSITION', from, to },
  });
}

/** Refuses meter ids that name no meter (one query for the whole list), naming a few. */
export async function ensureMeters(tx: SqlExec, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const d = tx.dialect;
  const param = JSON.stringify(ids);
  const row = await tx.get<{ n: unknown }>(`SELECT count(*) AS n FROM meters WHERE ${d.inIds('id', '?')}`, [
    param,
  ]);
  const unique = new Set(ids);
  if (num(row?.n) === unique.size) return;
  const found = await tx.all<{ id: unknown }>(`SELECT id FROM meters WHERE ${d.inIds('id', '?')}`, [param]);
  const known = new Set(found.map((r) => num(r.id)));
  const missing = [...unique].filter((id) => !known.has(id));
  throw new StorageError(StorageErrorCode.NotFound, `meter not found: ${missing.slice(0, 10).join(', ')}`, {
    detail: { reason: 'STORAGE_UNKNOWN_METER', meterIds: missing.slice(0, 10), missing: missing.length },
  });
}

/**
 * A firmware-update names an image that must exist: checked in the command's transaction with
 * the image row share-locked on PostgreSQL, so a concurrent delete (which locks it first, then
 * looks for open commands naming it) either sees this command or makes this check fail.
 */
export async function ensureImage(
  tx: SqlExec,
  kind: string,
  parameters: Record<string, unknown>,
  at = '',
): Promise<void> {
  if (kind !== 'firmware-update') return;
  const imageId = parameters.imageId;
  if (typeof imageId !== 'number' || !Number.isSafeInteger(imageId) || imageId <= 0) {
    throw badInput(`${at}parameters.imageId`, 'must be the id of a stored firmware image');
  }
  const lock = tx.dialect.name === 'postgres' ? ' FOR SHARE' : '';
  const row = await tx.get(`SELECT id FROM firmware_images WHERE id = ?${lock}`, [imageId]);
  if (!row) throw notFound('firmware image', { imageId });
}

/** What the commands of one run share (everything but the meter). */
export interface CommandTemplate {
  kind: string;
  campaignId: number | null;
  parametersJson: string;
  reason: string;
  priority: number;
  state: CommandState;
  deadline: Instant | null;
  requestedBy: string;
  requestedFrom: string | null;
}

/**
 * Inserts one command per meter id, all alike but the meter, in id order of `meterIds`: one
 * INSERT … SELECT over a JSON array per chunk, so 100,000 commands are a handful of statements.
 * Runs inside the caller's transaction; the meters must exist.
 */
export async function insertCommandRun(
  tx: SqlExec,
  t: CommandTemplate,
  meterIds: readonly number[],
  now: Instant,
): Promise<number> {
  const d = tx.dialect;
  const history: CommandTransition[] = [{ state: t.state, at: now, by: t.requestedBy, detail: null }];
  const historyJson = JSON.stringify(history);
  const sql = `INSERT INTO commands (kind, meter_id, campaign_id, parameters, reason, priority, state, attempts,
      deadline, requested_by, requested_from, history, created_at, updated_at)
    SELECT ?, m.value, ${typed(d, '?', 'int8')}, ${d.json('?')}, ?, ${typed(d, '?', 'int2')}, ?, 0, ${d.t('?')},
      ?, ?, ${d.json('?')}, ${d.t('?')}, ${d.t('?')}
    FROM ${jsonIds(d, '?')} m ORDER BY m.ord`;
  let n = 0;
  for (let i = 0; i < meterIds.length; i += INSERT_CHUNK) {
    const chunk = meterIds.slice(i, i + INSERT_CHUNK);
    n += await tx.run(sql, [
      t.kind,
      t.campaignId,
      t.parametersJson,
      t.reason,
      t.priority,
      t.state,
      t.deadline,
      t.requestedBy,
      t.requestedFrom,
      historyJson,
      now,
      now,
      JSON.stringify(chunk),
    ]);
  }
  return n;
}

function templateOf(c: NewCommand, parametersJson: string): CommandTemplate {
  return {
    kind: c.kind,
    campaignId: c.campaignId ?? null,
    parametersJson,
    reason: c.reason,
    priority: PRIORITY_RANK[c.priority ?? 'normal'],
    state: c.state ?? 'queued',
    deadline: c.deadline ?? null,
    requestedBy: c.requestedBy,
    requestedFrom: c.requestedFrom ?? null,
  };
}

function sameTemplate(a: CommandTemplate, b: CommandTemplate): boolean {
  return (
    a.kind === b.kind &&
    a.campaignId === b.campaignId &&
    a.parametersJson === b.parametersJson &&
    a.reason === b.reason &&
    a.priority === b.priority &&
    a.state === b.state &&
    a.deadline === b.deadline &&
    a.requestedBy === b.requestedBy &&
    a.requestedFrom === b.requestedFrom
  );
}

/**
 * Moves every command of a campaign that is in one of `from` to `to`, appending the history
 * entry and writing one `command.<to>` announcement each (the payload `commandChangedRow`
 * writes, built in SQL so 100,000 moves never travel through JavaScript), inside the caller's
 * transaction. Leaving awaiting-approval for queued records `by` as the approver.
 */
export async function moveCampaignCommands(
  ctx: EntityContext,
  tx: SqlExec,
  campaignId: number,
  from: readonly CommandState[],
  to: CommandState,
  by: string,
  detail: Record<string, unknown> | null,
  now: Instant,
): Promise<number> {
  const d = tx.dialect;
  const entry = JSON.stringify({ state: to, at: now, by, detail });
  const detailJson = detail === null ? null : JSON.stringify(detail);
  let moved = 0;
  for (const f of new Set(from)) {
    const approve = f === 'awaiting-approval' && to === 'queued';
    const set = `state = ?, history = ${jsonAppend(d, 'history', '?')}, updated_at = ${d.t('?')}${approve ? ', approved_by = ?' : ''}`;
    const setParams = approve ? [to, entry, now, by] : [to, entry, now];
    const announce = [`command.${to}`, now, f, to, by, detailJson];
    if (d.name === 'postgres') {
      // One statement: the rows moved are the rows announced, whatever runs concurrently.
      const outbox = ctx.outbox
        ? `, announced AS (
            INSERT INTO outbox (id, type, key, at, payload)
            SELECT 'command:' || id || ':' || (n - 1), ?::text, 'meter:' || meter_id, ${d.t('?')},
              jsonb_build_object('commandId', id, 'meterId', meter_id, 'kind', kind, 'from', ?::text,
                'to', ?::text, 'by', ?::text, 'detail', ?::jsonb)
            FROM moved)`
        : '';
      const row = await tx.get<{ n: unknown }>(
        `WITH moved AS (
           UPDATE commands SET ${set} WHERE campaign_id = ? AND state = ?
           RETURNING id, meter_id, kind, jsonb_array_length(history) AS n)${outbox}
         SELECT count(*) AS n FROM moved`,
        [...setParams, campaignId, f, ...(ctx.outbox ? announce : [])],
      );
      moved += num(row?.n);
      continue;
    }
    // SQLite: one writer holds the transaction, so the rows announced first are the rows moved.
    if (ctx.outbox) {
      await tx.run(
        `INSERT INTO outbox (id, type, key, at, payload)
         SELECT 'command:' || id || ':' || json_array_length(history), ?, 'meter:' || meter_id, ?,
           json_object('commandId', id, 'meterId', meter_id, 'kind', kind, 'from', ?, 'to', ?, 'by', ?,
             'detail', json(?))
         FROM commands WHERE campaign_id = ? AND state = ? ORDER BY id`,
        [...announce, campaignId, f],
      );
    }
    moved += await tx.run(`UPDATE commands SET ${set} WHERE campaign_id = ? AND state = ?`, [
      ...setParams,
      campaignId,
      f,
    ]);
  }
  return moved;
}

export function createCommandStore(ctx: EntityContext): CommandStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = commandColumns(d);

  async function ensureCampaigns(tx: SqlExec, ids: Iterable<number>): Promise<void> {
    for (const id of new Set(ids)) {
      const row = await tx.get('SELECT id FROM campaigns WHERE id = ?', [id]);
      if (!row) throw notFound('campaign', { campaignId: id });
    }
  }

  function checkStates(states: CommandState | readonly CommandState[] | undefined): CommandState[] | null {
    if (states === undefined) return null;
    const list = typeof states === 'string' ? [states] : [...states];
    checked(() => {
      for (const s of list) validateEnum('state', CommandState, s);
    });
    return list;
  }

  const store: CommandStore = {
    async create(c: NewCommand) {
      checked(() => validateNewCommand(c));
      const t = templateOf(
        c,
        checked(() => jsonText('parameters', c.parameters)),
      );
      return exec.tx(async (tx) => {
        await ensureMeters(tx, [c.meterId]);
        if (t.campaignId !== null) await ensureCampaigns(tx, [t.campaignId]);
        await ensureImage(tx, c.kind, c.parameters);
        const now = ctx.clock.now();
        const history: CommandTransition[] = [{ state: t.state, at: now, by: t.requestedBy, detail: null }];
        const row = await tx.get(
          `INSERT INTO commands (kind, meter_id, campaign_id, parameters, reason, priority, state, attempts,
             deadline, requested_by, requested_from, history, created_at, updated_at)
           VALUES (?, ?, ?, ${d.json('?')}, ?, ?, ?, 0, ${d.t('?')}, ?, ?, ${d.json('?')}, ${d.t('?')}, ${d.t('?')})
           RETURNING ${cols}`,
          [
            t.kind,
            c.meterId,
            t.campaignId,
            t.parametersJson,
            t.reason,
            t.priority,
            t.state,
            t.deadline,
            t.requestedBy,
            t.requestedFrom,
            JSON.stringify(history),
            now,
            now,
          ],
        );
        const command = toCommand(row as Row);
        await writeOutbox(ctx, tx, [commandChangedRow(command, 'requested', t.requestedBy, null, 0, now)]);
        return command;
      });
    },

    async createMany(commands) {
      if (!Array.isArray(commands)) {
        throw badInput('commands', 'must be an array');
      }
      if (commands.length === 0) return 0;
      // Runs of consecutive commands alike but for the meter (a campaign's are one run).
      const runs: { t: CommandTemplate; meterIds: number[]; first: number }[] = [];
      let lastParams: unknown;
      let lastJson = '';
      checked(() => {
        commands.forEach((c, i) => {
          validateNewCommand(c, `commands[${i}].`);
          if (i === 0 || c.parameters !== lastParams) {
            lastParams = c.parameters;
            lastJson = jsonText(`commands[${i}].parameters`, c.parameters);
          }
          const t = templateOf(c, lastJson);
          const run = runs.at(-1);
          if (run !== undefined && sameTemplate(run.t, t)) run.meterIds.push(c.meterId);
          else runs.push({ t, meterIds: [c.meterId], first: i });
        });
      });
      const created = await exec.tx(async (tx) => {
        await ensureMeters(
          tx,
          commands.map((c) => c.meterId),
        );
        const campaigns = runs.map((r) => r.t.campaignId).filter((id): id is number => id !== null);
        await ensureCampaigns(tx, campaigns);
        const seen = new Set<string>();
        for (const r of runs) {
          if (r.t.kind !== 'firmware-update' || seen.has(r.t.parametersJson)) continue;
          seen.add(r.t.parametersJson);
          await ensureImage(tx, r.t.kind, JSON.parse(r.t.parametersJson), `commands[${r.first}].`);
        }
        const now = ctx.clock.now();
        let n = 0;
        for (const r of runs) n += await insertCommandRun(tx, r.t, r.meterIds, now);
        return n;
      });
      await afterBulkWrite(exec, created);
      return created;
    },

    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM commands WHERE id = ?`, [id]);
      return row ? toCommand(row) : null;
    },

    async transition(id, from, to, by, patch = {}) {
      checked(() => {
        validateId('id', id);
        validateEnum('from', CommandState, from);
        validateEnum('to', CommandState, to);
        validateText('by', by, 256);
        validatePatch(patch);
      });
      if (!canTransitionCommand(from, to)) throw invalidTransition(`command ${id}`, from, to);
      const detail = patch.detail ?? null;
      if (detail !== null && !isPlainObject(detail)) {
        throw badInput('detail', 'must be an object or null');
      }
      const { sets, params } = patchSets(d, patch);
      return exec.tx(async (tx) => {
        const now = ctx.clock.now();
        const entry = checked(() => jsonText('detail', { state: to, at: now, by, detail }));
        const row = await tx.get(
          `UPDATE commands SET state = ?, history = ${jsonAppend(d, 'history', '?')}, updated_at = ${d.t('?')}
             ${sets.map((s) => `, ${s}`).join('')}
           WHERE id = ? AND state = ? RETURNING ${cols}`,
          [to, entry, now, ...params, id, from],
        );
        if (!row) return casFailure(tx, id, from);
        const command = toCommand(row);
        await writeOutbox(ctx, tx, [
          commandChangedRow(command, from, by, detail, command.history.length - 1, now),
        ]);
        return command;
      });
    },

    async update(id, state, patch) {
      checked(() => {
        validateId('id', id);
        validateEnum('state', CommandState, state);
        validatePatch(patch);
      });
      const { sets, params } = patchSets(d, patch);
      return exec.tx(async (tx) => {
        const row = await tx.get(
          `UPDATE commands SET updated_at = ${d.t('?')}${sets.map((s) => `, ${s}`).join('')}
           WHERE id = ? AND state = ? RETURNING ${cols}`,
          [ctx.clock.now(), ...params, id, state],
        );
        if (!row) return casFailure(tx, id, state);
        return toCommand(row);
      });
    },

    async list(q) {
      const limit = checked(() => pageLimit(q.limit));
      const desc = q.order === 'desc';
      if (q.order !== undefined && q.order !== 'asc' && !desc) {
        throw badInput('order', 'must be asc or desc');
      }
      const states = checkStates(q.state);
      if (states !== null && states.length === 0) return { items: [], nextCursor: null };
      if (q.kind !== undefined) checked(() => validateEnum('kind', CommandKind, q.kind));
      const after = cursorNumbers(q.cursor, 1)?.[0];
      const where: string[] = [];
      const params: unknown[] = [];
      if (after !== undefined) {
        where.push(desc ? 'id < ?' : 'id > ?');
        params.push(after);
      }
      for (const [col, v] of [
        ['meter_id', q.meterId],
        ['campaign_id', q.campaignId],
        ['kind', q.kind],
        ['requested_by', q.requestedBy],
      ] as const) {
        if (v === undefined) continue;
        where.push(`${col} = ?`);
        params.push(v);
      }
      if (states !== null) {
        const s = stateList('state', states);
        where.push(s.sql);
        params.push(...s.params);
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `SELECT ${cols} FROM commands ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`,
        params,
      );
      return pageOf(rows.map(toCommand), limit, (c) => [c.id]);
    },

    async due(limit, exclude) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw badInput('limit', 'must be a positive integer');
      }
      const take = Math.min(limit, MAX_PAGE_LIMIT);
      const skip = exclude !== undefined && exclude.size > 0 ? JSON.stringify([...exclude]) : null;
      const running = await exec.all<{ id: unknown }>("SELECT id FROM campaigns WHERE state = 'running'");
      // One ordered probe of the due index per scope (single commands, each running campaign):
      // queued commands of paused campaigns are never walked past.
      const scopes: (number | null)[] = [null, ...running.map((r) => num(r.id))];
      const found: Command[] = [];
      for (const scope of scopes) {
        const rows = await exec.all(
          `SELECT ${cols} FROM commands
           WHERE state IN ('queued', 'sending') AND ${scope === null ? 'campaign_id IS NULL' : 'campaign_id = ?'}
             ${skip === null ? '' : `AND NOT (${d.inIds('id', '?')})`}
           ORDER BY campaign_id, priority, id LIMIT ?`,
          [...(scope === null ? [] : [scope]), ...(skip === null ? [] : [skip]), take],
        );
        found.push(...rows.map(toCommand));
      }
      found.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.id - b.id);
      return found.slice(0, take);
    },

    async progress(campaignId) {
      checked(() => validateId('campaignId', campaignId));
      const campaign = await exec.get('SELECT id FROM campaigns WHERE id = ?', [campaignId]);
      if (!campaign) throw notFound('campaign', { campaignId });
      const rows = await exec.all<{ state: string; n: unknown }>(
        'SELECT state, count(*) AS n FROM commands WHERE campaign_id = ? GROUP BY state',
        [campaignId],
      );
      const out = Object.fromEntries(Object.values(CommandState).map((s) => [s, 0])) as CampaignProgress;
      for (const r of rows) if (r.state in out) out[r.state as CommandState] = num(r.n);
      return out;
    },

    async transitionCampaignCommands(campaignId, from, to, by, detail = null) {
      checked(() => {
        validateId('campaignId', campaignId);
        validateEnum('to', CommandState, to);
        validateText('by', by, 256);
        if (!Array.isArray(from) || from.length === 0) throw invalid('from', 'must list at least one state');
        for (const f of from) validateEnum('from', CommandState, f);
        if (detail !== null && !isPlainObject(detail)) throw invalid('detail', 'must be an object or null');
      });
      for (const f of from)
        if (!canTransitionCommand(f, to)) throw invalidTransition(`campaign ${campaignId} commands`, f, to);
      const moved = await exec.tx(async (tx) => {
        const campaign = await tx.get('SELECT id FROM campaigns WHERE id = ?', [campaignId]);
        if (!campaign) throw notFound('campaign', { campaignId });
        return moveCampaignCommands(ctx, tx, campaignId, from, to, by, detail, ctx.clock.now());
      });
      await afterBulkWrite(exec, moved);
      return moved;
    },
  };
  return store;
}
