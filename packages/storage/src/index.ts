import type { Clock, Store } from '@openhes/core';
import { openPostgresStore } from './postgres/store.ts';
import type { PeriodSize } from './sql/periods.ts';
import { openSqliteStore } from './sqlite/store.ts';

export { isStorageError, StorageError, StorageErrorCode } from './errors.ts';
export { postgresMigrations } from './migrations/postgres.ts';
export { sqliteMigrations } from './migrations/sqlite.ts';
export type { PeriodSize } from './sql/periods.ts';

export interface SqliteConfig {
  kind: 'sqlite';
  path: string;
  clock?: Clock;
  period?: PeriodSize;
  durability?: 'full' | 'normal';
  cacheMiB?: number;
  migrateTo?: number;
}

export interface PostgresConfig {
  kind: 'postgres';
  url: string;
  /** Schema to live in (created if missing); default `public`. */
  schema?: string;
  clock?: Clock;
  period?: PeriodSize;
  poolSize?: number;
  /** COPY format for reading ingest: binary (default) or text. */
  copyFormat?: 'binary' | 'text';
  /** Reading periods created ahead at start. Default 2. */
  periodsAhead?: number;
  migrateTo?: number;
}

export type StoreConfig = SqliteConfig | PostgresConfig;

/** Opens a store, applying pending migrations; refuses a schema newer than this code. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'sqlite') return openSqliteStore(config);
  return openPostgresStore(config);
}

/** Binary/text COPY encoders of the reading stage rows (used by the storage benchmark's baseline). */
export { encodeStageBinary, encodeStageText, type StageRow } from './postgres/copy.ts';
