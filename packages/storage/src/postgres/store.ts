import type { MaintenancePort, RetentionPolicy, Store } from '@openhes/core';
import pg from 'pg';
import type { PostgresConfig } from '../config.ts';
import type { EntityContext } from '../entities/context.ts';
import { assembleStore } from '../entities/index.ts';
import { OUTBOX_SCHEMA_VERSION } from '../entities/outbox.ts';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { postgresMigrations } from '../migrations/postgres.ts';
import { migratePostgres } from '../migrations/runner.ts';
import { type PeriodSize, periodOf } from '../sql/periods.ts';
import { mapPgError, PgExec } from './exec.ts';
import { PgPartitions } from './partitions.ts';
import { createPgReadingStore } from './readings.ts';

const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const DAY = 86_400_000;

export async function openPostgresStore(config: PostgresConfig): Promise<Store> {
  const schema = config.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StorageError(StorageErrorCode.InvalidInput, `invalid schema name ${schema}`, {
      detail: { reason: 'STORAGE_BAD_SCHEMA' },
    });
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 8,
    options: `-c search_path=${schema} -c client_min_messages=warning`,
    types,
  });
  pool.on('error', () => undefined);
  let partitions: PgPartitions;
  let size: PeriodSize;
  let version: number;
  try {
    const client = await pool.connect().catch((e) => {
      throw mapPgError(e);
    });
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((e) => {
        if ((e as { code?: string }).code !== '23505') throw e;
      });
      version = await migratePostgres(client, postgresMigrations, config.migrateTo);
      await client.query(
        "INSERT INTO store_meta (key, value) VALUES ('reading_period', $1) ON CONFLICT (key) DO NOTHING",
        [config.period ?? 'month'],
      );
      const r = await client.query<{ value: PeriodSize }>(
        "SELECT value FROM store_meta WHERE key = 'reading_period'",
      );
      size = r.rows[0]!.value;
    } finally {
      client.release();
    }
    partitions = new PgPartitions(pool, size);
    await partitions.load();
  } catch (e) {
    await pool.end();
    throw mapPgError(e);
  }
  const clock = config.clock ?? { now: () => Date.now() };
  const exec = new PgExec(pool, pool);
  const outbox = version >= OUTBOX_SCHEMA_VERSION;
  const ctx: EntityContext = {
    exec,
    clock,
    outbox,
    ensurePeriods: (kind, instants) => partitions.ensure(kind, instants),
  };

  const maintenance: MaintenancePort = {
    async probeWrite() {
      await exec.run(
        "INSERT INTO store_meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(clock.now())],
      );
    },
    async ensurePeriods(range) {
      const names: string[] = [];
      for (const kind of ['readings', 'events', 'collection'] as const) {
        names.push(...(await partitions.ensureRange(kind, range.from, range.to)));
      }
      return names;
    },
    async applyRetention(policy: RetentionPolicy, now) {
      const dropped: string[] = [];
      for (const [days, kind] of [
        [policy.readingsDays, 'readings'],
        [policy.eventsDays, 'events'],
        [policy.collectionDays, 'collection'],
      ] as const) {
        if (days === undefined) continue;
        dropped.push(...(await partitions.dropBefore(kind, now - days * DAY)));
      }
      if (policy.readingsDays !== undefined) {
        const boundary = periodOf(now - policy.readingsDays * DAY, size).start;
        await exec.run(`DELETE FROM reading_days WHERE day < ${exec.dialect.t('?')}`, [boundary]);
        await exec.run(`DELETE FROM ingest_batches WHERE received_at < ${exec.dialect.t('?')}`, [
          now - policy.readingsDays * DAY,
        ]);
      }
      if (policy.auditDays !== undefined) {
        const month = periodOf(now - policy.auditDays * DAY, 'month');
        const n = await exec.run(`DELETE FROM audit_log WHERE at < ${exec.dialect.t('?')}`, [month.start]);
        if (n > 0) dropped.push(`audit_log<${month.label}`);
      }
      return { droppedPeriods: dropped };
    },
  };

  const ahead = config.periodsAhead ?? 2;
  if (ahead > 0 && (config.migrateTo === undefined || config.migrateTo >= 2)) {
    const now = clock.now();
    await maintenance.ensurePeriods({ from: now, to: now + ahead * 31 * DAY });
  }
  let closed = false;
  return assembleStore(ctx, {
    readings: createPgReadingStore(pool, partitions, clock, {
      copyFormat: config.copyFormat ?? 'binary',
      outbox,
    }),
    maintenance,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  });
}
