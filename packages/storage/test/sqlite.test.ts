import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/index.ts';
import { storeContract } from './contract.ts';
import { billingContract } from './contract-billing.ts';
import { controlContract } from './contract-control.ts';
import { currentValuesContract } from './contract-current.ts';
import { prepaymentContract } from './contract-prepayment.ts';
import { veeContract } from './contract-vee.ts';
import type { Harness } from './helpers.ts';

function sqliteHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'hes-sqlite-'));
  const path = join(dir, 'hes.db');
  return {
    open: (opts) => openStore({ kind: 'sqlite', path, durability: 'normal', ...opts }),
    async exec(sql) {
      const db = new Database(path);
      db.exec(sql);
      db.close();
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract('sqlite', sqliteHarness);
controlContract('sqlite', sqliteHarness);
veeContract('sqlite', sqliteHarness);
billingContract('sqlite', sqliteHarness);
prepaymentContract('sqlite', sqliteHarness);
currentValuesContract('sqlite', sqliteHarness);
