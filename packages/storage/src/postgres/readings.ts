import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AggregatePoint,
  BUCKET_MS,
  type Bucket,
  type Clock,
  CONFLICT_REASON,
  type IngestResult,
  normalizeObis,
  pageLimit,
  QualityFlag,
  type Reading,
  type ReadingBulkReader,
  type ReadingStore,
  validateReadingInput,
  validateText,
} from '@openhes/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { readingsStoredRows } from '../entities/outbox.ts';
import { finish, mergePartial, type Partial, readingOf, reasonsText, SOURCE_CODE } from '../sql/codes.ts';
import { CurrentColumns, checkCurrentQuery } from '../sql/current-values.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import {
  bucketCount,
  completenessMeters,
  completenessPage,
  type DayRollup,
  foldRollup,
  groupPage,
  rollupApplies,
} from '../sql/shapes.ts';
import { checkDays, checked, checkRange, notFound } from '../sql/validate.ts';
import { encodeStageBinary, encodeStageText, type StageRow } from './copy.ts';
import { mapPgError, withPgTx } from './exec.ts';
import type { PgPartitions } from './partitions.ts';

const ms = (c: string) => `(extract(epoch from ${c}) * 1000)::int8`;
const t = (p: string) => `to_timestamp(${p}::float8 / 1000)`;
/** Keeps a packed version (kept-aside ones are <= 0) non-negative in `currentMany`'s read. */
const VERSION_BIAS = 32_768;
const READING_COLS = `${ms('ts')} AS ts, version, value, quality, reasons, source, ${ms('received_at')} AS received_at`;

/** An aggregate point's count of estimates, present only when some values are estimates. */
function estimatedOf(n: number | undefined): { estimated?: number } {
  return n !== undefined && n > 0 ? { estimated: n } : {};
}

function bucketExpr(bucket: Bucket): string {
  if (bucket === 'month') return ms("date_trunc('month', ts - interval '1 millisecond', 'UTC')");
  return ms(
    `date_bin('${BUCKET_MS[bucket]} milliseconds'::interval, ts - interval '1 millisecond', timestamptz '2000-01-01 00:00:00+00')`,
  );
}

const STAGE_DDL = `CREATE TEMP TABLE IF NOT EXISTS reading_stage (
  round smallint NOT NULL, channel_id integer NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL,
  quality smallint NOT NULL, reasons text, source smallint NOT NULL) ON COMMIT DELETE ROWS`;

const DAY_OF =
  "date_bin('1 day'::interval, ts - interval '1 millisecond', timestamptz '2000-01-01 00:00:00+00')";

const BUMP_DAYS = `INSERT INTO reading_days AS d (channel_id, day, sum, count, min, max, dirty)
  SELECT channel_id, ${DAY_OF}, sum(delta), sum(n)::int, min(value), max(value), bool_or(dirty) FROM changed
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (channel_id, day) DO UPDATE SET sum = d.sum + excluded.sum, count = d.count + excluded.count,
    min = least(d.min, excluded.min), max = greatest(d.max, excluded.max), dirty = d.dirty OR excluded.dirty`;

const INSERT_FIRST = `WITH ins AS (
  INSERT INTO readings (channel_id, ts, version, value, quality, reasons, source, received_at)
  SELECT channel_id, ts, 1, value, quality, reasons, source, ${t('$2')} FROM reading_stage WHERE round = $1
  ORDER BY channel_id, ts
  ON CONFLICT DO NOTHING RETURNING channel_id, ts, value),
changed AS (SELECT channel_id, ts, value, value AS delta, 1 AS n, false AS dirty FROM ins),
days AS (${BUMP_DAYS})
SELECT count(*)::int AS n FROM ins`;

// Rows equal to the newest stored version are dropped; the rest become version newest + 1.
// A concurrent writer may take the same version first: ON CONFLICT skips, the caller re-runs.
const INSERT_VERSIONS = `WITH cand AS (
  SELECT s.channel_id, s.ts, s.value, s.quality, s.reasons, s.source, cur.version AS cur, cur.value AS cur_value
  FROM reading_stage s
  LEFT JOIN LATERAL (
    SELECT r.version, r.value, r.quality, r.reasons FROM readings r
    WHERE r.channel_id = s.channel_id AND r.ts = s.ts ORDER BY r.version DESC LIMIT 1) cur ON true
  WHERE s.round = $1 AND (cur.version IS NULL OR cur.value <> s.value OR cur.quality <> s.quality
    OR cur.reasons IS DISTINCT FROM s.reasons)),
ins AS (
  INSERT INTO readings (channel_id, ts, version, value, quality, reasons, source, received_at)
  SELECT channel_id, ts, coalesce(cur, 0) + 1, value, quality, reasons, source, ${t('$2')} FROM cand
  ORDER BY channel_id, ts
  ON CONFLICT DO NOTHING RETURNING channel_id, ts, version, value),
changed AS (
  SELECT i.channel_id, i.ts, i.value, i.value - coalesce(c.cur_value, 0) AS delta,
    CASE WHEN c.cur IS NULL THEN 1 ELSE 0 END AS n, c.cur IS NOT NULL AS dirty
  FROM ins i JOIN cand c ON c.channel_id = i.channel_id AND c.ts = i.ts),
days AS (${BUMP_DAYS})
SELECT (SELECT count(*) FROM cand)::int AS c, count(*)::int AS n, (count(*) FILTER (WHERE version > 1))::int AS v
FROM ins`;

// `keep-current` (pushes): a row differing from the current version and from every conflict
// already kept is stored beside it as a conflict, version (lowest conflict or 1) - 1, flagged;
// the current version and the day rollup stay as they are. Runs after INSERT_FIRST, so every
// candidate instant exists. A concurrent writer may take the same version: the caller re-runs.
const INSERT_CONFLICTS = `WITH cand AS (
  SELECT s.channel_id, s.ts, s.value, s.quality, s.reasons, s.source, k.lo
  FROM reading_stage s
  JOIN LATERAL (
    SELECT r.value FROM readings r WHERE r.channel_id = s.channel_id AND r.ts = s.ts
    ORDER BY r.version DESC LIMIT 1) cur ON true
  JOIN LATERAL (
    SELECT least(min(r.version), 1) AS lo, coalesce(bool_or(r.value = s.value), false) AS known
    FROM readings r WHERE r.channel_id = s.channel_id AND r.ts = s.ts AND r.version <= 0) k ON true
  WHERE s.round = $1 AND cur.value <> s.value AND NOT k.known),
ins AS (
  INSERT INTO readings (channel_id, ts, version, value, quality, reasons, source, received_at)
  SELECT channel_id, ts, lo - 1, value, quality | $3::smallint,
    coalesce(reasons || E'\\n', '') || $4, source, ${t('$2')} FROM cand
  ORDER BY channel_id, ts
  ON CONFLICT DO NOTHING RETURNING 1)
SELECT (SELECT count(*) FROM cand)::int AS c, count(*)::int AS n FROM ins`;

const BUMP_LAST = `UPDATE channels c SET last_ts = m.ts
FROM (SELECT channel_id, max(ts) AS ts FROM reading_stage GROUP BY channel_id) m
WHERE c.id = m.channel_id AND (c.last_ts IS NULL OR c.last_ts < m.ts)`;

// The batch's announcement rides on the last statement of the transaction (no extra round trip).
const BUMP_LAST_AND_ANNOUNCE = `WITH bump AS (${BUMP_LAST})
INSERT INTO outbox (id, type, key, at, payload)
SELECT x.id, x.type, x.key, ${t('x.at')}, x.payload::jsonb
FROM jsonb_to_recordset($1::jsonb) AS x(id text, type text, key text, at int8, payload text)`;

export interface PgReadingOptions {
  /** COPY format for the stage table; binary unless told otherwise. */
  copyFormat?: 'binary' | 'text';
  /** False when the schema predates the outbox (opened with `migrateTo` < 4). */
  outbox?: boolean;
}

export function createPgReadingStore(
  pool: pg.Pool,
  partitions: PgPartitions,
  clock: Clock,
  opts: PgReadingOptions = {},
): ReadingStore & ReadingBulkReader {
  /** Channel id → meter id of every channel seen (channels never move between meters). */
  const known = new Map<number, number>();
  const meterOf = (channelId: number) => known.get(channelId)!;
  const staged = new WeakSet<pg.PoolClient>();
  const binary = opts.copyFormat !== 'text';
  const announce = opts.outbox !== false;

  async function q<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await pool.query<T>(sql, params)).rows;
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async function checkChannels(ids: Iterable<number>): Promise<void> {
    const missing = [...ids].filter((id) => !known.has(id));
    if (missing.length === 0) return;
    const rows = await q<{ id: number; meter_id: number }>(
      'SELECT id, meter_id FROM channels WHERE id = ANY($1::int[])',
      [missing],
    );
    const found = new Map(rows.map((r) => [Number(r.id), Number(r.meter_id)]));
    for (const id of missing) {
      const meterId = found.get(id);
      if (meterId === undefined) throw notFound('channel', { channelId: id });
      known.set(id, meterId);
    }
  }

  async function copyIn(client: pg.PoolClient, rows: readonly StageRow[]): Promise<void> {
    const sql = `COPY reading_stage (round, channel_id, ts, value, quality, reasons, source) FROM STDIN${
      binary ? ' (FORMAT binary)' : ''
    }`;
    const data = binary ? encodeStageBinary(rows) : encodeStageText(rows);
    await pipeline(Readable.from([data]), client.query(copyStreams.from(sql)));
  }

  const store: ReadingStore & ReadingBulkReader = {
    async currentMany(query) {
      const ids = checkCurrentQuery(query);
      if (ids.length === 0) return [];
      // Index order (channel, ts, version newest first): the first row of an instant is current.
      let rows: unknown[][];
      try {
        rows = (
          await pool.query<unknown[]>({
            // Version, quality and source packed in one column: fewer values to parse.
            text: `SELECT channel_id, ${ms('ts')}::float8, value,
                     ((version + ${VERSION_BIAS})::int8 * 2048 + quality * 8 + source)::float8 FROM readings
                   WHERE channel_id = ANY($1::int[]) AND ts >= ${t('$2')} AND ts < ${t('$3')}
                   ORDER BY channel_id, ts, version DESC`,
            values: [ids, query.from, query.to],
            rowMode: 'array',
          })
        ).rows;
      } catch (e) {
        throw mapPgError(e);
      }
      const counts = new Map<number, number>();
      for (const r of rows) counts.set(r[0] as number, (counts.get(r[0] as number) ?? 0) + 1);
      const cols = new Map<number, CurrentColumns>();
      for (const id of ids) if (!cols.has(id)) cols.set(id, new CurrentColumns(id, counts.get(id) ?? 0));
      const estimate = SOURCE_CODE.estimate;
      for (const r of rows) {
        const packed = r[3] as number;
        const source = packed % 8;
        const quality = Math.floor(packed / 8) % 256;
        const version = Math.floor(packed / 2048) - VERSION_BIAS;
        cols.get(r[0] as number)!.add(r[1] as number, version, r[2] as number, quality, source === estimate);
      }
      const asideIds: number[] = [];
      const asideTs: number[] = [];
      for (const c of cols.values()) {
        for (const ts of c.asideTs) {
          asideIds.push(c.channelId);
          asideTs.push(ts);
        }
      }
      const aside = new Map<number, Reading[]>();
      if (asideIds.length > 0) {
        const versions = await q<Record<string, unknown> & { channel_id: number }>(
          `SELECT r.channel_id, ${ms('r.ts')} AS ts, r.version, r.value, r.quality, r.reasons, r.source,
             ${ms('r.received_at')} AS received_at
           FROM unnest($1::int[], $2::float8[]) AS k(channel_id, ms)
           JOIN readings r ON r.channel_id = k.channel_id AND r.ts = to_timestamp(k.ms / 1000)
           ORDER BY r.channel_id, r.ts, r.version`,
          [asideIds, asideTs],
        );
        for (const r of versions) {
          const id = Number(r.channel_id);
          const list = aside.get(id) ?? [];
          list.push(readingOf(id, r));
          aside.set(id, list);
        }
      }
      return ids.map((id) => cols.get(id)!.finish(aside.get(id) ?? []));
    },

    async ingest(batch) {
      const batchId = batch.id ?? randomUUID();
      checked(() => {
        validateText('batch.id', batchId, 128);
        for (const [i, r] of batch.readings.entries()) validateReadingInput(r, i);
      });
      const receivedAt = batch.receivedAt ?? clock.now();
      await checkChannels(new Set(batch.readings.map((r) => r.channelId)));
      await partitions.ensure(
        'readings',
        batch.readings.map((r) => r.ts),
      );
      const seen = new Map<string, number>();
      const roundSizes: number[] = [];
      const rows: StageRow[] = batch.readings.map((r) => {
        const key = `${r.channelId}:${r.ts}`;
        const round = seen.get(key) ?? 0;
        seen.set(key, round + 1);
        roundSizes[round] = (roundSizes[round] ?? 0) + 1;
        return {
          round,
          channelId: r.channelId,
          ts: r.ts,
          value: r.value,
          quality: r.quality ?? 0,
          reasons: reasonsText(r.reasons),
          source: SOURCE_CODE[r.source ?? 'scheduled'],
        };
      });
      return withPgTx(pool, async (client): Promise<IngestResult> => {
        const result = {
          batchId,
          inserted: 0,
          versioned: 0,
          unchanged: 0,
          conflicts: 0,
          duplicateBatch: false,
        };
        const keepCurrent = batch.onDifferent === 'keep-current';
        try {
          const claimed = await client.query(
            `INSERT INTO ingest_batches (batch_id, received_at, row_count) VALUES ($1, ${t('$2')}, $3)
             ON CONFLICT DO NOTHING`,
            [batchId, receivedAt, rows.length],
          );
          if (claimed.rowCount === 0) return { ...result, duplicateBatch: true };
          if (rows.length === 0) return result;
          if (!staged.has(client)) {
            await client.query(STAGE_DDL);
            staged.add(client);
          }
          await copyIn(client, rows);
          for (let round = 0; round < roundSizes.length; round++) {
            const size = roundSizes[round]!;
            const first = await client.query<{ n: number }>(INSERT_FIRST, [round, receivedAt]);
            let stored = first.rows[0]!.n;
            result.inserted += stored;
            if (keepCurrent) {
              for (let attempt = 0; stored < size && attempt < 50; attempt++) {
                const r = await client.query<{ c: number; n: number }>(INSERT_CONFLICTS, [
                  round,
                  receivedAt,
                  QualityFlag.conflict,
                  CONFLICT_REASON,
                ]);
                const { c, n } = r.rows[0]!;
                result.conflicts += n;
                stored += n;
                if (n === c) break;
              }
              result.unchanged += size - stored;
              continue;
            }
            for (let attempt = 0; stored < size && attempt < 50; attempt++) {
              const r = await client.query<{ c: number; n: number; v: number }>(INSERT_VERSIONS, [
                round,
                receivedAt,
              ]);
              const { c, n, v } = r.rows[0]!;
              result.inserted += n - v;
              result.versioned += v;
              stored += n;
              if (n === c) break;
            }
            result.unchanged += size - stored;
          }
          if (announce) {
            // Announced in the same transaction: a batch is stored and announced, or neither.
            const messages = readingsStoredRows(batchId, batch.readings, meterOf, receivedAt);
            await client.query(BUMP_LAST_AND_ANNOUNCE, [JSON.stringify(messages)]);
          } else {
            await client.query(BUMP_LAST);
          }
          return result;
        } catch (e) {
          staged.delete(client);
          throw e;
        }
      });
    },

    async isBatchStored(batchId) {
      return (await q('SELECT 1 FROM ingest_batches WHERE batch_id = $1', [batchId])).length > 0;
    },

    async series(query) {
      checkRange(query.from, query.to);
      const limit = checked(() => pageLimit(query.limit));
      const all = query.versions === 'all';
      const after = cursorNumbers(query.cursor, all ? 2 : 1);
      const rows = all
        ? await q(
            `SELECT ${READING_COLS} FROM readings WHERE channel_id = $1 AND ts >= ${t('$2')} AND ts < ${t('$3')}
             AND (ts, version) > (${t('$4')}, $5) ORDER BY ts, version LIMIT $6`,
            [query.channelId, query.from, query.to, after?.[0] ?? 0, after?.[1] ?? 0, limit + 1],
          )
        : await q(
            `SELECT DISTINCT ON (ts) ${READING_COLS} FROM readings
             WHERE channel_id = $1 AND ts >= ${t('$2')} AND ts < ${t('$3')}
             ORDER BY ts, version DESC LIMIT $4`,
            [query.channelId, Math.max(query.from, after ? after[0]! + 1 : query.from), query.to, limit + 1],
          );
      const items: Reading[] = rows.map((r) => readingOf(query.channelId, r));
      return pageOf(items, limit, (r) => (all ? [r.ts, r.version] : [r.ts]));
    },

    async history(channelId, ts) {
      const rows = await q(
        `SELECT ${READING_COLS} FROM readings WHERE channel_id = $1 AND ts = ${t('$2')} ORDER BY version`,
        [channelId, ts],
      );
      return rows.map((r) => readingOf(channelId, r));
    },

    async aggregate(query) {
      checkRange(query.from, query.to);
      if (rollupApplies(query.from, query.to, query.bucket)) {
        const days = await q<DayRollup>(
          `SELECT channel_id AS c, ${ms('day')} AS day, sum, count, min, max, dirty FROM reading_days
           WHERE channel_id = $1 AND day >= ${t('$2')} AND day < ${t('$3')}`,
          [query.channelId, query.from, query.to],
        );
        const folded = foldRollup(days, query.bucket, query.fn);
        if (folded) {
          // The day rollups hold no quality: estimates are counted from the rows that are.
          const est = await q<{ b: number; n: number }>(
            `SELECT ${bucketExpr(query.bucket)} AS b, count(*)::int AS n
             FROM (SELECT DISTINCT ON (ts) ts, quality FROM readings
                   WHERE channel_id = $1 AND ts > ${t('$2')} AND ts <= ${t('$3')} ORDER BY ts, version DESC) x
             WHERE quality & ${QualityFlag.estimated} <> 0 GROUP BY 1`,
            [query.channelId, query.from, query.to],
          );
          const estOf = new Map(est.map((r) => [Number(r.b), Number(r.n)]));
          return [...folded]
            .map(([k, p]) => {
              const bucketStart = Number(k.split(':')[1]);
              return {
                bucketStart,
                value: finish(p, query.fn),
                count: p.count,
                ...estimatedOf(estOf.get(bucketStart)),
              };
            })
            .sort((a, b) => a.bucketStart - b.bucketStart);
        }
      }
      const rows = await q<Partial & { b: number; est: number }>(
        `SELECT ${bucketExpr(query.bucket)} AS b, sum(value) AS sum, count(*)::int AS count, min(value) AS min,
           max(value) AS max, count(*) FILTER (WHERE quality & ${QualityFlag.estimated} <> 0)::int AS est
         FROM (SELECT DISTINCT ON (ts) ts, value, quality FROM readings
               WHERE channel_id = $1 AND ts > ${t('$2')} AND ts <= ${t('$3')} ORDER BY ts, version DESC) x
         GROUP BY 1 ORDER BY 1`,
        [query.channelId, query.from, query.to],
      );
      return rows.map(
        (r): AggregatePoint => ({
          bucketStart: Number(r.b),
          value: finish(r, query.fn),
          count: Number(r.count),
          ...estimatedOf(Number(r.est)),
        }),
      );
    },

    async aggregateGroup(query) {
      checkRange(query.from, query.to);
      const limit = checked(() => pageLimit(query.limit));
      const obis = checked(() => normalizeObis('obis', query.obis));
      const after = cursorNumbers(query.cursor, 1)?.[0] ?? 0;
      const channels = await q<{ id: number; meter_id: number }>(
        `SELECT id, meter_id FROM channels WHERE obis = $1 AND attribute = $2 AND meter_id = ANY($3::int8[])
         AND meter_id > $4 ORDER BY meter_id, id`,
        [obis, query.attribute, query.meterIds, after],
      );
      const take = channels.slice(
        0,
        Math.max(1, Math.floor(limit / bucketCount(query.from, query.to, query.bucket))),
      );
      const meterOf = new Map(take.map((c) => [Number(c.id), Number(c.meter_id)]));
      const ids = [...meterOf.keys()];
      let parts: Map<string, Partial> | null = null;
      if (rollupApplies(query.from, query.to, query.bucket)) {
        const days = await q<DayRollup>(
          `SELECT channel_id AS c, ${ms('day')} AS day, sum, count, min, max, dirty FROM reading_days
           WHERE channel_id = ANY($1::int[]) AND day >= ${t('$2')} AND day < ${t('$3')}`,
          [ids, query.from, query.to],
        );
        parts = foldRollup(days, query.bucket, query.fn);
      }
      if (parts === null) {
        parts = new Map<string, Partial>();
        const rows = await q<Partial & { b: number; c: number }>(
          `SELECT channel_id AS c, ${bucketExpr(query.bucket)} AS b, sum(value) AS sum, count(*)::int AS count,
             min(value) AS min, max(value) AS max
           FROM (SELECT DISTINCT ON (channel_id, ts) channel_id, ts, value FROM readings
                 WHERE channel_id = ANY($1::int[]) AND ts > ${t('$2')} AND ts <= ${t('$3')}
                 ORDER BY channel_id, ts, version DESC) x
           GROUP BY 1, 2`,
          [ids, query.from, query.to],
        );
        for (const r of rows) mergePartial(parts, `${r.c}:${r.b}`, r);
      }
      return groupPage(parts, meterOf, take, channels.length, query.fn);
    },

    async latestForMeter(meterId) {
      const rows = await q<Record<string, unknown> & { channel_id: number }>(
        `SELECT DISTINCT ON (r.channel_id) r.channel_id, ${ms('r.ts')} AS ts, r.version, r.value, r.quality, r.reasons,
           r.source, ${ms('r.received_at')} AS received_at
         FROM channels c JOIN readings r ON r.channel_id = c.id AND r.ts = c.last_ts
         WHERE c.meter_id = $1 ORDER BY r.channel_id, r.version DESC`,
        [meterId],
      );
      return rows.map((r) => readingOf(Number(r.channel_id), r));
    },

    async completeness(query) {
      checkDays(query.fromDay, query.toDay);
      const limit = checked(() => pageLimit(query.limit));
      const after = cursorNumbers(query.cursor, 1)?.[0] ?? 0;
      const { take, more } = completenessMeters(query.meterIds, after, query.fromDay, query.toDay, limit);
      const channels = (
        await q<{ id: number; meter_id: number; interval_s: number }>(
          `SELECT id, meter_id, interval_s FROM channels WHERE kind = 'interval' AND meter_id = ANY($1::int8[])`,
          [take],
        )
      ).map((c) => ({
        id: Number(c.id),
        meterId: Number(c.meter_id),
        intervalSeconds: Number(c.interval_s),
      }));
      // The rollup counts each instant once, when its first version is stored.
      const present = await q<{ c: number; d: number; n: number }>(
        `SELECT channel_id AS c, ${ms('day')} AS d, count AS n FROM reading_days
         WHERE channel_id = ANY($1::int[]) AND day >= ${t('$2')} AND day < ${t('$3')}`,
        [channels.map((c) => c.id), query.fromDay, query.toDay],
      );
      return completenessPage(
        take,
        more,
        query.fromDay,
        query.toDay,
        channels,
        present.map((p) => ({ channelId: Number(p.c), day: Number(p.d), n: Number(p.n) })),
      );
    },
  };
  return store;
}
