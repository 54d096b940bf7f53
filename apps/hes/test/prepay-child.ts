/**
 * A head-end process that posts to one prepayment account until it is killed: top-ups with
 * references KILL-0, KILL-1, … (amount 100 + k) and, every third, a charge-like adjustment
 * of −(k + 1). It prints `done <ref> <balance>` after each top-up is stored, so the test that
 * kills it (SIGKILL) knows what was acknowledged.
 *
 *   node --import tsx prepay-child.ts <sqlite path> <accountId>
 */

import { flatPriceFor, PrepaymentEngine, PrepaymentService } from '@openhes/meter-data';
import { openStore } from '@openhes/storage';

const [path, account] = process.argv.slice(2);
const accountId = Number(account);
const store = await openStore({ kind: 'sqlite', path: path! });
const engine = new PrepaymentEngine({ store, priceFor: flatPriceFor('1') });
const service = new PrepaymentService(store, engine);
for (let k = 0; ; k++) {
  const r = await service.topUp({ accountId, ref: `KILL-${k}`, amount: 100 + k }, 'kill-test');
  if (k % 3 === 2) await service.adjust({ accountId, amount: -(k + 1), reason: `charge ${k}` }, 'kill-test');
  process.stdout.write(`done KILL-${k} ${r.entry.balanceAfter}\n`);
}
