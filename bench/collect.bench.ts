/**
 * bench:collect — N simulated meters (default 100,000; `--meters N` to scale down) behind a
 * 300 ms ± 150 ms link (`--latency`, `--jitter`) read for one day's data (block profile,
 * daily profile, registers, events) by the collector into SQLite. The simulator runs in a
 * child process so the CPU of head end and simulator can be told apart (process.cpuUsage
 * here, /proc/<pid>/stat there). Printed beside a baseline measured in the same run: raw TCP
 * sessions with the same round trips per session, bytes and link delay, at the same
 * concurrency, to a server that answers fixed bytes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { allMeters, createCollector, knownDeviceProfiles, MeterAccess } from '@openhes/acquisition';
import { importMeters, parseMeterList } from '@openhes/core';
import { loadDriverProfiles } from '@openhes/drivers';
import { exportMeters, startFleet } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { fmt, printTable } from './harness.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 12, 2, 0);
const TICK_MS = 10;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const METERS = arg('meters', 100_000);
const LATENCY = arg('latency', 300);
const JITTER = arg('jitter', 150);
const CONCURRENCY = arg('concurrency', 4000);

/** utime + stime of another process, in seconds. */
function procCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / (1000 / TICK_MS);
}

function procPeakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const mib = (n: number): string => `${fmt(n / 2 ** 20, 0)} MiB`;

async function simulatorChild(): Promise<void> {
  const exportPath = process.argv[process.argv.indexOf('--sim-child') + 1]!;
  const fleet = await startFleet({
    meters: METERS,
    mix: { residential: 0.9, commercial: 0.08, industrial: 0.02 },
    seed: 7,
    port: 0,
    host: '0.0.0.0',
    startAt: NOW - 2 * DAY,
    clock: () => NOW,
    tickMs: 0,
    latency: LATENCY,
    jitter: JITTER,
  });
  writeFileSync(exportPath, [...exportMeters(fleet, 'csv')].join(''));
  process.stdout.write(`READY ${fleet.size}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'STATS') process.stdout.write(`STATS ${JSON.stringify(fleet.stats())}\n`);
    if (line === 'EXIT') break;
  }
  await fleet.close();
  process.exit(0);
}

interface Child {
  pid: number;
  size: number;
  stats(): Promise<{ sessions: number; requests: number; link: { sent: number } }>;
  exit(): void;
}

let exiting = false;

function startSimulator(exportPath: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--sim-child', exportPath, ...process.argv.slice(2)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.on('exit', (code, signal) => {
    if (exiting) return;
    console.error(`simulator child ended unexpectedly (code ${code}, signal ${signal}): bench aborted`);
    process.exit(1);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = (): Promise<string> => new Promise((r) => waiting.push(r));
  return next().then((ready) => ({
    pid: child.pid!,
    size: Number(ready.split(' ')[1]),
    stats: async () => {
      const p = next();
      child.stdin!.write('STATS\n');
      return JSON.parse((await p).slice(6));
    },
    exit: () => {
      exiting = true;
      child.stdin!.write('EXIT\n');
    },
  }));
}

/** Raw TCP: `sessions` connections, `concurrency` at once, each `trips` round trips of the given sizes with the link delay. */
async function rawBaseline(
  sessions: number,
  trips: number,
  outBytes: number,
  inBytes: number,
): Promise<number> {
  const reply = Buffer.alloc(Math.max(1, inBytes));
  const server = net.createServer((s) => {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      while (got >= outBytes) {
        got -= outBytes;
        setTimeout(() => s.writable && s.write(reply), LATENCY + JITTER * (2 * Math.random() - 1));
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const request = Buffer.alloc(Math.max(1, outBytes));
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let left = trips;
      let got = 0;
      s.on('connect', () => s.write(request));
      s.on('data', (d) => {
        got += d.length;
        while (got >= reply.length) {
          got -= reply.length;
          if (--left === 0) {
            s.end();
            resolve();
            return;
          }
          s.write(request);
        }
      });
      s.on('error', reject);
    });
  const t0 = performance.now();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < sessions) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sessions) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return sessions / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-collect-'));
  const exportPath = join(dir, 'meters.csv');
  try {
    const sim = await startSimulator(exportPath);
    console.log(
      `bench:collect — ${fmt(sim.size)} meters (asked --meters ${fmt(METERS)} plus one per transformer), link ${LATENCY} ms ± ${JITTER} ms, concurrency ${CONCURRENCY}`,
    );
    const profiles = loadDriverProfiles();
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
    const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
    let t = performance.now();
    await importMeters({ meters: store.meters, vault }, parseMeterList(readFileSync(exportPath, 'utf8')), {
      profiles: knownDeviceProfiles(profiles),
      defaultStatus: 'active',
    });
    const meters = await allMeters(store.meters);
    console.log(`imported ${fmt(meters.length)} meters in ${fmt((performance.now() - t) / 1000, 1)} s`);

    const access = new MeterAccess(store, vault, profiles, {
      // The silence allowed from the meter: every HDLC segment or wrapper chunk re-arms it.
      responseTimeoutMs: 15_000,
      connectTimeoutMs: 10_000,
      now: () => NOW,
    });
    // Session time, open to close, of every attempt (the collector's clock is frozen at NOW).
    const sessionMs: number[] = [];
    const driverFor = access.driverFor.bind(access);
    access.driverFor = async (id) => {
      const driver = await driverFor(id);
      const close = driver.close.bind(driver);
      const t0 = performance.now();
      driver.close = async () => {
        await close();
        sessionMs.push(performance.now() - t0);
      };
      return driver;
    };
    const collector = createCollector(store, access, {
      clock: { now: () => NOW },
      policy: { blockBackfillMs: DAY, dailyLookbackMs: DAY, eventsLookbackMs: DAY },
      collector: { concurrency: CONCURRENCY, maxAttempts: 3, backoffMs: 1000 },
    });
    const simCpu0 = procCpu(sim.pid);
    const cpu0 = process.cpuUsage();
    t = performance.now();
    let bytes = 0;
    const progress = setInterval(() => {
      const p = collector.progress;
      console.log(
        `  ${fmt((performance.now() - t) / 1000)} s: done ${fmt(p.done)} failed ${fmt(p.failed)} running ${fmt(p.running)} readings ${fmt(p.readings)}`,
      );
    }, 10_000);
    const results = await Promise.all(
      meters.map((m) =>
        collector
          .submit({
            id: `bench-${m.id}`,
            meterId: m.id,
            reads: ['block', 'daily', 'registers', 'events'],
            priority: 'scheduled',
          })
          .then((r) => {
            bytes += r.bytes;
            return r;
          }),
      ),
    );
    clearInterval(progress);
    const wall = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const hesCpu = (cpu.user + cpu.system) / 1e6;
    const simCpu = procCpu(sim.pid) - simCpu0;
    const ok = results.filter((r) => r.status === 'success').length;
    const retried = results.filter((r) => r.attempts > 1).length;
    sessionMs.sort((a, b) => a - b);
    const pct = (q: number): string =>
      `${fmt(sessionMs[Math.min(sessionMs.length - 1, Math.floor(q * sessionMs.length))]! / 1000, 1)} s`;
    const readings = results.reduce((s, r) => s + r.readingsStored, 0);
    const events = results.reduce((s, r) => s + r.eventsStored, 0);
    const codes = new Map<string, number>();
    const profileOf = new Map(meters.map((m) => [m.id, m.deviceProfile]));
    for (const r of results) {
      if (r.errorCode === null) continue;
      const k = `${r.errorCode} on ${profileOf.get(r.task.meterId)}`;
      codes.set(k, (codes.get(k) ?? 0) + 1);
    }
    if (codes.size > 0) console.log(`failures by error code: ${JSON.stringify(Object.fromEntries(codes))}`);
    const heapAtEnd = process.memoryUsage();
    (globalThis as { gc?: () => void }).gc?.();
    const heapAfterGc = process.memoryUsage().heapUsed;
    const simStats = await sim.stats();
    const trips = simStats.requests / Math.max(1, simStats.sessions);
    const perSession = bytes / Math.max(1, ok);
    const rate = meters.length / wall;

    const baselineSessions = Math.min(meters.length, 2 * CONCURRENCY);
    const outBytes = Math.round(perSession / 4 / Math.max(1, trips));
    const inBytes = Math.round((perSession * 3) / 4 / Math.max(1, trips));
    const baseline = await rawBaseline(baselineSessions, Math.max(1, Math.round(trips)), outBytes, inBytes);

    printTable('collection of one day', [
      { what: 'meters', value: fmt(meters.length) },
      { what: 'succeeded', value: `${fmt(ok)} (${fmt((100 * ok) / meters.length, 2)} %)` },
      { what: 'retried (attempts > 1)', value: fmt(retried) },
      {
        what: 'session time (open to close) p50 / p95 / max',
        value: `${pct(0.5)} / ${pct(0.95)} / ${pct(1)}`,
      },
      { what: 'readings stored', value: fmt(readings) },
      { what: 'events stored', value: fmt(events) },
      { what: 'wall time', value: `${fmt(wall, 1)} s` },
      { what: 'meters/s', value: fmt(rate, 1) },
      { what: 'requests per session (simulator count)', value: fmt(trips, 1) },
      { what: 'wire bytes per session', value: fmt(perSession) },
      {
        what: 'head-end CPU',
        value: `${fmt(hesCpu, 1)} s (${fmt((100 * hesCpu) / (hesCpu + simCpu), 0)} %)`,
      },
      {
        what: 'simulator CPU',
        value: `${fmt(simCpu, 1)} s (${fmt((100 * simCpu) / (hesCpu + simCpu), 0)} %)`,
      },
      { what: 'head-end CPU per meter', value: `${fmt((1000 * hesCpu) / meters.length, 2)} ms` },
      { what: 'peak RSS head end', value: mib(process.resourceUsage().maxRSS * 1024) },
      {
        what: 'head end at the end: RSS / heap used / heap after GC',
        value: `${mib(heapAtEnd.rss)} / ${mib(heapAtEnd.heapUsed)} / ${mib(heapAfterGc)}`,
      },
      { what: 'peak RSS simulator', value: mib(procPeakRss(sim.pid)) },
      {
        what: 'projection: meters/hour per head-end core',
        value: fmt((3600 * meters.length) / Math.max(hesCpu, 1e-9)),
      },
    ]);
    printTable('beside the baseline (same run)', [
      {
        what: 'collector sessions/s',
        value: fmt(rate, 1),
        baseline: `${fmt(baseline, 1)} raw TCP sessions/s (${fmt(baselineSessions)} sessions × ${fmt(Math.round(trips))} round trips of ${outBytes}/${inBytes} bytes, same delay, same concurrency)`,
        ratio: `${fmt(rate / baseline, 2)}×`,
      },
    ]);
    sim.exit();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--sim-child')) await simulatorChild();
else await main();
