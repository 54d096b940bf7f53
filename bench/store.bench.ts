/**
 * bench:store — reading ingest and query latency for each storage adapter.
 *
 * Workload: M meters (default 10,000) × 8 interval channels; one batch = one meter session
 * (8 channels × 96 quarter-hours of one day); each day every meter once, in a shuffled
 * order, days advancing. The first P meters (default 100) are first back-filled with 30 days
 * so that "one meter's month" reads a whole month.
 *
 * Ingest rows/s is measured on the empty store and again once `--rows` rows are stored, each
 * beside a baseline measured in the same run on the same batches: SQLite prepared inserts
 * into a bare table without index (one transaction per batch, same pragmas); PostgreSQL
 * binary COPY into a bare unindexed table (one transaction per batch, same writers).
 * Query latencies (p50/p95) are measured early (after the back-fill and one day) and at size.
 *
 *   npm run bench:store -- [--rows 50000000] [--meters 10000] [--adapter sqlite|postgres|both]
 *                          [--max-minutes 15] [--pg-url URL] [--dir /tmp] [--writers 2]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadingInput, Store } from '@openhes/core';
import { encodeStageBinary, openStore, type StageRow, type StoreConfig } from '@openhes/storage';
import Database from 'better-sqlite3';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { fmt, printTable } from './harness.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const ROWS = Number(arg('rows', '50000000').replace(/_/g, ''));
const METERS = Number(arg('meters', '10000'));
const PROBES = Math.min(METERS, Number(arg('probes', '100')));
const ADAPTER = arg('adapter', 'both');
const MAX_MS = Number(arg('max-minutes', '15')) * 60_000;
const PG_URL = arg('pg-url', process.env.HES_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const DIR = arg('dir', tmpdir());
const WRITERS = Number(arg('writers', '2'));
const SESSION_ROWS = 8 * 96;
const MEASURE_SESSIONS = Math.max(50, Math.min(1500, Math.floor(ROWS / SESSION_ROWS / 20)));
const DAY = 86_400_000;
const DAY0 = Date.UTC(2025, 1, 1);
const BACKFILL_DAYS = 30;
const OBIS = ['1.0.1.29.0.255', '1.0.2.29.0.255', '1.0.3.29.0.255', '1.0.4.29.0.255'].concat([
  '1.0.32.27.0.255',
  '1.0.52.27.0.255',
  '1.0.72.27.0.255',
  '1.0.14.27.0.255',
]);

/** Deterministic PRNG (mulberry32) so both adapters see the same workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fleet {
  meterIds: number[];
  channels: number[][];
}

function session(fleet: Fleet, meter: number, day: number, rand: () => number): ReadingInput[] {
  const out: ReadingInput[] = [];
  const base = DAY0 + day * DAY;
  for (const channelId of fleet.channels[meter]!) {
    for (let i = 1; i <= 96; i++)
      out.push({ channelId, ts: base + i * 900_000, value: Math.round(rand() * 5000) / 10 });
  }
  return out;
}

/** Sessions in ingest order: probe back-fill (days -30..-1), then every meter each day. */
function* workload(fleet: Fleet): Generator<ReadingInput[]> {
  const rand = rng(42);
  for (let d = -BACKFILL_DAYS; d < 0; d++) for (let m = 0; m < PROBES; m++) yield session(fleet, m, d, rand);
  const order = fleet.meterIds.map((_, i) => i);
  for (let d = 0; ; d++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const m of order) yield session(fleet, m, d, rand);
  }
}

async function setupFleet(store: Store): Promise<Fleet> {
  const fleet: Fleet = { meterIds: [], channels: [] };
  const run = String(Date.now());
  const one = async (i: number) => {
    const meter = await store.meters.create({
      serial: `B${run}-${i}`,
      manufacturer: 'ACME',
      model: 'AM550',
      deviceProfile: 'acme-am550',
      protocol: 'dlms-tcp',
      address: `10.0.${i >> 8}.${i & 255}:4059`,
    });
    const ids: number[] = [];
    for (const obis of OBIS) {
      const c = await store.channels.ensure(meter.id, {
        obis,
        attribute: 2,
        kind: 'interval',
        unit: 'Wh',
        scaler: 0,
        intervalSeconds: 900,
      });
      ids.push(c.id);
    }
    fleet.meterIds[i] = meter.id;
    fleet.channels[i] = ids;
  };
  for (let i = 0; i < METERS; i += 32) {
    await Promise.all(Array.from({ length: Math.min(32, METERS - i) }, (_, k) => one(i + k)));
  }
  return fleet;
}

/** Runs `sessions` through `sink` with `writers` in flight; returns rows/s. */
async function drive(
  sessions: ReadingInput[][],
  writers: number,
  sink: (rows: ReadingInput[]) => Promise<void> | void,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  let rows = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < sessions.length) {
        const s = sessions[next++]!;
        await sink(s);
        rows += s.length;
      }
    }),
  );
  return (rows * 1000) / (performance.now() - start);
}

function take(gen: Generator<ReadingInput[]>, n: number): ReadingInput[][] {
  const out: ReadingInput[][] = [];
  for (let i = 0; i < n; i++) out.push(gen.next().value as ReadingInput[]);
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

interface Latency {
  p50: number;
  p95: number;
  rows: number;
}

async function time(n: number, fn: (i: number) => Promise<number>): Promise<Latency> {
  await fn(0);
  const xs: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    rows = await fn(i + 1);
    xs.push(performance.now() - t);
  }
  return { p50: percentile(xs, 0.5), p95: percentile(xs, 0.95), rows };
}

async function queries(
  store: Store,
  fleet: Fleet,
  lastFullDay: number,
): Promise<{ month: Latency; day: Latency }> {
  const month = await time(30, async (i) => {
    const m = i % PROBES;
    const pages = await Promise.all(
      fleet.channels[m]!.map((channelId) =>
        store.readings.series({ channelId, from: DAY0 - BACKFILL_DAYS * DAY, to: DAY0 + 1, limit: 10_000 }),
      ),
    );
    return pages.reduce((n, p) => n + p.items.length, 0);
  });
  const day = await time(10, async (i) => {
    const d = i % (lastFullDay + 1);
    const page = await store.readings.aggregateGroup({
      meterIds: fleet.meterIds,
      obis: OBIS[0]!,
      attribute: 2,
      from: DAY0 + d * DAY,
      to: DAY0 + (d + 1) * DAY,
      bucket: 'day',
      fn: 'sum',
      limit: 10_000,
    });
    return page.items.length;
  });
  return { month, day };
}

interface Baseline {
  run(sessions: ReadingInput[][]): Promise<number>;
  close(): Promise<void>;
}

function sqliteBaseline(path: string): Baseline {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS bare (channel_id INTEGER, ts INTEGER, version INTEGER, value REAL,
    quality INTEGER, reasons TEXT, source INTEGER, received_at INTEGER)`);
  const ins = db.prepare('INSERT INTO bare VALUES (?, ?, 1, ?, 0, NULL, 1, ?)');
  const batch = db.transaction((rows: ReadingInput[], now: number) => {
    for (const r of rows) ins.run(r.channelId, r.ts, r.value, now);
  });
  return {
    run: (sessions) => drive(sessions, 1, (rows) => batch.immediate(rows, Date.now())),
    async close() {
      db.close();
    },
  };
}

async function pgBaseline(schema: string): Promise<Baseline> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: WRITERS, options: `-c search_path=${schema}` });
  await pool.query(`CREATE UNLOGGED TABLE IF NOT EXISTS bare_probe (x int)`);
  await pool.query(`DROP TABLE IF EXISTS bare_probe`);
  await pool.query(`CREATE TABLE IF NOT EXISTS bare (round smallint, channel_id integer, ts timestamptz,
    value float8, quality smallint, reasons text, source smallint)`);
  const toStage = (rows: ReadingInput[]): StageRow[] =>
    rows.map((r) => ({
      round: 0,
      channelId: r.channelId,
      ts: r.ts,
      value: r.value,
      quality: 0,
      reasons: null,
      source: 1,
    }));
  return {
    run: (sessions) =>
      drive(sessions, WRITERS, async (rows) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const stream = client.query(
            copyStreams.from(
              'COPY bare (round, channel_id, ts, value, quality, reasons, source) FROM STDIN (FORMAT binary)',
            ),
          );
          await pipeline(Readable.from([encodeStageBinary(toStage(rows))]), stream);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }),
    async close() {
      await pool.query('DROP TABLE IF EXISTS bare');
      await pool.end();
    },
  };
}

interface AdapterResult {
  adapter: string;
  lines: Record<string, string>[];
}

async function benchAdapter(kind: 'sqlite' | 'postgres'): Promise<AdapterResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(DIR, 'hes-bench-'));
  const schema = `hes_bench_${process.pid}`;
  const config: StoreConfig =
    kind === 'sqlite'
      ? { kind: 'sqlite', path: join(dir, 'hes.db') }
      : { kind: 'postgres', url: PG_URL, schema, poolSize: WRITERS + 2 };
  // Meters and channels are set up without a sync per statement; the measured store is
  // reopened with the default durability.
  const setupStore = await openStore(config.kind === 'sqlite' ? { ...config, durability: 'normal' } : config);
  const fleet = await setupFleet(setupStore);
  await setupStore.close();
  const store = await openStore(config);
  const writers = kind === 'sqlite' ? 1 : WRITERS;
  const log = (s: string) => console.log(`[${kind} ${fmt((performance.now() - t0) / 1000, 0)}s] ${s}`);
  try {
    log(`${fmt(METERS)} meters, ${fmt(METERS * 8)} channels ready`);
    const gen = workload(fleet);
    const baseline = kind === 'sqlite' ? sqliteBaseline(join(dir, 'bare.db')) : await pgBaseline(schema);
    const ingest = (rows: ReadingInput[]) => store.readings.ingest({ readings: rows }).then(() => undefined);

    const first = take(gen, MEASURE_SESSIONS);
    const baseEmpty = await baseline.run(first);
    const oursEmpty = await drive(first, writers, ingest);
    let stored = first.length * SESSION_ROWS;
    log(`empty: ours ${fmt(oursEmpty)} rows/s, baseline ${fmt(baseEmpty)} rows/s`);

    let textEmpty: number | null = null;
    if (kind === 'postgres') {
      const textStore = await openStore({ ...config, copyFormat: 'text' } as StoreConfig);
      const chunk = take(gen, MEASURE_SESSIONS);
      textEmpty = await drive(chunk, writers, (rows) =>
        textStore.readings.ingest({ readings: rows }).then(() => undefined),
      );
      await textStore.close();
      stored += chunk.length * SESSION_ROWS;
      log(`empty, text COPY: ${fmt(textEmpty)} rows/s`);
    }

    const backfillRows = BACKFILL_DAYS * PROBES * SESSION_ROWS;
    let early: Awaited<ReturnType<typeof queries>> | null = null;
    const earlyAt = backfillRows + METERS * SESSION_ROWS;
    const fillTarget = ROWS - MEASURE_SESSIONS * SESSION_ROWS;
    let windowStart = performance.now();
    let windowRows = 0;
    const fillDeadline = t0 + MAX_MS;
    let truncated = false;
    while (stored < fillTarget) {
      if (early === null && stored >= earlyAt) {
        early = await queries(store, fleet, 0);
        log(`early queries at ${fmt(stored)} rows`);
      }
      if (performance.now() > fillDeadline) {
        truncated = true;
        break;
      }
      const chunk = take(gen, Math.min(200, Math.ceil((fillTarget - stored) / SESSION_ROWS)));
      await drive(chunk, writers, ingest);
      stored += chunk.length * SESSION_ROWS;
      windowRows += chunk.length * SESSION_ROWS;
      if (windowRows >= 5_000_000) {
        log(
          `${fmt(stored)} rows stored, last window ${fmt((windowRows * 1000) / (performance.now() - windowStart))} rows/s`,
        );
        windowStart = performance.now();
        windowRows = 0;
      }
    }
    if (truncated) log(`time budget reached: stopping the fill at ${fmt(stored)} rows`);
    early ??= await queries(store, fleet, 0);

    const last = take(gen, MEASURE_SESSIONS);
    const baseFull = await baseline.run(last);
    const oursFull = await drive(last, writers, ingest);
    stored += last.length * SESSION_ROWS;
    await baseline.close();
    const daysStored = Math.floor((stored - backfillRows) / (METERS * SESSION_ROWS));
    const atSize = await queries(store, fleet, Math.max(0, daysStored - 1));
    const size =
      kind === 'sqlite' ? `, file ${fmt(statSync(join(dir, 'hes.db')).size / 2 ** 30, 1)} GiB` : '';
    log(`done: ${fmt(stored)} rows${size}`);
    const r = (a: number, b: number) => fmt(a / b, 2);
    const lines: Record<string, string>[] = [
      {
        figure: 'ingest, empty store',
        value: `${fmt(oursEmpty)} rows/s`,
        baseline: `${fmt(baseEmpty)} rows/s`,
        ratio: r(oursEmpty, baseEmpty),
      },
      {
        figure: `ingest at ${fmt(stored)} rows`,
        value: `${fmt(oursFull)} rows/s`,
        baseline: `${fmt(baseFull)} rows/s`,
        ratio: r(oursFull, baseFull),
      },
      {
        figure: 'ingest at size / ingest empty',
        value: `${fmt(oursFull)} rows/s`,
        baseline: `${fmt(oursEmpty)} rows/s`,
        ratio: r(oursFull, oursEmpty),
      },
    ];
    if (textEmpty !== null) {
      lines.push({
        figure: 'text COPY vs binary COPY (empty)',
        value: `${fmt(textEmpty)} rows/s`,
        baseline: `${fmt(oursEmpty)} rows/s`,
        ratio: r(textEmpty, oursEmpty),
      });
    }
    for (const [name, e, s] of [
      [`meter month, 8 ch (${fmt(atSize.month.rows)} rows)`, early.month, atSize.month],
      [`day total, ${fmt(METERS)} meters (${fmt(atSize.day.rows)} sums)`, early.day, atSize.day],
    ] as const) {
      for (const p of ['p50', 'p95'] as const) {
        lines.push({
          figure: `${name} ${p}, at size vs early`,
          value: `${fmt(s[p], 1)} ms`,
          baseline: `${fmt(e[p], 1)} ms`,
          ratio: r(s[p], e[p]),
        });
      }
    }
    return { adapter: `${kind}${truncated ? ' (time budget reached before --rows)' : ''}`, lines };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
}

const results: AdapterResult[] = [];
for (const kind of ['sqlite', 'postgres'] as const) {
  if (ADAPTER !== 'both' && ADAPTER !== kind) continue;
  results.push(await benchAdapter(kind));
}
console.log(
  `\nbench:store — target ${fmt(ROWS)} rows, ${fmt(METERS)} meters × 8 channels, batches of ${SESSION_ROWS} rows`,
);
for (const res of results) printTable(res.adapter, res.lines);
