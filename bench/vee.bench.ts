/**
 * bench:vee — validation and estimation of a month of N meters at 15-minute intervals, on
 * SQLite and PostgreSQL, beside a raw scan of the same rows in the same run; then a billing
 * run of the same N meters.
 *
 * Workload: N meters (default 10,000) × 30 local days × 96 quarter-hours of import energy
 * (28.8 M values at 10,000), a daily register read per meter, 2 % of the intervals lost (each
 * VEE estimates), one spike, zero run or flat line in one meter-day of 20. A week of history
 * before the month is stored too (like days), VEE and the scan cover the month only.
 *
 * Figures: values/s of VEE (expected slots validated, gaps estimated and written as new
 * versions, findings and day summaries stored) against values/s of a raw scan that pages
 * every channel's month through `readings.series` (what VEE has to read at the least);
 * ratio (goal ≥ 0.3×). Billing: bills/s of `BillingService.run` over the cycle.
 *
 *   npm run bench:vee -- [--meters 10000] [--adapter sqlite|postgres|both] [--concurrency 4]
 *                        [--pg-url URL] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingInput, Store, TariffInput } from '@openhes/core';
import { BillingService, VeeService } from '@openhes/meter-data';
import { openStore, type StoreConfig } from '@openhes/storage';
import pg from 'pg';
import { fmt, printTable } from './harness.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const METERS = Number(arg('meters', '10000').replace(/_/g, ''));
const ADAPTER = arg('adapter', 'both');
const CONCURRENCY = Number(arg('concurrency', '4'));
const PG_URL = arg('pg-url', process.env.HES_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const DIR = arg('dir', tmpdir());
const STEP = 900_000;
const DAY = 86_400_000;
const ZONE = 'Asia/Kolkata';
const OFFSET = 5.5 * 3_600_000;
/** Cycle 2026-11 in Indian time; a week of history before it. */
const START = Date.UTC(2026, 10, 1) - OFFSET;
const DAYS = 30;
const HISTORY = 7;
const END = START + DAYS * DAY;

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

const tariff: TariffInput = {
  id: 'BENCH-TOU',
  name: 'Bench TOU',
  currency: 'INR',
  minorDigits: 2,
  timeZone: ZONE,
  dayTypes: ['any'],
  week: ['any', 'any', 'any', 'any', 'any', 'any', 'any'],
  specialDays: [],
  seasons: [
    {
      id: 'year',
      start: '01-01',
      days: [
        {
          dayType: 'any',
          ranges: [
            { start: '00:00', end: '06:00', period: 'T1' },
            { start: '06:00', end: '18:00', period: 'T2' },
            { start: '18:00', end: '22:00', period: 'T3' },
            { start: '22:00', end: '24:00', period: 'T1' },
          ],
        },
      ],
    },
  ],
  periods: [
    { id: 'T1', importRate: '4.80', meterRate: 1 },
    { id: 'T2', importRate: '6.25', meterRate: 2 },
    { id: 'T3', importRate: '8.75', meterRate: 3 },
  ],
  fixedCharges: [{ id: 'fixed', amount: '3.50', per: 'day' }],
  demandCharges: [{ id: 'md', rate: '50', periods: ['T3'] }],
  netMetering: 'none',
  taxes: [{ id: 'duty', ratePct: '5' }],
};

/** One meter's readings: a daily curve with noise, 2 % lost, a fault in one day of 20. */
function meterReadings(m: number, interval: number, register: number): ReadingInput[] {
  const r = rng(0x5eed + m);
  const scale = 50 + 400 * r();
  const out: ReadingInput[] = [];
  let reg = Math.round(1e6 * r());
  const faultDay = Math.floor(r() * 20) < DAYS ? Math.floor(r() * 20) : -1;
  const faultKind = Math.floor(r() * 3);
  for (let d = -HISTORY; d < DAYS; d++) {
    const day0 = START + d * DAY;
    out.push({ channelId: register, ts: day0, value: reg });
    for (let i = 1; i <= 96; i++) {
      const ts = day0 + i * STEP;
      let v = Math.round(scale * (1 + 0.5 * Math.sin(((i / 4 - 8) / 24) * 2 * Math.PI)) * (0.9 + 0.2 * r()));
      if (d === faultDay) {
        if (faultKind === 0 && i === 60) v *= 8;
        if (faultKind === 1 && i >= 40 && i < 52) v = 0;
        if (faultKind === 2 && i >= 56 && i < 68) v = Math.round(scale);
      }
      reg += v;
      if (d >= 0 && r() < 0.02) continue;
      out.push({ channelId: interval, ts, value: v });
    }
  }
  out.push({ channelId: register, ts: END, value: reg });
  return out;
}

interface Result {
  adapter: string;
  rows: Record<string, string>[];
}

async function runOn(kind: 'sqlite' | 'postgres'): Promise<Result> {
  const dir = mkdtempSync(join(DIR, 'hes-bench-vee-'));
  const schema = `hes_bench_vee_${process.pid}`;
  const config: StoreConfig =
    kind === 'sqlite'
      ? { kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' }
      : { kind: 'postgres', url: PG_URL, schema, poolSize: CONCURRENCY + 2 };
  const store: Store = await openStore(config);
  try {
    const now = END + 2 * DAY;
    const clock = { now: () => now };
    const channels: number[] = [];
    const t0 = performance.now();
    for (let m = 0; m < METERS; m++) {
      const meter = await store.meters.create({
        serial: `VB-${m}`,
        manufacturer: 'OpenHES',
        model: 'bench',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: `10.0.${m >> 8}.${m & 255}:4059`,
        status: 'active',
        tariff: tariff.id,
      });
      const [block, reg] = await store.channels.ensureMany(meter.id, [
        {
          obis: '1.0.1.29.0.255',
          attribute: 2,
          kind: 'interval',
          unit: 'Wh',
          scaler: 0,
          intervalSeconds: 900,
        },
        {
          obis: '1.0.1.8.0.255',
          attribute: 2,
          kind: 'register',
          unit: 'Wh',
          scaler: 0,
          intervalSeconds: null,
        },
      ]);
      channels.push(block!.id);
      await store.readings.ingest({ id: `bench:${m}`, readings: meterReadings(m, block!.id, reg!.id) });
      if ((m + 1) % 1000 === 0) console.error(`  ${kind}: ${m + 1} meters stored`);
    }
    const tIngest = (performance.now() - t0) / 1000;

    // The raw scan: every channel's month, page by page, as VEE reads it.
    const t1 = performance.now();
    let scanned = 0;
    for (const channelId of channels) {
      let cursor: string | null = null;
      do {
        const page = await store.readings.series({
          channelId,
          from: START,
          to: END + 1,
          limit: 10_000,
          cursor,
        });
        scanned += page.items.length;
        cursor = page.nextCursor;
      } while (cursor !== null);
    }
    const tScan = (performance.now() - t1) / 1000;

    const vee = new VeeService({
      store,
      clock,
      groups: [{ id: 'bench', timeZone: ZONE, channels: ['1.0.1.29.0.255'] }],
    });
    const t2 = performance.now();
    const report = await vee.run({ from: START, to: END, concurrency: CONCURRENCY });
    const tVee = (performance.now() - t2) / 1000;

    const billing = new BillingService({ store, groups: [{ id: 'india', timeZone: ZONE }] });
    await billing.putTariff(tariff, 'bench');
    const t3 = performance.now();
    const bills = await billing.run('2026-11', { actor: 'bench' });
    const tBill = (performance.now() - t3) / 1000;

    const scanRate = scanned / tScan;
    const veeRate = report.slots / tVee;
    return {
      adapter: kind,
      rows: [
        {
          step: 'ingest (setup)',
          count: fmt(scanned),
          seconds: fmt(tIngest, 1),
          'per s': fmt(scanned / tIngest),
          note: '',
        },
        {
          step: 'raw scan',
          count: fmt(scanned),
          seconds: fmt(tScan, 1),
          'per s': fmt(scanRate),
          note: 'values',
        },
        {
          step: 'VEE month',
          count: fmt(report.slots),
          seconds: fmt(tVee, 1),
          'per s': fmt(veeRate),
          note: `values; ${fmt(veeRate / scanRate, 2)}× the scan (goal ≥ 0.3×); gaps ${fmt(report.gaps)}, estimated ${fmt(report.estimated)}, findings ${fmt(report.exceptionsOpened)}`,
        },
        {
          step: 'billing run',
          count: fmt(bills.created),
          seconds: fmt(tBill, 1),
          'per s': fmt(bills.created / tBill, 1),
          note: `bills; failed ${bills.failed.length}, estimated ${bills.estimated}`,
        },
      ],
    };
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

console.log(
  `bench:vee — ${fmt(METERS)} meters × ${DAYS} days × 96 = ${fmt(METERS * DAYS * 96)} interval values (2 % lost), concurrency ${CONCURRENCY}`,
);
for (const kind of ['sqlite', 'postgres'] as const) {
  if (ADAPTER !== 'both' && ADAPTER !== kind) continue;
  const r = await runOn(kind);
  printTable(r.adapter, r.rows);
}
