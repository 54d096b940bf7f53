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
 * API under collection load (section `load`): `--load-meters` simulated meters (default 1,000;
 * the simulator of bench:collect, in a child process, link `--load-latency` ms ± half of it;
 * 0 by default, as the demo fleet) are read for one day (block, daily, registers, events) and
 * stored by the collector in this process, at the head end's default concurrency (256), while
 * `/health` and a latest-values query (`GET /meters/:id/readings/latest`) are sent with 2
 * requests each in flight. The same queries on the same store with no collection running are
 * the baseline; the figures under load are printed as ratios against it, beside the event-loop
 * delay and GC pauses of both phases. It runs twice, each time with a fresh store and
 * simulator: with the collector's loop guard and store gate off (as before them) and on.
 *
 *   npm run bench:api -- [--readings 50000000] [--meters 10000] [--seconds 5] [--concurrency 8] [--dir /tmp]
 *                        [--section all|queries|load] [--load-meters 1000] [--load-latency 0]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { allMeters, createCollector, knownDeviceProfiles, MeterAccess } from '@openhes/acquisition';
import { buildApi, hashToken, newTokenSecret } from '@openhes/api';
import { importMeters, parseMeterList, type ReadingInput, type Store } from '@openhes/core';
import { loadDriverProfiles } from '@openhes/drivers';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { fmt, latencyQuantiles, printTable } from './harness.ts';

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
const SECTION = arg('section', 'all');
const LOAD_METERS = Number(arg('load-meters', '1000'));
const LOAD_LATENCY = Number(arg('load-latency', '0'));
const DAY = 86_400_000;
const LOAD_NOW = Date.UTC(2026, 5, 12, 2, 0);

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

async function queries(): Promise<void> {
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
      await run(
        'meters list (100), store',
        async () => (await store.meters.list({ limit: 100 })).items.length,
      ),
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
}

/** The simulator of bench:collect in a child process; resolves once its meters are exported. */
function startSimulator(exportPath: string): Promise<{ pid: number; exit(): void }> {
  const script = fileURLToPath(new URL('./collect.bench.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      '--sim-child',
      exportPath,
      '--meters',
      String(LOAD_METERS),
      '--latency',
      String(LOAD_LATENCY),
      '--jitter',
      String(Math.round(LOAD_LATENCY / 2)),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator child ended (code ${code})`)));
    lines.once('line', () =>
      resolve({
        pid: child.pid!,
        exit: () => {
          if (child.exitCode !== null || child.stdin!.writableEnded) return;
          child.removeAllListeners('exit');
          child.stdin!.end('EXIT\n');
        },
      }),
    );
  });
}

interface Phase {
  health: number[];
  latest: number[];
  loopP99: number;
  loopMax: number;
  gcMax: number;
  gcTotal: number;
  seconds: number;
}

/** `/health` and latest values, 2 in flight each, until `until` resolves (or `seconds` pass). */
async function probe(
  get: (path: string) => Promise<number>,
  meterIds: number[],
  stop: { done: boolean },
): Promise<Phase> {
  const health: number[] = [];
  const latest: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let gcMax = 0;
  let gcTotal = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcTotal += e.duration;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  let seed = 99;
  const started = performance.now();
  const worker = async (kind: 'health' | 'latest'): Promise<void> => {
    while (!stop.done) {
      const t = performance.now();
      if (kind === 'health') await get('/health');
      else {
        seed = (seed * 1103515245 + 12345) >>> 0;
        await get(`/meters/${meterIds[seed % meterIds.length]}/readings/latest`);
      }
      (kind === 'health' ? health : latest).push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all([worker('health'), worker('health'), worker('latest'), worker('latest')]);
  loop.disable();
  gc.disconnect();
  return {
    gcMax,
    gcTotal,
    health,
    latest,
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    seconds: (performance.now() - started) / 1000,
  };
}

interface LoadRun {
  label: string;
  meters: number;
  ok: number;
  readings: number;
  wall: number;
  limit: number;
  running: number;
  idle: Phase;
  loaded: Phase;
}

/**
 * One collection of every meter into a fresh store with the API probed throughout, then the
 * same probes with nothing collecting. `guarded` false turns off the loop guard and the store
 * gate: the collector as it was before them (all 256 sessions start at once, every store call
 * goes straight to the store's queue).
 */
async function loadRun(dir: string, guarded: boolean): Promise<LoadRun> {
  // A simulator of its own per run: its meters refuse the invocation counters of a second head end.
  const exportPath = join(dir, `meters-${guarded}.csv`);
  const sim = await startSimulator(exportPath);
  const store = await openStore({
    kind: 'sqlite',
    path: join(dir, `hes-${guarded}.db`),
    durability: 'normal',
  });
  try {
    const profiles = loadDriverProfiles();
    const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
    await importMeters({ meters: store.meters, vault }, parseMeterList(readFileSync(exportPath, 'utf8')), {
      profiles: knownDeviceProfiles(profiles),
      defaultStatus: 'active',
    });
    const meters = await allMeters(store.meters);
    const meterIds = meters.map((m) => m.id);
    const access = new MeterAccess(store, vault, profiles, {
      responseTimeoutMs: 15_000,
      connectTimeoutMs: 10_000,
      now: () => LOAD_NOW,
    });
    const collector = createCollector(store, access, {
      clock: { now: () => LOAD_NOW },
      policy: { blockBackfillMs: DAY, dailyLookbackMs: DAY, eventsLookbackMs: DAY },
      collector: {
        concurrency: 256,
        maxAttempts: 3,
        backoffMs: 1000,
        ...(guarded ? {} : { loopGuard: false }),
      },
      ...(guarded ? {} : { storeConcurrency: Number.POSITIVE_INFINITY }),
    });
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
    const get = async (path: string): Promise<number> => {
      const res = await fetch(`${base}${path}`, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      return 1;
    };
    for (let i = 0; i < 50; i++) {
      await get('/health');
      await get(`/meters/${meterIds[i % meterIds.length]}/readings/latest`);
    }

    // Under load: every meter read and stored while the probes run.
    const stop = { done: false };
    const t0 = performance.now();
    const collecting = Promise.all(
      meters.map((m) =>
        collector.submit({
          id: `load-${m.id}`,
          meterId: m.id,
          reads: ['block', 'daily', 'registers', 'events'],
          priority: 'scheduled',
        }),
      ),
    ).finally(() => {
      stop.done = true;
    });
    const limits: number[] = [];
    const running: number[] = [];
    const sampler = setInterval(() => {
      limits.push(collector.sessionLimit);
      running.push(collector.progress.running);
    }, 100);
    const loaded = await probe(get, meterIds, stop);
    clearInterval(sampler);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const results = await collecting;
    const wall = (performance.now() - t0) / 1000;

    // Idle: the same store, now holding the day's data, nothing collecting.
    const idleStop = { done: false };
    setTimeout(() => {
      idleStop.done = true;
    }, Math.max(3, SECONDS) * 1000);
    const idle = await probe(get, meterIds, idleStop);
    await app.close();
    sim.exit();
    return {
      label: guarded ? 'guarded (now)' : 'unguarded (before)',
      meters: meters.length,
      ok: results.filter((r) => r.status === 'success').length,
      readings: results.reduce((n, r) => n + r.readingsStored, 0),
      wall,
      limit: avg(limits),
      running: avg(running),
      idle,
      loaded,
    };
  } finally {
    sim.exit();
    await store.close();
  }
}

async function underCollectionLoad(): Promise<void> {
  const dir = mkdtempSync(join(DIR, 'hes-bench-api-load-'));
  try {
    const runs = [await loadRun(dir, false), await loadRun(dir, true)];
    const ratio = (a: number, b: number) => `${(a / Math.max(b, 1e-3)).toFixed(1)}×`;
    const rows: Array<Record<string, string>> = [];
    for (const r of runs) {
      for (const [query, idle, loaded] of [
        ['GET /health', r.idle.health, r.loaded.health],
        ['GET /meters/:id/readings/latest', r.idle.latest, r.loaded.latest],
      ] as const) {
        const a = latencyQuantiles([...idle]);
        const b = latencyQuantiles([...loaded]);
        rows.push({
          collector: r.label,
          query,
          phase: 'idle',
          n: fmt(idle.length),
          'p50 ms': a.p50.toFixed(2),
          'p99 ms': a.p99.toFixed(2),
          'max ms': a.max.toFixed(1),
          'vs idle': 'baseline',
        });
        rows.push({
          collector: r.label,
          query,
          phase: 'collecting',
          n: fmt(loaded.length),
          'p50 ms': b.p50.toFixed(2),
          'p99 ms': b.p99.toFixed(2),
          'max ms': b.max.toFixed(1),
          'vs idle': `p50 ${ratio(b.p50, a.p50)}, p99 ${ratio(b.p99, a.p99)}`,
        });
      }
      for (const [phase, ph] of [
        ['idle', r.idle],
        ['collecting', r.loaded],
      ] as const) {
        rows.push({
          collector: r.label,
          query: 'event-loop delay',
          phase,
          n: '',
          'p50 ms': '',
          'p99 ms': ph.loopP99.toFixed(2),
          'max ms': ph.loopMax.toFixed(1),
          'vs idle': `GC: max pause ${ph.gcMax.toFixed(1)} ms, ${fmt((100 * ph.gcTotal) / (1000 * ph.seconds), 1)} % of the time`,
        });
      }
    }
    printTable(
      `API under collection load — ${fmt(runs[0]!.meters)} simulated meters (child process, link ${LOAD_LATENCY} ms ± ${Math.round(LOAD_LATENCY / 2)} ms) read and stored by the collector in this process, concurrency 256; probes 2 in flight per query`,
      rows,
    );
    printTable(
      'collections during the probes',
      runs.map((r) => ({
        collector: r.label,
        succeeded: `${fmt(r.ok)} / ${fmt(r.meters)}`,
        readings: fmt(r.readings),
        'wall s': fmt(r.wall, 1),
        'meters/s': fmt(r.meters / r.wall, 1),
        'sessions at once (avg limit / running)': `${fmt(r.limit, 0)} / ${fmt(r.running, 0)}`,
      })),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (SECTION === 'all' || SECTION === 'queries') await queries();
if (SECTION === 'all' || SECTION === 'load') await underCollectionLoad();
