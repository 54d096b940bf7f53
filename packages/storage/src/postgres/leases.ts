import { randomUUID } from 'node:crypto';
import type { LeaderLock, Lease, MeterLease } from '@openhes/core';
import pg from 'pg';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { postgresMigrations } from '../migrations/postgres.ts';
import { migratePostgres } from '../migrations/runner.ts';
import { mapPgError } from './exec.ts';

/**
 * Meter leases and leader locks shared by every process on one PostgreSQL database.
 *
 * Why a `leases` table with an expiry rather than session advisory locks on a dedicated
 * connection (the other obvious design):
 * - The port promises a ttl: a lease not renewed in time is lost. A process that is alive but
 *   stuck (a blocked event loop, a hung session) keeps its connection, so an advisory lock
 *   would never let go; an expiry does, after the ttl.
 * - An advisory lock vanishes with its connection and the holder learns it only on its next
 *   query: after a network blip the database may already have handed the meter to another
 *   process while this one still believes it holds it. With the table nothing is lost
 *   silently: a lease is held until `expires_at` (database clock, so the processes' clocks
 *   do not matter) and renew() tells the holder when it is not.
 * - It works through transaction-pooling proxies (PgBouncer) and any pool; advisory session
 *   locks need one pinned connection per process and re-enter for the same session (two
 *   sessions of one process to one meter would both get it).
 * The price is one small write per acquire, renew and release, and a dead process's meters
 * come free only after their ttl (closing the adapter frees them at once). Renewing at a
 * third of the ttl keeps ttls short.
 *
 * Acquire is one statement: insert the key, or take it over only if its lease has expired;
 * concurrent acquirers serialise on the key's unique index, so exactly one wins.
 */
export interface PgLeaseConfig {
  url: string;
  /** Schema of the store (migrated here too if needed); default `public`. */
  schema?: string;
  /** Connections for lease traffic; default 2. */
  poolSize?: number;
}

export interface PgLeases {
  readonly meters: MeterLease;
  readonly leader: LeaderLock;
  /** Identifies this adapter's leases in the table (`owner`); the pool's application_name. */
  readonly owner: string;
  /** Releases every lease this adapter holds and closes its connections. */
  close(): Promise<void>;
}

const ACQUIRE = `INSERT INTO leases AS l (key, holder, owner, token, expires_at)
  VALUES ($1, $2, $3, $4, clock_timestamp() + $5 * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, owner = excluded.owner, token = excluded.token,
    expires_at = excluded.expires_at
  WHERE l.expires_at <= clock_timestamp()
  RETURNING token`;
const RENEW = `UPDATE leases SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
  WHERE key = $1 AND token = $2 AND expires_at > clock_timestamp()`;
const RELEASE = 'DELETE FROM leases WHERE key = $1 AND token = $2';
const RELEASE_ALL = 'DELETE FROM leases WHERE owner = $1';

function invalid(message: string, detail: Record<string, unknown>): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, message, {
    detail: { reason: 'STORAGE_BAD_LEASE', ...detail },
  });
}

function checkArgs(holder: unknown, ttlMs: unknown): void {
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 256) {
    throw invalid('holder must be a string of 1..256 characters', { field: 'holder' });
  }
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw invalid('ttlMs must be a positive integer', { field: 'ttlMs', ttlMs });
  }
}

export async function openPgLeases(config: PgLeaseConfig): Promise<PgLeases> {
  const schema = config.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw invalid(`invalid schema name ${schema}`, { field: 'schema' });
  }
  const owner = `leases-${randomUUID()}`;
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 2,
    options: `-c search_path=${schema} -c client_min_messages=warning`,
    application_name: `openhes:${owner}`,
  });
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((e) => {
        if ((e as { code?: string }).code !== '23505') throw e;
      });
      await migratePostgres(client, postgresMigrations);
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw mapPgError(e);
  }
  let closed = false;

  async function query(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    if (closed) throw new StorageError(StorageErrorCode.Closed, 'lease adapter is closed');
    try {
      return await pool.query(sql, params);
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async function acquire(key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    checkArgs(holder, ttlMs);
    const token = randomUUID();
    const r = await query(ACQUIRE, [key, holder, owner, token, ttlMs]);
    if (r.rowCount !== 1) return null;
    let released = false;
    return {
      key,
      holder,
      async renew() {
        if (released || closed) return false;
        try {
          return (await query(RENEW, [key, token, ttlMs])).rowCount === 1;
        } catch (e) {
          // Unreachable database: the lease cannot be confirmed, so the holder must stop.
          if (e instanceof StorageError && e.kind === 'unavailable') return false;
          throw e;
        }
      },
      async release() {
        if (released || closed) return;
        released = true;
        await query(RELEASE, [key, token]);
      },
    };
  }

  return {
    owner,
    meters: {
      async tryAcquire(meterId, holder, ttlMs) {
        if (typeof meterId !== 'number' || !Number.isSafeInteger(meterId) || meterId <= 0) {
          throw invalid('meterId must be a positive integer', { field: 'meterId', meterId });
        }
        return acquire(`meter:${meterId}`, holder, ttlMs);
      },
    },
    leader: {
      async tryAcquire(name, holder, ttlMs) {
        if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
          throw invalid('name must be a string of 1..200 characters', { field: 'name' });
        }
        return acquire(`leader:${name}`, holder, ttlMs);
      },
    },
    async close() {
      if (closed) return;
      // When the database is unreachable the leases run out by their ttl instead.
      await query(RELEASE_ALL, [owner]).catch(() => undefined);
      closed = true;
      await pool.end();
    },
  };
}
