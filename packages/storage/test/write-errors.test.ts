/**
 * Issue 12, defect 3: a write that the disk refuses reaches its caller as a typed error, and the
 * SQLite store is opened so that an acknowledged write is durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mapPgError } from '../src/postgres/exec.ts';
import { mapSqliteError } from '../src/sqlite/exec.ts';
import { openSqliteStore } from '../src/sqlite/store.ts';

const engineError = (code: string) => Object.assign(new Error(`engine says ${code}`), { code });
const typed = (e: unknown) => {
  const { code, kind, retryable } = e as { code: string; kind: string; retryable: boolean };
  return { code, kind, retryable };
};

describe('write failures as typed errors', () => {
  it('SQLite: full disk, I/O errors and a read-only file are kind unavailable, not retryable', () => {
    expect(typed(mapSqliteError(engineError('SQLITE_FULL')))).toEqual({
      code: 'STORAGE_FULL',
      kind: 'unavailable',
      retryable: false,
    });
    for (const code of [
      'SQLITE_IOERR',
      'SQLITE_IOERR_WRITE',
      'SQLITE_IOERR_FSYNC',
      'SQLITE_READONLY',
      'SQLITE_CANTOPEN',
    ]) {
      expect(typed(mapSqliteError(engineError(code))), code).toEqual({
        code: 'STORAGE_IO',
        kind: 'unavailable',
        retryable: false,
      });
    }
    expect(typed(mapSqliteError(engineError('SQLITE_BUSY')))).toMatchObject({
      code: 'STORAGE_BUSY',
      retryable: true,
    });
  });

  it('PostgreSQL: disk_full, io_error and a read-only server likewise; other resource shortages retryable', () => {
    expect(typed(mapPgError(engineError('53100')))).toEqual({
      code: 'STORAGE_FULL',
      kind: 'unavailable',
      retryable: false,
    });
    expect(typed(mapPgError(engineError('58030')))).toMatchObject({
      code: 'STORAGE_IO',
      kind: 'unavailable',
    });
    expect(typed(mapPgError(engineError('25006')))).toMatchObject({
      code: 'STORAGE_IO',
      kind: 'unavailable',
    });
    expect(typed(mapPgError(engineError('53300')))).toEqual({
      code: 'STORAGE_UNAVAILABLE',
      kind: 'unavailable',
      retryable: true,
    });
  });
});

describe('durability of an acknowledged write', () => {
  it('the SQLite store runs in WAL mode with synchronous FULL (each commit synced) by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-durable-'));
    let conn: Database.Database | undefined;
    const store = openSqliteStore({
      path: join(dir, 'hes.db'),
      wrapDatabase: (db) => {
        conn = db;
        return db;
      },
    });
    try {
      expect(conn!.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(conn!.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
