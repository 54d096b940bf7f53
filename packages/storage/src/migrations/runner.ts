import type Database from 'better-sqlite3';
import type pg from 'pg';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { mapPgError } from '../postgres/exec.ts';
import { mapSqliteError } from '../sqlite/exec.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const LEDGER_SQLITE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`;
const LEDGER_PG = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

function tooNew(found: number, known: number): StorageError {
  return new StorageError(
    StorageErrorCode.SchemaTooNew,
    `database schema version ${found} is newer than this code (${known}); upgrade the code`,
    { detail: { found, known } },
  );
}

function failed(m: Migration, e: unknown): StorageError {
  const mapped = e instanceof StorageError ? e : undefined;
  return new StorageError(StorageErrorCode.MigrationFailed, `migration ${m.version} (${m.name}) failed`, {
    cause: mapped ?? e,
    detail: { version: m.version },
  });
}

/** Applies pending migrations, each in its own transaction; returns the resulting version. */
export function migrateSqlite(
  db: Database.Database,
  migrations: readonly Migration[],
  upTo?: number,
): number {
  db.exec(LEDGER_SQLITE);
  const known = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  let current = row.v ?? 0;
  if (current > known) throw tooNew(current, known);
  for (const m of migrations) {
    if (m.version <= current || (upTo !== undefined && m.version > upTo)) continue;
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw failed(m, mapSqliteError(e));
    }
    current = m.version;
  }
  return current;
}

/** Same contract as migrateSqlite; an advisory lock keeps concurrent starters in line. */
export async function migratePostgres(
  client: pg.PoolClient,
  migrations: readonly Migration[],
  upTo?: number,
): Promise<number> {
  const known = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  await client.query("SELECT pg_advisory_lock(hashtext(current_schema() || ':openhes-migrations'))");
  try {
    await client.query(LEDGER_PG);
    const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    let current = r.rows[0]?.v ?? 0;
    if (current > known) throw tooNew(current, known);
    for (const m of migrations) {
      if (m.version <= current || (upTo !== undefined && m.version > upTo)) continue;
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw failed(m, mapPgError(e));
      }
      current = m.version;
    }
    return current;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext(current_schema() || ':openhes-migrations'))");
  }
}
