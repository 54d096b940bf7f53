import { PG_URL } from '@openhes/testkit/pg';
import pg from 'pg';
import { openStore } from '../src/index.ts';

export { PG_URL };

let n = 0;
export function pgHarness() {
  const schema = `hes_test_${process.pid}_${Date.now().toString(36)}_${n++}`;
  return {
    schema,
    open: (opts?: { migrateTo?: number }) =>
      openStore({ kind: 'postgres', url: PG_URL, schema, poolSize: 4, periodsAhead: 0, ...opts }),
    async exec(sql: string) {
      const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
