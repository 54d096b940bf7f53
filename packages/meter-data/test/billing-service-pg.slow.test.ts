import { openStore } from '@openhes/storage';
import { usePgSchema } from '@openhes/testkit/pg';
import { billingServiceSuite } from './billing-service.ts';

const pg = usePgSchema();

billingServiceSuite('PostgreSQL', async () => {
  const store = await openStore({
    kind: 'postgres',
    url: pg.url,
    schema: pg.schema,
    poolSize: 4,
    periodsAhead: 0,
  });
  return { store, close: () => store.close() };
});
