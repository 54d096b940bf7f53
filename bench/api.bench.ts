/**
 * bench:api — HTTP cost of the two hottest read paths, beside the same query run directly on
 * the store in the same run (so the ratio, not the absolute figure, is what to compare).
 *
 * Data: M meters (default 10,000), one 15-minute interval channel each, R readings in total
 * (default 50,000,000) spread evenly over the meters and ending at the same instant. The
 * store is SQLite in a temporary directory (durability 'normal' while loading).
 *
 * Queries, each for `--seconds` with `--concurrency` requests in flight:
 *   - meter-month: one random meter's channel, the last 30 days (`GET /channels/:id/readings`,
 *     limit 10,000) vs `store.readings.series`;
 *   - meters list: first page of 100 (`GET /meters?limit=100`) vs `store.meters.list`.
 *
 *   npm run bench:api -- [--readings 50000000] [--meters 10000] [--seconds 5] [--concurrency 8] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi, hashToken, newTokenSecret } from '@openhes/api';
import type { ReadingInput, Store } from '@openhes/core';
import { openStore } from '@openhes/storage';
import { fmt, printTable } from './harness.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const READINGS = Number(arg('readings', '50000000').replace(/_/g, ''));
const METERS = Number(arg('meters', '10000'));
const SECONDS = Number(arg('seconds', '5'));
const CONCURRENCY = Number(arg('concurrency', '8'));
const DIR = arg('dir', tmpdir());
const Q = 900_000;
const END = Date.UTC(2025, 5, 1);
const MONTH = 30 * 86_400_000;
const BATCH = 20_000;

interface Result {
  name: string;
  perSec: number;
  p50: number;
  p99: number;
  rows: number;
}

async function load(store: Store): Promise<number[]> {
  const perMeter = Math.max(1, Math.floor(READINGS / METERS));
  const channels: number[] = [];
  const started = performance.now();
  let stored = 0;
  let batch: ReadingInput[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await store.readings.ingest({ readings: batch });
    stored += batch.length;
    batch = [];
  };
  for (let m = 0; m < METERS; m++) {
    const meter = await store.meters.create({
      serial: `B${String(m).padStart(7, '0')}`,
      manufacturer: m % 3 === 0 ? 'Acme' : 'Globex',
      model: 'E100',
      deviceProfile: 'is15959-1ph',
      protocol: 'dlms-tcp',
      address: `10.${(m >> 16) & 255}.${(m >> 8) & 255}.${m & 255}:4059`,
      status: 'registered',
    });
    const ch = await store.channels.ensure(meter.id, {
      obis: '1.0.1.29.0.255',
      attribute: 2,
      kind: 'interval',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: 900,
    });
    channels.push(ch.id);
    for (let i = 0; i < perMeter; i++) {
      batch.push({ channelId: ch.id, ts: END - (perMeter - 1 - i) * Q, value: (m * 7 + i * 13) % 500 });
      if (batch.length >= BATCH) await flush();
    }
    if (m % 1000 === 999) {
      const s = (performance.now() - started) / 1000;
      process.stderr.write(`\rloaded ${m + 1} meters, ${stored} readings (${fmt(stored / s)}/s)`);
    }
  }
  await flush();
  process.stderr.write(
    `\rloaded ${METERS} meters, ${stored} readings in ${fmt((performance.now() - started) / 1000)} s\n`,
  );
  return channels;
}

async function run(name: string, once: () => Promise<number>): Promise<Result> {
  for (let i = 0; i < 20; i++) await once();
  const latencies: number[] = [];
  let rows = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const n = await once();
        rows += n;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    name,
    perSec: latencies.length / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    rows: rows / latencies.length,
  };
}

const dir = mkdtempSync(join(DIR, 'hes-bench-api-'));
const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
try {
  const channels = await load(store);
  const user = await store.users.create({
    name: 'bench',
    displayName: 'bench',
    role: 'viewer',
    passwordHash: null,
  });
  const secret = newTokenSecret();
  await store.tokens.create({
    userId: user.id,
    name: 'bench',
    tokenHash: hashToken(secret),
    scopes: ['api'],
    expiresAt: null,
  });
  const app = await buildApi({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const headers = { authorization: `Bearer ${secret}` };
  const from = END - MONTH + 1;
  const fromIso = new Date(from).toISOString();
  const toIso = new Date(END + 1).toISOString();
  let seed = 12345;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return channels[seed % channels.length]!;
  };
  const get = async (path: string): Promise<number> => {
    const res = await fetch(`${base}${path}`, { headers });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { items: unknown[] };
    return body.items.length;
  };
  const results: Result[] = [];
  results.push(
    await run('meter-month, store', async () => {
      const page = await store.readings.series({ channelId: pick(), from, to: END + 1, limit: 10_000 });
      return page.items.length;
    }),
  );
  results.push(
    await run('meter-month, HTTP', () =>
      get(`/channels/${pick()}/readings?from=${fromIso}&to=${toIso}&limit=10000`),
    ),
  );
  results.push(
    await run('meters list (100), store', async () => (await store.meters.list({ limit: 100 })).items.length),
  );
  results.push(await run('meters list (100), HTTP', () => get('/meters?limit=100')));
  await app.close();

  printTable(
    `bench:api — ${METERS} meters, ${fmt(Math.floor(READINGS / METERS) * METERS)} readings (SQLite), ` +
      `${CONCURRENCY} in flight, ${SECONDS} s per query`,
    results.map((r, i) => {
      const store = i % 2 === 0 ? r : results[i - 1]!;
      return {
        query: r.name,
        'req/s': fmt(r.perSec),
        'p50 ms': r.p50.toFixed(2),
        'p99 ms': r.p99.toFixed(2),
        'rows/req': fmt(r.rows),
        'vs store': i % 2 === 1 ? `${(r.perSec / store.perSec).toFixed(2)}× req/s` : 'baseline',
      };
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
