import type { Clock, MaintenancePort, RetentionPolicy, Store } from '@openhes/core';
import Database from 'better-sqlite3';
import type { EntityContext } from '../entities/context.ts';
import { assembleStore } from '../entities/index.ts';
import { OUTBOX_SCHEMA_VERSION } from '../entities/outbox.ts';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { migrateSqlite } from '../migrations/runner.ts';
import { sqliteMigrations } from '../migrations/sqlite.ts';
import { type PeriodSize, periodOf, periodsBetween } from '../sql/periods.ts';
import { mapSqliteError, SqliteExec } from './exec.ts';
import { SqliteReadingTables } from './periods.ts';
import { createSqliteReadingStore } from './readings.ts';

export interface SqliteStoreOptions {
  path: string;
  clock?: Clock;
  /** Reading table period, fixed when the file is created. Default `month`. */
  period?: PeriodSize;
  /**
   * `full` (default) syncs the WAL on every commit so an acknowledged batch survives power
   * loss; `normal` survives a process crash only.
   */
  durability?: 'full' | 'normal';
  /** Page cache in MiB. */
  cacheMiB?: number;
  /** Stop migrating at this version (tests of upgrades from an older schema). */
  migrateTo?: number;
  /**
   * Tests only: wraps the connection every store statement runs on once the schema is in
   * place (fault injection, e.g. a full disk where mounting a tiny file system is not allowed).
   */
  wrapDatabase?: (db: Database.Database) => Database.Database;
}

const DAY = 86_400_000;
const PROBE_FILL = '.'.repeat(16_384);

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  let db: Database.Database;
  try {
    db = new Database(opts.path);
  } catch (e) {
    throw new StorageError(StorageErrorCode.Unavailable, `cannot open ${opts.path}`, {
      cause: e,
      retryable: false,
    });
  }
  let version: number;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = ${-1024 * (opts.cacheMiB ?? 64)}`);
    db.pragma('temp_store = MEMORY');
    version = migrateSqlite(db, sqliteMigrations, opts.migrateTo);
  } catch (e) {
    db.close();
    throw mapSqliteError(e);
  }
  const clock = opts.clock ?? { now: () => Date.now() };
  const conn = opts.wrapDatabase ? opts.wrapDatabase(db) : db;
  const exec = new SqliteExec(conn);
  const saved = db.prepare("SELECT value FROM store_meta WHERE key = 'reading_period'").pluck().get() as
    | PeriodSize
    | undefined;
  const size: PeriodSize = saved ?? opts.period ?? 'month';
  if (!saved) db.prepare("INSERT INTO store_meta (key, value) VALUES ('reading_period', ?)").run(size);
  const tables = new SqliteReadingTables(conn, size);
  const outbox = version >= OUTBOX_SCHEMA_VERSION;
  const ctx: EntityContext = { exec, clock, ensurePeriods: async () => undefined, outbox };
  let closed = false;

  /**
   * A write of maintenance on the connection, in the FIFO lock, failures as typed errors; the
   * reading tables known in memory are read again after a failure (a rolled-back create/drop).
   */
  const writeLocked = <T>(fn: () => T): Promise<T> =>
    exec.lock.run(() => {
      try {
        return fn();
      } catch (e) {
        try {
          tables.reload();
        } catch {
          // The first failure is the one to report.
        }
        throw mapSqliteError(e);
      }
    });

  const maintenance: MaintenancePort = {
    async probeWrite() {
      // 16 KiB committed through the same path as every write: a disk that cannot take this
      // cannot take an ingest batch either.
      await exec.run(
        "INSERT INTO store_meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [`${clock.now()} ${PROBE_FILL}`],
      );
    },
    async ensurePeriods(range) {
      return writeLocked(() =>
        conn.transaction(() =>
          periodsBetween(range.from, range.to, size).map((p) => tables.create(p).name),
        )(),
      );
    },
    async applyRetention(policy: RetentionPolicy, now) {
      return writeLocked(() =>
        conn.transaction(() => {
          const dropped: string[] = [];
          if (policy.readingsDays !== undefined) {
            const cutoff = now - policy.readingsDays * DAY;
            dropped.push(...tables.dropBefore(cutoff));
            conn.prepare('DELETE FROM reading_days WHERE day < ?').run(periodOf(cutoff, size).start);
            conn.prepare('DELETE FROM ingest_batches WHERE received_at < ?').run(cutoff);
          }
          // These kinds are not split into tables in SQLite: whole months are deleted.
          for (const [days, table, col] of [
            [policy.eventsDays, 'events', 'ts'],
            [policy.collectionDays, 'collection_outcomes', 'started_at'],
            [policy.auditDays, 'audit_log', 'at'],
          ] as const) {
            if (days === undefined) continue;
            const monthStart = periodOf(now - days * DAY, 'month');
            const n = conn.prepare(`DELETE FROM ${table} WHERE ${col} < ?`).run(monthStart.start).changes;
            if (n > 0) dropped.push(`${table}<${monthStart.label}`);
          }
          return { droppedPeriods: dropped };
        })(),
      );
    },
  };

  return assembleStore(ctx, {
    readings: createSqliteReadingStore(exec, tables, clock, outbox),
    maintenance,
    async close() {
      if (closed) return;
      closed = true;
      await exec.lock.run(() => db.close());
    },
  });
}
