import type pg from 'pg';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { type Dialect, postgresDialect, type Row, type SqlExec } from '../sql/exec.ts';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export function mapPgError(e: unknown): unknown {
  if (e instanceof StorageError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') {
    if (e instanceof Error && /Connection terminated|not queryable/i.test(e.message)) {
      return new StorageError(StorageErrorCode.Unavailable, e.message, { cause: e });
    }
    return e;
  }
  const msg = (e as Error).message;
  const detail = { reason: code, constraint: (e as { constraint?: string }).constraint };
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03') {
    return new StorageError(StorageErrorCode.Unavailable, msg, { cause: e, detail });
  }
  // 53100 disk_full; 58030 io_error; 25006 read_only_sql_transaction (a standby or a
  // read-only server): the write was not stored and trying again at once cannot help.
  if (code === '53100') return new StorageError(StorageErrorCode.Full, msg, { cause: e, detail });
  if (code === '58030' || code === '25006')
    return new StorageError(StorageErrorCode.Io, msg, { cause: e, detail });
  if (code.startsWith('53')) return new StorageError(StorageErrorCode.Unavailable, msg, { cause: e, detail });
  if (code === '40P01' || code === '40001' || code === '55P03') {
    return new StorageError(StorageErrorCode.Busy, msg, { cause: e, detail });
  }
  if (code === '23505') return new StorageError(StorageErrorCode.Conflict, msg, { cause: e, detail });
  if (code === '23503') return new StorageError(StorageErrorCode.NotFound, msg, { cause: e, detail });
  if (code.startsWith('22') || code === '23502' || code === '23514') {
    return new StorageError(StorageErrorCode.InvalidInput, msg, { cause: e, detail });
  }
  return new StorageError(StorageErrorCode.Internal, msg, { cause: e, detail });
}

/** Rewrites `?` placeholders to `$n`. Our SQL never has `?` inside literals. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const cache = new Map<string, string>();
function toPg(sql: string): string {
  let s = cache.get(sql);
  if (s === undefined) {
    s = numbered(sql);
    cache.set(sql, s);
  }
  return s;
}

type Queryable = pg.Pool | pg.PoolClient;

export class PgExec implements SqlExec {
  readonly dialect: Dialect = postgresDialect;
  readonly #q: Queryable;
  readonly #pool: pg.Pool | null;

  constructor(q: Queryable, pool: pg.Pool | null) {
    this.#q = q;
    this.#pool = pool;
  }

  async all<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const r = await this.#q.query(toPg(sql), params as unknown[]);
      return r.rows as T[];
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async get<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    try {
      const r = await this.#q.query(toPg(sql), params as unknown[]);
      return r.rowCount ?? 0;
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async tx<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    if (this.#pool === null) return fn(this);
    return withPgTx(this.#pool, (client) => fn(new PgExec(client, null)));
  }
}

/** Runs `fn` in one transaction, retrying whole on deadlock or serialization failure. */
export async function withPgTx<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw mapPgError(e);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const r = await fn(client);
      await client.query('COMMIT');
      return r;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      const mapped = mapPgError(e);
      if (mapped instanceof StorageError && mapped.code === StorageErrorCode.Busy && attempt < attempts)
        continue;
      throw mapped;
    } finally {
      client.release(broken);
    }
  }
}
