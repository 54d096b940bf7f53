/**
 * PostgreSQL for tests: one database URL (HES_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test) and a fresh schema per test file, dropped after it.
 *
 *   const pg = usePgSchema();            // at the top of a test file
 *   it('…', async () => { connect to pg.url … });
 *
 * Connections made with `pg.url` (or `pg.connectionOptions`) see only that schema first:
 * its search_path is set by the URL's `options` parameter.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

export const PG_URL = process.env.HES_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgSchema {
  /** hes_test_<pid>_<time>_<n>: unique per process and call. */
  readonly schema: string;
  /** The test database URL with search_path set to the schema. */
  readonly url: string;
  /** node-postgres client options for the schema. */
  readonly connectionOptions: { connectionString: string; options: string };
  create(): Promise<void>;
  drop(): Promise<void>;
}

let made = 0;

async function run(sql: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A schema name and URL, nothing created yet. */
export function pgSchema(url: string = PG_URL, prefix = 'hes_test'): PgSchema {
  const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}_${made++}`;
  const options = `-c search_path=${schema}`;
  const withPath = new URL(url);
  withPath.searchParams.set('options', options);
  return {
    schema,
    url: withPath.toString(),
    connectionOptions: { connectionString: url, options },
    create: () => run(`CREATE SCHEMA "${schema}"`, url),
    drop: () => run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, url),
  };
}

/** Creates a schema before the file's tests and drops it after them. */
export function usePgSchema(url: string = PG_URL): PgSchema {
  const s = pgSchema(url);
  beforeAll(() => s.create());
  afterAll(() => s.drop());
  return s;
}

/** Whether the test database answers (a connect and `SELECT 1` within `timeoutMs`). */
export async function pgReachable(url: string = PG_URL, timeoutMs = 2000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
