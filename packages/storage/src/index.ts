import type { Store } from '@openhes/core';
import type { StoreConfig } from './config.ts';
import { openPostgresStore } from './postgres/store.ts';
import { openSqliteStore } from './sqlite/store.ts';

export type { PostgresConfig, SqliteConfig, StoreConfig } from './config.ts';
export { isStorageError, StorageError, StorageErrorCode, storageErrorKind } from './errors.ts';
export { postgresMigrations } from './migrations/postgres.ts';
export { sqliteMigrations } from './migrations/sqlite.ts';
export type { PeriodSize } from './sql/periods.ts';

/** Opens a store, applying pending migrations; refuses a schema newer than this code. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'sqlite') return openSqliteStore(config);
  return openPostgresStore(config);
}

/** Binary/text COPY encoders of the reading stage rows (used by the storage benchmark's baseline). */
export { encodeStageBinary, encodeStageText, type StageRow } from './postgres/copy.ts';
/** Meter leases and leader locks across processes on one PostgreSQL database. */
export { openPgLeases, type PgLeaseConfig, type PgLeases } from './postgres/leases.ts';
/** The SecretVault adapter (AES-256-GCM key wrapping over the store's key table) and its master key. */
export { createSecretVault, kekIdOf, loadMasterKey, MASTER_KEY_FILE } from './vault.ts';
