import { randomUUID } from 'node:crypto';
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
  type ReadingBatch,
  type ReadingBulkReader,
  type ReadingStore,
  validateReadingInput,
  validateText,
} from '@openhes/core';
import { readingsStoredRows } from '../entities/outbox.ts';
import {
  finish,
  mergePartial,
  type Partial,
  readingOf,
  reasonsOf,
  reasonsText,
  SOURCE_CODE,
  sourceOf,
} from '../sql/codes.ts';
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
import { mapSqliteError, type SqliteExec } from './exec.ts';
import type { SqliteReadingTables } from './periods.ts';

const DAY = 86_400_000;
/** Keeps a packed version (kept-aside ones are <= 0) non-negative in `currentMany`'s read. */
const VERSION_BIAS = 1_073_741_824;

/** An aggregate point's count of estimates, present only when some values are estimates. */
function estimatedOf(n: number | undefined): { estimated?: number } {
  return n !== undefined && n > 0 ? { estimated: n } : {};
}

function bucketExpr(bucket: Bucket): string {
  if (bucket === 'month') {
    return "CAST(strftime('%s', (ts - 1) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000";
  }
  const size = BUCKET_MS[bucket];
  return `((ts - 1) / ${size}) * ${size}`;
}

interface DayDelta {
  channelId: number;
  day: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  dirty: boolean;
}

/**
 * Accumulates one reading's effect on its channel-day rollup (`sum` is a delta). Keyed by a
 * number (channel id × 2^16 + day index; ids stay far below 2^37) to spare a string per row.
 */
function addDay(
  days: Map<number, DayDelta>,
  channelId: number,
  ts: number,
  sum: number,
  count: number,
  dirty: boolean,
  value = sum,
): void {
  const index = Math.floor((ts - 1) / DAY);
  const key = channelId * 65_536 + index;
  const d = days.get(key);
  if (!d) {
    days.set(key, { channelId, day: index * DAY, sum, count, min: value, max: value, dirty });
    return;
  }
  d.sum += sum;
  d.count += count;
  if (value < d.min) d.min = value;
  if (value > d.max) d.max = value;
  d.dirty ||= dirty;
}

export function createSqliteReadingStore(
  exec: SqliteExec,
  tables: SqliteReadingTables,
  clock: Clock,
  /** False when the schema predates the outbox (opened with `migrateTo` < 4). */
  announce = true,
): ReadingStore & ReadingBulkReader {
  const db = exec.db;
  /** Channel id → meter id of every channel seen (channels never move between meters). */
  const known = new Map<number, number>();
  const checkBatch = db.prepare('SELECT 1 FROM ingest_batches WHERE batch_id = ?').pluck();
  const insertBatch = db.prepare(
    'INSERT OR IGNORE INTO ingest_batches (batch_id, received_at, row_count) VALUES (?, ?, ?)',
  );
  const bumpLast = db.prepare(
    'UPDATE channels SET last_ts = ? WHERE id = ? AND (last_ts IS NULL OR last_ts < ?)',
  );
  const bumpDay = db.prepare(
    `INSERT INTO reading_days (channel_id, day, sum, count, min, max, dirty) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (channel_id, day) DO UPDATE SET sum = sum + excluded.sum, count = count + excluded.count,
       min = min(min, excluded.min), max = max(max, excluded.max), dirty = dirty OR excluded.dirty`,
  );
  const findChannels = db
    .prepare('SELECT id, meter_id FROM channels WHERE id IN (SELECT value FROM json_each(?))')
    .raw();
  const insertOutbox = announce
    ? db.prepare('INSERT INTO outbox (id, type, key, at, payload) VALUES (?, ?, ?, ?, ?)')
    : null;
  const meterOf = (channelId: number) => known.get(channelId)!;

  function checkChannels(ids: Iterable<number>): void {
    const missing: number[] = [];
    for (const id of ids) if (!known.has(id)) missing.push(id);
    if (missing.length === 0) return;
    const found = new Map(findChannels.all(JSON.stringify(missing)) as [number, number][]);
    for (const id of missing) {
      const meterId = found.get(id);
      if (meterId === undefined) throw notFound('channel', { channelId: id });
      known.set(id, meterId);
    }
  }

  const ingestTx = db.transaction(
    (batch: ReadingBatch, batchId: string, receivedAt: number): IngestResult => {
      const result = {
        batchId,
        inserted: 0,
        versioned: 0,
        unchanged: 0,
        conflicts: 0,
        duplicateBatch: false,
      };
      const keepCurrent = batch.onDifferent === 'keep-current';
      if (insertBatch.run(batchId, receivedAt, batch.readings.length).changes === 0) {
        return { ...result, duplicateBatch: true };
      }
      const lastTs = new Map<number, number>();
      const days = new Map<number, DayDelta>();
      for (const r of batch.readings) {
        const t = tables.forInstant(r.ts);
        const quality = r.quality ?? 0;
        const reasons = reasonsText(r.reasons);
        const source = SOURCE_CODE[r.source ?? 'scheduled'];
        if (
          t.insertFirst.run(r.channelId, r.ts, r.value, quality, reasons, source, receivedAt).changes === 1
        ) {
          result.inserted++;
          addDay(days, r.channelId, r.ts, r.value, 1, false);
        } else {
          const [version, value, q, why] = t.newest.get(r.channelId, r.ts) as [
            number,
            number,
            number,
            string | null,
          ];
          if (keepCurrent) {
            // A push (or another less trusted source) never replaces what is stored: a
            // different value is kept beside it as a conflict, the stored value stays current.
            if (value === r.value) {
              result.unchanged++;
            } else {
              const kept = exec
                .prepare(
                  `SELECT version, value FROM ${t.name} WHERE channel_id = ? AND ts = ? AND version <= 0`,
                )
                .raw()
                .all(r.channelId, r.ts) as [number, number][];
              if (kept.some(([, v]) => v === r.value)) {
                result.unchanged++;
              } else {
                const lowest = kept.reduce((lo, [v]) => Math.min(lo, v), 1);
                t.insertVersion.run(
                  r.channelId,
                  r.ts,
                  lowest - 1,
                  r.value,
                  quality | QualityFlag.conflict,
                  reasonsText([...(r.reasons ?? []), CONFLICT_REASON]),
                  source,
                  receivedAt,
                );
                result.conflicts++;
              }
            }
          } else if (value === r.value && q === quality && why === reasons) {
            result.unchanged++;
          } else {
            t.insertVersion.run(
              r.channelId,
              r.ts,
              version + 1,
              r.value,
              quality,
              reasons,
              source,
              receivedAt,
            );
            result.versioned++;
            addDay(days, r.channelId, r.ts, r.value - value, 0, true, r.value);
          }
        }
        const prev = lastTs.get(r.channelId);
        if (prev === undefined || r.ts > prev) lastTs.set(r.channelId, r.ts);
      }
      for (const [channelId, ts] of lastTs) bumpLast.run(ts, channelId, ts);
      for (const d of days.values())
        bumpDay.run(d.channelId, d.day, d.sum, d.count, d.min, d.max, d.dirty ? 1 : 0);
      // Announced in the same transaction: a batch is stored and announced, or neither.
      if (insertOutbox !== null) {
        for (const m of readingsStoredRows(batchId, batch.readings, meterOf, receivedAt))
          insertOutbox.run(m.id, m.type, m.key, m.at, m.payload);
      }
      return result;
    },
  );

  async function locked<T>(fn: () => T): Promise<T> {
    return exec.lock.run(() => {
      try {
        return fn();
      } catch (e) {
        throw mapSqliteError(e);
      }
    });
  }

  /**
   * Appends the newest version of each instant in [from, to) to `out` until it holds `max`.
   * Rows come in key order (ts, version), so the newest version of an instant is the last
   * row with that ts; a fetch cut inside an instant's versions is resumed from that instant.
   */
  function newestPerInstant(
    table: string,
    channelId: number,
    from: number,
    to: number,
    max: number,
    out: Reading[],
  ) {
    const stmt = exec
      .prepare(
        `SELECT ts, version, value, quality, reasons, source, received_at FROM ${table}
         WHERE channel_id = ? AND ts >= ? AND ts < ? ORDER BY ts, version LIMIT ?`,
      )
      .raw();
    let start = from;
    while (out.length < max) {
      const want = max - out.length + 8;
      const rows = stmt.all(channelId, start, to, want) as unknown[][];
      const cut = rows.length === want;
      const end = cut ? rows.findLastIndex((r) => r[0] !== rows[rows.length - 1]![0]) + 1 : rows.length;
      for (let i = 0; i < end && out.length < max; i++) {
        const r = rows[i]!;
        const next = rows[i + 1];
        if (next !== undefined && i + 1 < end && next[0] === r[0]) continue;
        out.push({
          channelId,
          ts: r[0] as number,
          version: r[1] as number,
          value: r[2] as number,
          quality: r[3] as number,
          reasons: reasonsOf(r[4]),
          source: sourceOf(r[5] as number),
          receivedAt: r[6] as number,
        });
      }
      if (!cut) return;
      if (end === 0) {
        // One instant has more versions than a fetch holds: take its newest directly.
        const ts = rows[0]?.[0] as number | undefined;
        const newest = exec
          .prepare(
            `SELECT ts, version, value, quality, reasons, source, received_at FROM ${table}
             WHERE channel_id = ? AND ts = ? ORDER BY version DESC LIMIT 1`,
          )
          .get(channelId, ts ?? start) as Record<string, unknown> | undefined;
        if (newest) out.push(readingOf(channelId, newest));
        start = (ts ?? start) + 1;
      } else {
        start = rows[end]![0] as number;
      }
    }
  }

  function rawGroupParts(ids: string, from: number, to: number, bucket: Bucket): Map<string, Partial> {
    const parts = new Map<string, Partial>();
    for (const t of tables.overlapping(from + 1, to + 1)) {
      const rows = exec
        .prepare(
          `SELECT channel_id AS c, ${bucketExpr(bucket)} AS b, sum(v) AS sum, count(*) AS count,
             min(v) AS min, max(v) AS max
           FROM (SELECT channel_id, ts, max(version), value AS v FROM ${t.name}
                 WHERE channel_id IN (SELECT value FROM json_each(?)) AND ts > ? AND ts <= ?
                 GROUP BY channel_id, ts)
           GROUP BY channel_id, b`,
        )
        .all(ids, from, to) as (Partial & { b: number; c: number })[];
      for (const r of rows) mergePartial(parts, `${r.c}:${r.b}`, r);
    }
    return parts;
  }

  /** One channel's newest version per instant in [from, to), every table the range touches. */
  function currentOf(channelId: number, from: number, to: number) {
    const overlap = tables.overlapping(from, to);
    const parts: number[][][] = [];
    let rows = 0;
    for (const t of overlap) {
      const found = exec
        .prepare(
          // Version, quality and source in one column: a third fewer values to hand over.
          `SELECT ts, value, (version + ${VERSION_BIAS}) * 2048 + quality * 8 + source FROM ${t.name}
           WHERE channel_id = ? AND ts >= ? AND ts < ? ORDER BY ts, version`,
        )
        .raw()
        .all(channelId, from, to) as number[][];
      rows += found.length;
      parts.push(found);
    }
    const cols = new CurrentColumns(channelId, rows);
    const estimate = SOURCE_CODE.estimate;
    for (const found of parts) {
      for (const r of found) {
        const packed = r[2]!;
        const source = packed % 8;
        const quality = Math.floor(packed / 8) % 256;
        const version = Math.floor(packed / 2048) - VERSION_BIAS;
        cols.add(r[0]!, version, r[1]!, quality, source === estimate);
      }
    }
    const aside: Reading[] = [];
    for (const ts of cols.asideTs) {
      const t = tables.existing(ts);
      if (!t) continue;
      const versions = exec
        .prepare(
          `SELECT ts, version, value, quality, reasons, source, received_at FROM ${t.name}
           WHERE channel_id = ? AND ts = ? ORDER BY version`,
        )
        .all(channelId, ts) as Record<string, unknown>[];
      for (const r of versions) aside.push(readingOf(channelId, r));
    }
    return cols.finish(aside);
  }

  const store: ReadingStore & ReadingBulkReader = {
    async currentMany(q) {
      const ids = checkCurrentQuery(q);
      return locked(() => ids.map((id) => currentOf(id, q.from, q.to)));
    },

    async ingest(batch) {
      const batchId = batch.id ?? randomUUID();
      checked(() => {
        validateText('batch.id', batchId, 128);
        const readings = batch.readings;
        for (let i = 0; i < readings.length; i++) validateReadingInput(readings[i]!, i);
      });
      const receivedAt = batch.receivedAt ?? clock.now();
      return locked(() => {
        const ids = new Set<number>();
        for (const r of batch.readings) ids.add(r.channelId);
        checkChannels(ids);
        try {
          return ingestTx.immediate(batch, batchId, receivedAt);
        } catch (e) {
          tables.reload();
          throw e;
        }
      });
    },

    async isBatchStored(batchId) {
      return locked(() => checkBatch.get(batchId) !== undefined);
    },

    async series(q) {
      checkRange(q.from, q.to);
      const limit = checked(() => pageLimit(q.limit));
      const all = q.versions === 'all';
      const after = cursorNumbers(q.cursor, all ? 2 : 1);
      const rows: Reading[] = [];
      return locked(() => {
        for (const t of tables.overlapping(after ? after[0]! : q.from, q.to)) {
          if (rows.length > limit) break;
          if (all) {
            const found = exec
              .prepare(
                `SELECT ts, version, value, quality, reasons, source, received_at FROM ${t.name}
                 WHERE channel_id = ? AND (ts, version) > (?, ?) AND ts >= ? AND ts < ? ORDER BY ts, version LIMIT ?`,
              )
              .all(q.channelId, after?.[0] ?? 0, after?.[1] ?? 0, q.from, q.to, limit + 1 - rows.length);
            for (const r of found as Record<string, unknown>[]) rows.push(readingOf(q.channelId, r));
          } else {
            newestPerInstant(
              t.name,
              q.channelId,
              Math.max(q.from, after ? after[0]! + 1 : q.from),
              q.to,
              limit + 1,
              rows,
            );
          }
        }
        return pageOf(rows, limit, (r) => (all ? [r.ts, r.version] : [r.ts]));
      });
    },

    async history(channelId, ts) {
      return locked(() => {
        const t = tables.existing(ts);
        if (!t) return [];
        const rows = exec
          .prepare(
            `SELECT ts, version, value, quality, reasons, source, received_at FROM ${t.name}
             WHERE channel_id = ? AND ts = ? ORDER BY version`,
          )
          .all(channelId, ts) as Record<string, unknown>[];
        return rows.map((r) => readingOf(channelId, r));
      });
    },

    async aggregate(q) {
      checkRange(q.from, q.to);
      return locked(() => {
        if (rollupApplies(q.from, q.to, q.bucket)) {
          const days = exec
            .prepare(
              `SELECT channel_id AS c, day, sum, count, min, max, dirty FROM reading_days
               WHERE channel_id = ? AND day >= ? AND day < ?`,
            )
            .all(q.channelId, q.from, q.to) as DayRollup[];
          const folded = foldRollup(days, q.bucket, q.fn);
          if (folded) {
            // The day rollups hold no quality: estimates are counted from the rows that are.
            const est = new Map<number, number>();
            for (const t of tables.overlapping(q.from + 1, q.to + 1)) {
              const rows = exec
                .prepare(
                  `SELECT ${bucketExpr(q.bucket)} AS b, count(*) AS n
                   FROM (SELECT ts, max(version), quality AS q FROM ${t.name}
                         WHERE channel_id = ? AND ts > ? AND ts <= ? GROUP BY ts)
                   WHERE q & ${QualityFlag.estimated} <> 0 GROUP BY b`,
                )
                .all(q.channelId, q.from, q.to) as { b: number; n: number }[];
              for (const r of rows) est.set(Number(r.b), (est.get(Number(r.b)) ?? 0) + Number(r.n));
            }
            return [...folded]
              .map(([k, p]) => {
                const bucketStart = Number(k.split(':')[1]);
                return {
                  bucketStart,
                  value: finish(p, q.fn),
                  count: p.count,
                  ...estimatedOf(est.get(bucketStart)),
                };
              })
              .sort((a, b) => a.bucketStart - b.bucketStart);
          }
        }
        const parts = new Map<string, Partial>();
        const est = new Map<string, number>();
        for (const t of tables.overlapping(q.from + 1, q.to + 1)) {
          const rows = exec
            .prepare(
              `SELECT ${bucketExpr(q.bucket)} AS b, sum(v) AS sum, count(*) AS count, min(v) AS min, max(v) AS max,
                 sum(q & ${QualityFlag.estimated} <> 0) AS est
               FROM (SELECT ts, max(version), value AS v, quality AS q FROM ${t.name}
                     WHERE channel_id = ? AND ts > ? AND ts <= ? GROUP BY ts) GROUP BY b`,
            )
            .all(q.channelId, q.from, q.to) as (Partial & { b: number; est: number })[];
          for (const r of rows) {
            mergePartial(parts, String(r.b), r);
            est.set(String(r.b), (est.get(String(r.b)) ?? 0) + Number(r.est));
          }
        }
        const out: AggregatePoint[] = [...parts].map(([b, p]) => ({
          bucketStart: Number(b),
          value: finish(p, q.fn),
          count: p.count,
          ...estimatedOf(est.get(b)),
        }));
        return out.sort((a, b) => a.bucketStart - b.bucketStart);
      });
    },

    async aggregateGroup(q) {
      checkRange(q.from, q.to);
      const limit = checked(() => pageLimit(q.limit));
      const obis = checked(() => normalizeObis('obis', q.obis));
      const after = cursorNumbers(q.cursor, 1)?.[0] ?? 0;
      return locked(() => {
        const channels = exec
          .prepare(
            `SELECT id, meter_id FROM channels WHERE obis = ? AND attribute = ?
             AND meter_id IN (SELECT value FROM json_each(?)) AND meter_id > ? ORDER BY meter_id, id`,
          )
          .all(obis, q.attribute, JSON.stringify(q.meterIds), after) as { id: number; meter_id: number }[];
        const perChannel = bucketCount(q.from, q.to, q.bucket);
        const take = channels.slice(0, Math.max(1, Math.floor(limit / perChannel)));
        const meterOf = new Map(take.map((c) => [c.id, c.meter_id]));
        const ids = JSON.stringify(take.map((c) => c.id));
        let parts: Map<string, Partial> | null = null;
        if (rollupApplies(q.from, q.to, q.bucket)) {
          const days = exec
            .prepare(
              `SELECT channel_id AS c, day, sum, count, min, max, dirty FROM reading_days
               WHERE channel_id IN (SELECT value FROM json_each(?)) AND day >= ? AND day < ?`,
            )
            .all(ids, q.from, q.to) as DayRollup[];
          parts = foldRollup(days, q.bucket, q.fn);
        }
        if (parts === null) parts = rawGroupParts(ids, q.from, q.to, q.bucket);
        return groupPage(parts, meterOf, take, channels.length, q.fn);
      });
    },

    async latestForMeter(meterId) {
      return locked(() => {
        const channels = exec
          .prepare('SELECT id, last_ts FROM channels WHERE meter_id = ? AND last_ts IS NOT NULL ORDER BY id')
          .all(meterId) as { id: number; last_ts: number }[];
        const out: Reading[] = [];
        for (const c of channels) {
          const t = tables.existing(c.last_ts);
          if (!t) continue;
          const r = exec
            .prepare(
              `SELECT ts, version, value, quality, reasons, source, received_at FROM ${t.name}
               WHERE channel_id = ? AND ts = ? ORDER BY version DESC LIMIT 1`,
            )
            .get(c.id, c.last_ts) as Record<string, unknown> | undefined;
          if (r) out.push(readingOf(c.id, r));
        }
        return out;
      });
    },

    async completeness(q) {
      checkDays(q.fromDay, q.toDay);
      const limit = checked(() => pageLimit(q.limit));
      const after = cursorNumbers(q.cursor, 1)?.[0] ?? 0;
      const { take, more } = completenessMeters(q.meterIds, after, q.fromDay, q.toDay, limit);
      return locked(() => {
        const channels = (
          exec
            .prepare(
              `SELECT id, meter_id, interval_s FROM channels WHERE kind = 'interval'
               AND meter_id IN (SELECT value FROM json_each(?))`,
            )
            .all(JSON.stringify(take)) as { id: number; meter_id: number; interval_s: number }[]
        ).map((c) => ({ id: c.id, meterId: c.meter_id, intervalSeconds: c.interval_s }));
        // The rollup counts each instant once, when its first version is stored.
        const present = exec
          .prepare(
            `SELECT channel_id AS channelId, day, count AS n FROM reading_days
             WHERE channel_id IN (SELECT value FROM json_each(?)) AND day >= ? AND day < ?`,
          )
          .all(JSON.stringify(channels.map((c) => c.id)), q.fromDay, q.toDay) as {
          channelId: number;
          day: number;
          n: number;
        }[];
        return completenessPage(take, more, q.fromDay, q.toDay, channels, present);
      });
    },
  };
  return store;
}
