// Child process of the prepayment kill test: one top-up per step (reference K-<i>), one
// quarter hour of consumption ingested and charged per step; prints `ACK <i>` only after the
// top-up and the charge were acknowledged. Started again after a SIGKILL from an earlier step,
// so references already credited are sent again.
import type { StoreConfig } from '@openhes/storage';
import { openStore } from '@openhes/storage';
import { flatPriceFor, PrepaymentEngine, PrepaymentService, storeConsumption } from '../src/index.ts';

const [config, meterText, accountText, firstText] = process.argv.slice(2) as [string, string, string, string];
const T0 = Date.UTC(2026, 10, 2, 9);
const STEP = 900_000;
const store = await openStore(JSON.parse(config) as StoreConfig);
const meterId = Number(meterText);
const accountId = Number(accountText);
const [channel] = await store.channels.forMeter(meterId);
const engine = new PrepaymentEngine({
  store,
  control: null,
  priceFor: flatPriceFor('1'),
  consumption: storeConsumption(store),
});
const service = new PrepaymentService(store, engine);
process.stdout.write('READY\n');
for (let i = Number(firstText); i < 100_000; i++) {
  await service.topUp({ accountId, ref: `K-${i}`, amount: 100 + (i % 7) }, 'kill-test');
  await store.readings.ingest({
    id: `kill-${i}`,
    readings: [{ channelId: channel!.id, ts: T0 + (i + 1) * STEP, value: 10 + (i % 5) }],
  });
  await engine.evaluate(accountId);
  process.stdout.write(`ACK ${i}\n`);
}
