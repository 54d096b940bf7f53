import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { NATS_URL, natsConnectionOptions, natsReachable, natsServerInfo } from '../src/nats.ts';
import { PG_URL, pgReachable, pgSchema, usePgSchema } from '../src/pg.ts';

/** A port where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PostgreSQL harness', () => {
  const schema = usePgSchema();

  it('gives each test file its own schema, first on the search path of its URL', async () => {
    expect(await pgReachable()).toBe(true);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (x int)');
      const { rows } = await client.query('SELECT current_schema() AS s');
      expect(rows[0].s).toBe(schema.schema);
    } finally {
      await client.end();
    }
  });

  it('drops a schema with what it holds', async () => {
    const other = pgSchema();
    expect(other.schema).not.toBe(schema.schema);
    await other.create();
    const client = new pg.Client(other.connectionOptions);
    await client.connect();
    try {
      await client.query('CREATE TABLE t (x int)');
    } finally {
      await client.end();
    }
    await other.drop();
    const check = new pg.Client({ connectionString: PG_URL });
    await check.connect();
    try {
      const { rowCount } = await check.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [other.schema]);
      expect(rowCount).toBe(0);
    } finally {
      await check.end();
    }
  });

  it('reports an unreachable database as such', async () => {
    expect(await pgReachable(`postgres://postgres@127.0.0.1:${await closedPort()}/test`, 500)).toBe(false);
  });
});

describe('NATS harness', () => {
  it('reads the server INFO at HES_TEST_NATS_URL', async () => {
    const info = await natsServerInfo();
    expect(info?.server_id).toBeTruthy();
    expect(await natsReachable()).toBe(true);
  });

  it('reports a closed port as unreachable', async () => {
    expect(await natsReachable(`nats://127.0.0.1:${await closedPort()}`, 500)).toBe(false);
  });

  it('connection options name the test process', () => {
    expect(natsConnectionOptions('bus')).toMatchObject({
      servers: NATS_URL,
      name: `hes-test-bus-${process.pid}`,
    });
  });
});
