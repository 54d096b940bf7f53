import { openStore } from '@openhes/storage';
import { usePgSchema } from '@openhes/testkit/pg';
import { veeServiceSuite } from './vee-service.ts';

const pg = usePgSchema();

veeServiceSuite('PostgreSQL', async (clock) => {
  const store = await openStore({
    kind: 'postgres',
    url: pg.url,
    schema: pg.schema,
    clock,
    poolSize: 4,
    periodsAhead: 0,
  });
  return { store, close: () => store.close() };
});
