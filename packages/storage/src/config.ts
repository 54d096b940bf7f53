import type { Clock } from '@openhes/core';
import type { PeriodSize } from './sql/periods.ts';

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
