import type Database from 'better-sqlite3';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { type Dialect, type Row, type SqlExec, sqliteDialect } from '../sql/exec.ts';
import { Mutex } from '../sql/mutex.ts';

export function mapSqliteError(e: unknown): unknown {
  if (e instanceof StorageError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return e;
  const msg = (e as Error).message;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StorageError(StorageErrorCode.Busy, msg, { cause: e });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StorageError(StorageErrorCode.Conflict, msg, {
      cause: e,
      detail: { reason: 'STORAGE_DUPLICATE' },
    });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StorageError(StorageErrorCode.NotFound, msg, {
      cause: e,
      detail: { reason: 'STORAGE_UNKNOWN_REFERENCE' },
    });
  }
  if (code === 'SQLITE_FULL') {
    return new StorageError(StorageErrorCode.Full, `the disk is full: nothing was stored (${msg})`, {
      cause: e,
      detail: { reason: code },
    });
  }
  if (
    code === 'SQLITE_IOERR' ||
    code.startsWith('SQLITE_IOERR_') ||
    code === 'SQLITE_READONLY' ||
    code.startsWith('SQLITE_READONLY_') ||
    code === 'SQLITE_CANTOPEN' ||
    code.startsWith('SQLITE_CANTOPEN_')
  ) {
    return new StorageError(StorageErrorCode.Io, `the disk refused a write: nothing was stored (${msg})`, {
      cause: e,
      detail: { reason: code },
    });
  }
  if (code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL') {
    return new StorageError(StorageErrorCode.InvalidInput, msg, { cause: e, detail: { reason: code } });
  }
  return new StorageError(StorageErrorCode.Internal, msg, { cause: e, detail: { reason: code } });
}

type Params = readonly unknown[];

/**
 * better-sqlite3 is synchronous; every operation goes through one FIFO lock so an open
 * transaction never interleaves with another caller's statements on the one connection.
 */
export class SqliteExec implements SqlExec {
  readonly dialect: Dialect = sqliteDialect;
  readonly db: Database.Database;
  readonly lock: Mutex;
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #inTx: boolean;

  constructor(
    db: Database.Database,
    lock = new Mutex(),
    inTx = false,
    stmts?: Map<string, Database.Statement>,
  ) {
    this.db = db;
    this.lock = lock;
    this.#inTx = inTx;
    if (stmts) this.#stmts = stmts;
  }

  prepare(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #locked<T>(fn: () => T): Promise<T> {
    const guarded = () => {
      try {
        return fn();
      } catch (e) {
        throw mapSqliteError(e);
      }
    };
    return this.#inTx ? Promise.resolve().then(guarded) : this.lock.run(guarded);
  }

  all<T = Row>(sql: string, params: Params = []): Promise<T[]> {
    return this.#locked(() => {
      const s = this.prepare(sql);
      if (s.reader) return s.all(...params) as T[];
      s.run(...params);
      return [];
    });
  }

  /**
   * The first row. A statement that writes (`INSERT … RETURNING`, `UPDATE … RETURNING`) is
   * stepped to its end with `.all()`: better-sqlite3's `.get()` steps once and then resets the
   * statement, and in autocommit mode the commit happens in that reset, whose failure
   * (SQLITE_FULL, an I/O error) it ignores — the row came back although nothing was stored.
   * Stepped to the end, the commit happens inside the step and its failure is thrown.
   */
  get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.#locked(() => {
      const s = this.prepare(sql);
      if (s.readonly) return s.get(...params) as T | undefined;
      if (!s.reader) {
        s.run(...params);
        return undefined;
      }
      return s.all(...params)[0] as T | undefined;
    });
  }

  run(sql: string, params: Params = []): Promise<number> {
    return this.#locked(() => this.prepare(sql).run(...params).changes);
  }

  tx<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    if (this.#inTx) return fn(this);
    return this.lock.run(async () => {
      const inner = new SqliteExec(this.db, this.lock, true, this.#stmts);
      try {
        this.db.prepare('BEGIN IMMEDIATE').run();
      } catch (e) {
        throw mapSqliteError(e);
      }
      try {
        const r = await fn(inner);
        // The result is returned only once COMMIT succeeded: a commit that fails (disk full,
        // I/O error) throws here and the transaction is rolled back below.
        this.db.prepare('COMMIT').run();
        return r;
      } catch (e) {
        if (this.db.inTransaction) {
          try {
            this.db.prepare('ROLLBACK').run();
          } catch {
            // The first failure is the one to report; SQLite rolls back on its own when it can't.
          }
        }
        throw mapSqliteError(e);
      }
    });
  }
}
