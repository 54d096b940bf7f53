import { randomUUID } from 'node:crypto';
import {
  type Campaign,
  type CampaignChangedPayload,
  type CampaignState,
  type Command,
  type CommandChangedPayload,
  type CommandState,
  type EventStoredPayload,
  type Instant,
  type NewOutboxMessage,
  type OutboxEntry,
  type OutboxStore,
  type ReadingsStoredPayload,
  validateInstant,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { num, type Row, type SqlExec } from '../sql/exec.ts';
import { checked } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

/** A message ready to be written: id, type, key, instant and payload as JSON text. */
export interface OutboxRow {
  id: string;
  type: string;
  key: string;
  at: Instant;
  payload: string;
}

export const meterKey = (meterId: number): string => `meter:${meterId}`;

function payloadText(payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'outbox payload must be JSON', {
      detail: { reason: 'STORAGE_BAD_PAYLOAD' },
    });
  }
  return text;
}

/** Validates caller messages and turns them into rows. */
export function outboxRows(messages: readonly NewOutboxMessage[], now: Instant): OutboxRow[] {
  return messages.map((m, i) =>
    checked(() => {
      validateText(`messages[${i}].type`, m.type, 128);
      validateText(`messages[${i}].key`, m.key, 256);
      if (m.id !== undefined) validateText(`messages[${i}].id`, m.id, 256);
      if (m.at !== undefined) validateInstant(`messages[${i}].at`, m.at);
      return {
        id: m.id ?? randomUUID(),
        type: m.type,
        key: m.key,
        at: m.at ?? now,
        payload: payloadText(m.payload),
      };
    }),
  );
}

/**
 * `readings.stored` for one ingested batch: one message per meter of the batch (a batch is
 * normally one meter's session). Its id is the batch id, or `<batch id>/<meter id>` when a
 * batch spans several meters, so a message announces a batch once.
 */
export function readingsStoredRows(
  batchId: string,
  readings: readonly { channelId: number; ts: number }[],
  meterOf: (channelId: number) => number,
  at: Instant,
): OutboxRow[] {
  type Tally = { channels: Set<number>; readings: number; from: number; to: number };
  const perMeter = new Map<number, Tally>();
  const byChannel = new Map<number, Tally>();
  // Readings mostly come in runs of one channel: one lookup per run, not per reading.
  let channel = Number.NaN;
  let m: Tally | undefined;
  for (const r of readings) {
    if (r.channelId !== channel || m === undefined) {
      channel = r.channelId;
      m = byChannel.get(channel);
      if (m === undefined) {
        const meterId = meterOf(channel);
        m = perMeter.get(meterId);
        if (m === undefined) {
          m = { channels: new Set(), readings: 0, from: r.ts, to: r.ts };
          perMeter.set(meterId, m);
        }
        m.channels.add(channel);
        byChannel.set(channel, m);
      }
    }
    m.readings++;
    if (r.ts < m.from) m.from = r.ts;
    else if (r.ts > m.to) m.to = r.ts;
  }
  const single = perMeter.size === 1;
  return [...perMeter].map(([meterId, m]) => {
    const payload: ReadingsStoredPayload = {
      meterId,
      batchId,
      channels: m.channels.size,
      readings: m.readings,
      from: m.from,
      to: m.to,
    };
    return {
      id: single ? batchId : `${batchId}/${meterId}`,
      type: 'readings.stored',
      key: meterKey(meterId),
      at,
      payload: JSON.stringify(payload),
    };
  });
}

export function eventStoredRow(p: EventStoredPayload, at: Instant): OutboxRow {
  return {
    id: `event:${p.eventId}`,
    type: 'event.stored',
    key: meterKey(p.meterId),
    at,
    payload: JSON.stringify(p),
  };
}

/** `command.<state>`; the id names the command and the index of the state in its history. */
export function commandChangedRow(
  command: Pick<Command, 'id' | 'meterId' | 'kind' | 'state'>,
  from: CommandState | 'requested',
  by: string,
  detail: Record<string, unknown> | null,
  historyIndex: number,
  at: Instant,
): OutboxRow {
  const payload: CommandChangedPayload = {
    commandId: command.id,
    meterId: command.meterId,
    kind: command.kind,
    from,
    to: command.state,
    by,
    detail,
  };
  return {
    id: `command:${command.id}:${historyIndex}`,
    type: `command.${command.state}`,
    key: meterKey(command.meterId),
    at,
    payload: JSON.stringify(payload),
  };
}

/** `campaign.<state>`, keyed by the campaign; the id names it and the index in its history. */
export function campaignChangedRow(
  campaign: Pick<Campaign, 'id' | 'kind' | 'state' | 'meterCount' | 'dryRun'>,
  from: CampaignState | 'requested',
  by: string,
  detail: Record<string, unknown> | null,
  historyIndex: number,
  at: Instant,
): OutboxRow {
  const payload: CampaignChangedPayload = {
    campaignId: campaign.id,
    kind: campaign.kind,
    from,
    to: campaign.state,
    by,
    meterCount: campaign.meterCount,
    dryRun: campaign.dryRun,
    detail,
  };
  return {
    id: `campaign:${campaign.id}:${historyIndex}`,
    type: `campaign.${campaign.state}`,
    key: `campaign:${campaign.id}`,
    at,
    payload: JSON.stringify(payload),
  };
}

/** Schema version that added the outbox (both dialects). */
export const OUTBOX_SCHEMA_VERSION = 4;

/** Writes rows inside the caller's transaction (the data and its announcement commit together). */
export async function writeOutbox(
  ctx: EntityContext,
  tx: SqlExec,
  rows: readonly OutboxRow[],
): Promise<void> {
  if (!ctx.outbox) return;
  const d = tx.dialect;
  for (const r of rows) {
    await tx.run(
      `INSERT INTO outbox (id, type, key, at, payload) VALUES (?, ?, ?, ${d.t('?')}, ${d.json('?')})`,
      [r.id, r.type, r.key, r.at, r.payload],
    );
  }
}

/** The PostgreSQL outbox sequencer: numbers committed rows in the order they became visible. */
export const PG_SEQUENCE_OUTBOX = `WITH pending AS (
    SELECT pos, row_number() OVER (ORDER BY pos) AS rn
    FROM (SELECT pos FROM outbox WHERE seq IS NULL ORDER BY pos LIMIT 10000) p),
  head AS (
    UPDATE outbox_head SET seq = seq + (SELECT count(*) FROM pending)
    RETURNING seq - (SELECT count(*) FROM pending) AS base)
  UPDATE outbox o SET seq = head.base + pending.rn FROM pending, head
  WHERE o.pos = pending.pos AND o.seq IS NULL`;
export const PG_OUTBOX_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':openhes-outbox'))";

export function createOutboxStore(ctx: EntityContext): OutboxStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const pg = d.name === 'postgres';
  const cols = `seq, id, type, key, ${d.ms('at')} AS at, payload`;
  const toEntry = (r: Row): OutboxEntry => ({
    seq: num(r.seq),
    id: r.id as string,
    type: r.type as string,
    key: r.key as string,
    at: num(r.at),
    payload: d.fromJson(r.payload),
  });

  /**
   * PostgreSQL only: gives committed rows without a seq the next numbers, under a
   * transaction lock taken before the rows are looked at, so a row committed later always
   * gets a higher seq than every row numbered before (what a relay's cursor relies on).
   */
  async function sequence(): Promise<void> {
    if (!pg) return;
    const pending = await exec.get('SELECT 1 AS x FROM outbox WHERE seq IS NULL LIMIT 1');
    if (pending === undefined) return;
    await exec.tx(async (tx) => {
      await tx.all(PG_OUTBOX_LOCK);
      await tx.run(PG_SEQUENCE_OUTBOX);
    });
  }

  function checkRelay(relay: unknown): string {
    return checked(() => validateText('relay', relay, 128));
  }

  return {
    async append(messages) {
      const rows = outboxRows(messages, ctx.clock.now());
      if (rows.length === 0) return [];
      if (!pg) {
        return exec.tx(async (tx) => {
          const out: OutboxEntry[] = [];
          for (const r of rows) {
            const row = await tx.get(
              `INSERT INTO outbox (id, type, key, at, payload) VALUES (?, ?, ?, ?, ?) RETURNING ${cols}`,
              [r.id, r.type, r.key, r.at, r.payload],
            );
            out.push(toEntry(row as Row));
          }
          return out;
        });
      }
      const positions = await exec.tx(async (tx) => {
        const out: number[] = [];
        for (const r of rows) {
          const row = await tx.get<{ pos: unknown }>(
            `INSERT INTO outbox (id, type, key, at, payload) VALUES (?, ?, ?, ${d.t('?')}, ${d.json('?')})
             RETURNING pos`,
            [r.id, r.type, r.key, r.at, r.payload],
          );
          out.push(num(row?.pos));
        }
        return out;
      });
      await sequence();
      const stored = await exec.all(`SELECT ${cols} FROM outbox WHERE ${d.inIds('pos', '?')} ORDER BY seq`, [
        JSON.stringify(positions),
      ]);
      return stored.map(toEntry);
    },

    async read(after, limit) {
      if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 1) {
        throw new StorageError(StorageErrorCode.InvalidInput, 'read needs after >= 0 and limit >= 1', {
          detail: { reason: 'STORAGE_BAD_OUTBOX_READ', after, limit },
        });
      }
      await sequence();
      const rows = await exec.all(`SELECT ${cols} FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, [
        after,
        Math.min(limit, 10_000),
      ]);
      return rows.map(toEntry);
    },

    async cursor(relay) {
      const row = await exec.get<{ seq: unknown }>('SELECT seq FROM outbox_cursors WHERE relay = ?', [
        checkRelay(relay),
      ]);
      return row ? num(row.seq) : 0;
    },

    async commit(relay, seq) {
      if (!Number.isSafeInteger(seq) || seq < 0) {
        throw new StorageError(StorageErrorCode.InvalidInput, 'seq must be a non-negative integer', {
          detail: { reason: 'STORAGE_BAD_OUTBOX_SEQ', seq },
        });
      }
      await exec.run(
        `INSERT INTO outbox_cursors (relay, seq) VALUES (?, ?)
         ON CONFLICT (relay) DO UPDATE SET seq = excluded.seq WHERE outbox_cursors.seq < excluded.seq`,
        [checkRelay(relay), seq],
      );
    },

    async prune(before) {
      checked(() => validateInstant('before', before));
      // With no relay registered, only the age applies (nothing reads the outbox). The newest
      // entry always stays: SQLite numbers a new row after the largest rowid left.
      return exec.run(
        `DELETE FROM outbox WHERE seq IS NOT NULL AND at < ${d.t('?')}
         AND seq <= coalesce((SELECT min(seq) FROM outbox_cursors), seq)
         AND seq < (SELECT max(seq) FROM outbox)`,
        [before],
      );
    },
  };
}
