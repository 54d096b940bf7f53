import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@openhes/storage';
import { veeServiceSuite } from './vee-service.ts';

veeServiceSuite('SQLite', async (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-vee-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), clock });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
