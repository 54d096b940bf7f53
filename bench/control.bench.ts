/**
 * bench:control — meter control at fleet scale. N simulated meters (default 10,000;
 * `--meters N` to scale down) behind a 300 ms ± 150 ms link (`--latency`, `--jitter`), served by
 * the simulator in a child process; the head end (store, collector, control service and
 * runner) in this one.
 *
 * 1. Disconnect then reconnect of every meter (two campaigns, each approved by a second user):
 *    wall time and commands/s beside raw TCP sessions of the same round trips and sizes at the
 *    same concurrency, in the same run.
 * 2. One on-demand disconnect (urgent, `--samples` meters one after the other): p50/p95 from
 *    request to confirmation beside the sum of its round trips (raw TCP, same trips and delay).
 * 3. A firmware campaign over `--fw-meters` meters (default 1,000) with a `--image-kb` image
 *    (default 200 KB): wall time, and wire bytes beside the image bytes × meters.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  allMeters,
  commandSessions,
  createCollector,
  knownDeviceProfiles,
  MeterAccess,
} from '@openhes/acquisition';
import { createControl, profileCapabilities } from '@openhes/control';
import {
  type Actor,
  type CampaignProgress,
  type CommandKind,
  type CommandTransition,
  importMeters,
  parseMeterList,
  type Store,
} from '@openhes/core';
import { loadDriverProfiles } from '@openhes/drivers';
import { buildImage } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { fmt, printTable } from './harness.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const METERS = arg('meters', 10_000);
const LATENCY = arg('latency', 300);
const JITTER = arg('jitter', 150);
const CONCURRENCY = arg('concurrency', 4000);
const SAMPLES = arg('samples', 20);
const FW_METERS = arg('fw-meters', Math.min(1000, METERS));
const IMAGE_KB = arg('image-kb', 200);
const SEED = 7;
const PROGRESS_MS = arg('progress-ms', 10_000);
const TICK_MS = 10;

/** utime + stime of another process, in seconds. */
export function procCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / (1000 / TICK_MS);
}

async function simulatorChild(): Promise<void> {
  const { exportMeters, startFleet } = await import('@openhes/simulator');
  const exportPath = process.argv[process.argv.indexOf('--sim-child') + 1]!;
  const fleet = await startFleet({
    meters: METERS,
    // One profile for every meter: the single-phase meter (relay, limiter, image transfer).
    mix: { residential: 1 },
    transformers: 1,
    seed: SEED,
    port: 0,
    host: '0.0.0.0',
    tickMs: 0,
    background: false,
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

interface SimStats {
  sessions: number;
  requests: number;
  connections: number;
  /** Frames the meters sent: one per round trip (association and release included). */
  link: { sent: number };
}

/** Round trips per session between two simulator counts. */
const tripsBetween = (a: SimStats, b: SimStats): number =>
  (b.link.sent - a.link.sent) / Math.max(1, b.sessions - a.sessions);

interface Child {
  pid: number;
  size: number;
  stats(): Promise<SimStats>;
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
      return JSON.parse((await p).slice(6)) as SimStats;
    },
    exit: () => {
      exiting = true;
      child.stdin!.write('EXIT\n');
    },
  }));
}

/** A server answering `inBytes` after the link delay to every `outBytes` received. */
async function delayServer(outBytes: number, inBytes: number): Promise<{ port: number; close(): void }> {
  const reply = Buffer.alloc(Math.max(1, inBytes));
  const out = Math.max(1, outBytes);
  const server = net.createServer((s) => {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      while (got >= out) {
        got -= out;
        setTimeout(() => s.writable && s.write(reply), LATENCY + JITTER * (2 * Math.random() - 1));
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** One raw TCP session: connect, `trips` round trips of the sizes, close; resolves with its ms. */
function rawSession(port: number, trips: number, outBytes: number, inBytes: number): Promise<number> {
  const request = Buffer.alloc(Math.max(1, outBytes));
  const replySize = Math.max(1, inBytes);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let left = Math.max(1, trips);
    let got = 0;
    s.on('connect', () => s.write(request));
    s.on('data', (d) => {
      got += d.length;
      while (got >= replySize) {
        got -= replySize;
        if (--left === 0) {
          s.end();
          resolve(performance.now() - t0);
          return;
        }
        s.write(request);
      }
    });
    s.on('error', reject);
  });
}

/** Raw TCP: `sessions` sessions, `concurrency` at once; returns sessions per second. */
async function rawBaseline(
  sessions: number,
  trips: number,
  outBytes: number,
  inBytes: number,
  concurrency = CONCURRENCY,
): Promise<number> {
  const server = await delayServer(outBytes, inBytes);
  const t0 = performance.now();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < sessions) {
      started++;
      await rawSession(server.port, trips, outBytes, inBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sessions) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return sessions / seconds;
}

/** Raw TCP sessions one after the other: each session's ms. */
async function rawSequential(
  samples: number,
  trips: number,
  outBytes: number,
  inBytes: number,
): Promise<number[]> {
  const server = await delayServer(outBytes, inBytes);
  const out: number[] = [];
  for (let i = 0; i < samples; i++) out.push(await rawSession(server.port, trips, outBytes, inBytes));
  server.close();
  return out;
}

const quantile = (ms: number[], q: number): number => {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

const alice: Actor = { name: 'alice', address: 'bench', approver: false };
const bob: Actor = { name: 'bob', address: 'bench', approver: true };

/** Wire bytes and sessions of the head end's drivers (counted when each session closes). */
const wire = { sessions: 0, bytesIn: 0, bytesOut: 0, requests: 0 };
const snapshot = () => ({ ...wire });
const since = (a: typeof wire) => ({
  sessions: wire.sessions - a.sessions,
  bytesIn: wire.bytesIn - a.bytesIn,
  bytesOut: wire.bytesOut - a.bytesOut,
  requests: wire.requests - a.requests,
});

const UNFINISHED = ['requested', 'awaiting-approval', 'queued', 'sending'] as const;

/** What the collector is doing, for the progress lines. */
let collectorState = (): string => '';

async function settledCampaign(store: Store, id: number, label: string): Promise<CampaignProgress> {
  const t0 = performance.now();
  let last = performance.now();
  for (;;) {
    const p = await store.commands.progress(id);
    const open = UNFINISHED.reduce((n, s) => n + p[s], 0);
    if (open === 0) return p;
    if (performance.now() - last > PROGRESS_MS) {
      last = performance.now();
      console.log(
        `  ${label} ${fmt((performance.now() - t0) / 1000)} s: confirmed ${fmt(p.confirmed)} failed ${fmt(p.failed)} sending ${fmt(p.sending)} queued ${fmt(p.queued)}${collectorState()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a campaign over `meterIds` (approved by a second user when it waits): wall seconds and final counts. */
async function campaign(
  store: Store,
  control: ReturnType<typeof createControl>,
  kind: CommandKind,
  meterIds: number[],
  parameters: Record<string, unknown> = {},
): Promise<{ seconds: number; progress: CampaignProgress; failures: Map<string, number> }> {
  const t0 = performance.now();
  let c = await control.service.requestCampaign(
    {
      name: `bench ${kind}`,
      kind,
      target: { meterIds },
      parameters,
      reason: kind === 'disconnect' ? 'non-payment' : kind === 'connect' ? 'reinstatement' : 'maintenance',
      throttle: { maxInFlight: CONCURRENCY, perSegment: CONCURRENCY },
    },
    alice,
  );
  if (c.state === 'awaiting-approval') c = await control.service.approveCampaign(c.id, bob);
  const progress = await settledCampaign(store, c.id, kind);
  const seconds = (performance.now() - t0) / 1000;
  const failures = new Map<string, number>();
  if (progress.failed + progress.expired > 0) {
    let cursor: string | null = null;
    do {
      const page = await store.commands.list({
        campaignId: c.id,
        state: ['failed', 'expired'],
        cursor,
        limit: 1000,
      });
      for (const x of page.items) {
        const k = x.error?.code ?? x.state;
        failures.set(k, (failures.get(k) ?? 0) + 1);
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
  }
  return { seconds, progress, failures };
}

const sentAt = (history: CommandTransition[]): number | undefined =>
  history.find((h) => h.state === 'sending')?.at;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-control-'));
  const exportPath = join(dir, 'meters.csv');
  try {
    const sim = await startSimulator(exportPath);
    console.log(
      `bench:control — ${fmt(METERS)} meters (single-phase, one simulator in a child process), link ${LATENCY} ms ± ${JITTER} ms, concurrency ${fmt(CONCURRENCY)}; firmware over ${fmt(FW_METERS)} meters with a ${IMAGE_KB} KB image`,
    );
    const profiles = loadDriverProfiles();
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
    const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
    const t = performance.now();
    await importMeters({ meters: store.meters, vault }, parseMeterList(readFileSync(exportPath, 'utf8')), {
      profiles: knownDeviceProfiles(profiles),
      defaultStatus: 'active',
    });
    const meters = (await allMeters(store.meters)).filter((m) => m.deviceProfile === 'is15959-1ph');
    const ids = meters.map((m) => m.id);
    console.log(`imported ${fmt(meters.length)} meters in ${fmt((performance.now() - t) / 1000, 1)} s`);
    await store.users.create({ name: 'alice', displayName: 'alice', role: 'operator', passwordHash: null });
    await store.users.create({
      name: 'bob',
      displayName: 'bob',
      role: 'operator',
      passwordHash: null,
      approver: true,
    });

    const access = new MeterAccess(store, vault, profiles, {
      responseTimeoutMs: 15_000,
      connectTimeoutMs: 10_000,
    });
    const driverFor = access.driverFor.bind(access);
    access.driverFor = async (id, keys) => {
      const driver = await driverFor(id, keys);
      const close = driver.close.bind(driver);
      driver.close = async () => {
        try {
          await close();
        } finally {
          wire.sessions++;
          wire.bytesIn += driver.stats.bytesIn;
          wire.bytesOut += driver.stats.bytesOut;
          wire.requests += driver.stats.requests;
        }
      };
      return driver;
    };
    const collector = createCollector(store, access, { collector: { concurrency: CONCURRENCY } });

    const control = createControl(
      {
        store,
        vault,
        sessions: commandSessions(collector),
        capabilitiesOf: profileCapabilities(profiles),
      },
      {
        runner: { concurrency: CONCURRENCY, batch: 2000, pollMs: 200 },
        throttle: { maxInFlight: CONCURRENCY, perSegment: CONCURRENCY },
      },
    );
    await control.start();
    collectorState = () =>
      ` | runner in flight ${fmt(control.runner.inFlight)} | collector sessions ${fmt(collector.progress.running)}, waiting ${fmt(collector.progress.queued)}`;

    // 1. Disconnect then reconnect of every meter.
    const cpu0 = process.cpuUsage();
    const simCpu0 = procCpu(sim.pid);
    const sim0 = await sim.stats();
    const w0 = snapshot();
    const off = await campaign(store, control, 'disconnect', ids);
    const wOff = since(w0);
    const w1 = snapshot();
    const on = await campaign(store, control, 'connect', ids);
    const wOn = since(w1);
    const sim1 = await sim.stats();
    const cpu = process.cpuUsage(cpu0);
    const hesCpu = (cpu.user + cpu.system) / 1e6;
    const simCpu = procCpu(sim.pid) - simCpu0;
    for (const [name, r] of [
      ['disconnect', off],
      ['connect', on],
    ] as const)
      if (r.failures.size > 0)
        console.log(`${name} failures by code: ${JSON.stringify(Object.fromEntries(r.failures))}`);
    const commands = 2 * ids.length;
    const wall = off.seconds + on.seconds;
    const rate = commands / wall;
    const sessions = Math.max(1, wOff.sessions + wOn.sessions);
    const trips = tripsBetween(sim0, sim1);
    const outPerTrip = Math.round((wOff.bytesOut + wOn.bytesOut) / sessions / Math.max(1, trips));
    const inPerTrip = Math.round((wOff.bytesIn + wOn.bytesIn) / sessions / Math.max(1, trips));
    const baselineSessions = Math.min(commands, 2 * CONCURRENCY);
    const baseline = await rawBaseline(
      baselineSessions,
      Math.max(1, Math.round(trips)),
      outPerTrip,
      inPerTrip,
    );

    printTable('disconnect then reconnect', [
      { what: 'meters', value: fmt(ids.length) },
      {
        what: 'confirmed (disconnect / connect)',
        value: `${fmt(off.progress.confirmed)} / ${fmt(on.progress.confirmed)}`,
      },
      {
        what: 'wall time (disconnect / connect)',
        value: `${fmt(off.seconds, 1)} s / ${fmt(on.seconds, 1)} s`,
      },
      { what: 'commands/s', value: fmt(rate, 1) },
      { what: 'round trips per command (frames the meters sent)', value: fmt(trips, 1) },
      {
        what: 'wire bytes per command',
        value: fmt((wOff.bytesIn + wOff.bytesOut + wOn.bytesIn + wOn.bytesOut) / sessions),
      },
      { what: 'head-end CPU / simulator CPU', value: `${fmt(hesCpu, 1)} s / ${fmt(simCpu, 1)} s` },
      { what: 'head-end CPU per command', value: `${fmt((1000 * hesCpu) / commands, 2)} ms` },
    ]);
    printTable('beside the baseline (same run)', [
      {
        what: 'commands/s',
        value: fmt(rate, 1),
        baseline: `${fmt(baseline, 1)} raw TCP sessions/s (${fmt(baselineSessions)} sessions × ${fmt(Math.round(trips))} round trips of ${outPerTrip}/${inPerTrip} bytes, same delay, concurrency ${fmt(CONCURRENCY)})`,
        ratio: `${fmt(rate / baseline, 2)}×`,
      },
    ]);
    // 2. One on-demand disconnect at a time (urgent), on meters connected again.
    const latencies: number[] = [];
    const sendLatencies: number[] = [];
    const sim2 = await sim.stats();
    for (let k = 0; k < Math.min(SAMPLES, ids.length); k++) {
      const c = await control.service.requestCommand(
        { kind: 'disconnect', meterId: ids[k]!, reason: 'non-payment', priority: 'urgent' },
        alice,
      );
      for (;;) {
        const x = await store.commands.get(c.id);
        if (x !== null && ['confirmed', 'failed', 'expired'].includes(x.state)) {
          if (x.state !== 'confirmed')
            console.log(`  on-demand disconnect ${x.id}: ${x.state} ${x.error?.code}`);
          latencies.push(x.updatedAt - x.createdAt);
          const s = sentAt(x.history);
          if (s !== undefined) sendLatencies.push(x.updatedAt - s);
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const sim3 = await sim.stats();
    const oneTrips = Math.max(1, Math.round(tripsBetween(sim2, sim3)));
    const rawOne = await rawSequential(latencies.length, oneTrips, outPerTrip, inPerTrip);

    const p = (xs: number[], q: number) => fmt(quantile(xs, q), 0);
    printTable('one on-demand disconnect (urgent, one at a time)', [
      {
        what: 'request → confirmed p50 / p95',
        value: `${p(latencies, 0.5)} / ${p(latencies, 0.95)} ms`,
        baseline: `${p(rawOne, 0.5)} / ${p(rawOne, 0.95)} ms: raw TCP session of the same ${oneTrips} round trips (sum of its round trips; ${oneTrips} × ${LATENCY} ms = ${fmt(oneTrips * LATENCY)} ms nominal)`,
        ratio: `${fmt(quantile(latencies, 0.5) / quantile(rawOne, 0.5), 2)}× / ${fmt(quantile(latencies, 0.95) / quantile(rawOne, 0.95), 2)}×`,
      },
      {
        what: 'session start → confirmed p50 / p95',
        value: `${p(sendLatencies, 0.5)} / ${p(sendLatencies, 0.95)} ms`,
        baseline: '',
        ratio: `${fmt(quantile(sendLatencies, 0.5) / quantile(rawOne, 0.5), 2)}×`,
      },
    ]);
    if (FW_METERS > 0) {
      // 3. A firmware campaign.
      const fwIds = ids.slice(0, FW_METERS);
      const image = buildImage('OS1P-09.00', IMAGE_KB * 1024 - 48);
      const uploaded = await control.service.uploadImage(
        { identifier: 'OS1P-09.00', version: 'OS1P-09.00', deviceProfiles: ['is15959-1ph'] },
        image,
        alice,
      );
      const w2 = snapshot();
      const sim4 = await sim.stats();
      const fw = await campaign(store, control, 'firmware-update', fwIds, { imageId: uploaded.id });
      const wFw = since(w2);
      const sim5 = await sim.stats();
      if (fw.failures.size > 0)
        console.log(`firmware failures by code: ${JSON.stringify(Object.fromEntries(fw.failures))}`);
      const imageBytes = image.length * fwIds.length;
      const fwWire = wFw.bytesIn + wFw.bytesOut;

      printTable(`firmware campaign (${IMAGE_KB} KB image)`, [
        { what: 'meters', value: fmt(fwIds.length) },
        { what: 'confirmed', value: fmt(fw.progress.confirmed) },
        { what: 'wall time', value: `${fmt(fw.seconds, 1)} s` },
        { what: 'sessions', value: fmt(wFw.sessions) },
        { what: 'wire bytes (in + out)', value: `${fmt(fwWire / 2 ** 20, 1)} MiB` },
        { what: 'image bytes × meters', value: `${fmt(imageBytes / 2 ** 20, 1)} MiB` },
        { what: 'wire / image bytes', value: `${fmt(fwWire / imageBytes, 2)}×` },
        {
          what: 'round trips per meter (frames the meters sent)',
          value: `${fmt((sim5.link.sent - sim4.link.sent) / fwIds.length)} for ${fmt(Math.ceil(image.length / 200))} blocks of 200 bytes`,
        },
      ]);
    }
    await control.stop();
    await collector.drain();
    sim.exit();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--sim-child')) await simulatorChild();
else await main();
