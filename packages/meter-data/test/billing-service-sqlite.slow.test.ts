import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@openhes/storage';
import { billingServiceSuite } from './billing-service.ts';

billingServiceSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-billing-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db') });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
