/**
 * bench:simulator — a 100,000-meter fleet (plus one meter per transformer) on one listening
 * socket: start time and memory, then complete sessions per second served to our DlmsClient
 * (connect to a random meter's own 127.a.b.c address, associate, GET clock, kWh and voltage,
 * release, close) with 64 sessions in flight, for the LLS reader and the HLS-GMAC management
 * association. Beside each figure, a baseline measured in the same run: the same round trips
 * with the same byte counts over raw node:net sockets to a server that answers fixed bytes.
 * Then every meter pushes its daily snapshot (general-glo ciphered, one TCP connection each)
 * to a sink, beside raw connect-send-close of the same size; memory is printed once more,
 * when every meter has been touched and holds its invocation counter.
 */
import net from 'node:net';
import { issuedSecrets, startFleet } from '@openhes/simulator';
import { DlmsClient, type DlmsClientOptions, type FrameTrace } from '@openhes/transport';
import { fmt, type Measured, measureAsync, printTable } from './harness.ts';

const METERS = Number(process.env.SIM_METERS ?? 100_000);
const CONCURRENCY = 64;
const ROUND = { rounds: 3, roundMs: 2000 };
const CLIENT_TITLE = Uint8Array.of(0x4f, 0x48, 0x45, 0x53, 0, 0, 0, 9);
const PUSHES = process.env.SIM_PUSH !== '0';
const PUSH_IN_FLIGHT = 32;
const START = Date.UTC(2026, 5, 10, 3, 0);
const SPEED = 60;
const DAY = 86_400_000;
const IST = 330 * 60_000;

const mib = (n: number): string => `${fmt(n / 2 ** 20, 1)} MiB`;
const delta = (n: number): string => `${n < 0 ? '' : '+'}${mib(n)}`;

function memory(): { rss: number; heap: number } {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

type Role = 'reader' | 'management';

async function main(): Promise<void> {
  const sink = await pushSink();
  const before = memory();
  const realStart = Date.now();
  let shift = 0;
  const t0 = performance.now();
  const fleet = await startFleet({
    meters: METERS,
    mix: { residential: 0.9, commercial: 0.08, industrial: 0.02 },
    seed: 7,
    port: 0,
    host: '0.0.0.0',
    startAt: START,
    clock: () => START + (Date.now() - realStart) * SPEED + shift,
    tickMs: 0,
    background: false,
    pushTo: { host: '127.0.0.1', port: sink.port },
  });
  const startMs = performance.now() - t0;
  const started = memory();
  printTable(`fleet of ${fmt(fleet.size)} meters`, [
    { what: 'start', value: `${fmt(startMs, 1)} ms` },
    { what: 'rss after start', value: `${mib(started.rss)} (${delta(started.rss - before.rss)})` },
    { what: 'heap after start', value: `${mib(started.heap)} (${delta(started.heap - before.heap)})` },
  ]);

  const counters = new Map<number, number>();
  const residential: number[] = [];
  for (let i = 0; residential.length < 5000 && i < fleet.size; i++) {
    if (fleet.truth.meter(i).profile.id === 'is15959-1ph') residential.push(i);
  }
  let pick = 0;
  const options = (role: Role, trace?: (f: FrameTrace) => void): DlmsClientOptions => {
    const meter = residential[pick++ % residential.length]!;
    const s = issuedSecrets(fleet.truth.meter(meter));
    const next = counters.get(meter) ?? 1;
    counters.set(meter, next + 16);
    return {
      transport: { kind: 'tcp', host: fleet.address(meter), port: fleet.port },
      link: { kind: 'wrapper', clientWPort: role === 'reader' ? 32 : 48, serverWPort: 1 },
      association:
        role === 'reader' ? { authentication: 'low', password: s.password } : { authentication: 'hls-gmac' },
      ...(role === 'management'
        ? {
            security: {
              systemTitle: CLIENT_TITLE,
              ek: s.ek,
              ak: s.ak,
              policy: 'auth+enc' as const,
              invocationCounter: next,
            },
          }
        : {}),
      responseTimeoutMs: 10_000,
      ...(trace ? { trace } : {}),
    };
  };
  const session = async (role: Role, trace?: (f: FrameTrace) => void): Promise<void> => {
    const c = await DlmsClient.connect(options(role, trace));
    await c.get('0.0.1.0.0.255', 8, 2);
    await c.get('1.0.1.8.0.255', 3, 2);
    await c.get('1.0.12.7.0.255', 3, 2);
    await c.end();
  };

  const rows: Array<Record<string, string>> = [];
  for (const role of ['reader', 'management'] as const) {
    const frames: { dir: 'in' | 'out'; size: number }[] = [];
    await session(role, (f) => frames.push({ dir: f.direction, size: f.bytes.length }));
    const exchanges = pairs(frames);
    const baseline = await rawBaseline(exchanges);
    const sim = await measureAsync(
      `${role} sessions`,
      async () => {
        await Promise.all(Array.from({ length: CONCURRENCY }, () => session(role)));
      },
      ROUND,
    );
    const perSec = sim.opsPerSec * CONCURRENCY;
    rows.push({
      association: role === 'reader' ? 'reader (LLS)' : 'management (HLS-GMAC, auth+enc)',
      'round trips': String(exchanges.length),
      'sessions/s': fmt(perSec),
      'raw TCP baseline/s': fmt(baseline.opsPerSec * CONCURRENCY),
      ratio: `${fmt((perSec / (baseline.opsPerSec * CONCURRENCY)) * 100, 1)} %`,
    });
  }
  printTable(
    `complete sessions served to DlmsClient, ${CONCURRENCY} in flight, random meters of ${fmt(fleet.size)}`,
    rows,
  );
  const after = memory();
  const s = fleet.stats();
  printTable('after the sessions', [
    { what: 'sessions served', value: fmt(s.sessions) },
    { what: 'requests served', value: fmt(s.requests) },
    { what: 'meters with command/counter state', value: fmt(s.commandedMeters) },
    { what: 'rss', value: mib(after.rss) },
    { what: 'heap', value: mib(after.heap) },
  ]);
  if (PUSHES) {
    const midnightAfter = Math.ceil((fleet.now() + IST) / DAY) * DAY - IST;
    shift += midnightAfter + 3_600_000 - fleet.now();
    const sent0 = fleet.stats().pushesSent;
    const p0 = performance.now();
    await fleet.tick();
    const pushMs = performance.now() - p0;
    const st = fleet.stats();
    const pushed = st.pushesSent - sent0;
    const perSec = (pushed * 1000) / pushMs;
    const got = sink.received();
    const raw = await rawPushBaseline(sink.port, sink.largest());
    const all = memory();
    printTable(
      `every meter pushes its daily snapshot: ${fmt(pushed)} DataNotifications (general-glo, auth+enc, ${sink.largest()} B), ${PUSH_IN_FLIGHT} in flight`,
      [
        {
          what: 'pushes/s',
          value: fmt(perSec),
          'raw TCP connect-send-close/s': fmt(raw.opsPerSec * PUSH_IN_FLIGHT),
          ratio: `${fmt((perSec / (raw.opsPerSec * PUSH_IN_FLIGHT)) * 100, 1)} %`,
        },
      ],
    );
    printTable(`memory with all ${fmt(fleet.size)} meters touched`, [
      { what: 'failed pushes', value: fmt(st.pushesFailed) },
      { what: 'received by the sink', value: fmt(got) },
      { what: 'meters with command/counter state', value: fmt(st.commandedMeters) },
      { what: 'rss', value: `${mib(all.rss)} (${delta(all.rss - before.rss)} since before start)` },
      { what: 'heap', value: `${mib(all.heap)} (${delta(all.heap - before.heap)})` },
      { what: 'heap per meter', value: `${fmt((all.heap - before.heap) / fleet.size)} B` },
    ]);
  }
  await fleet.close();
  await sink.close();
}

/** Accepts pushes and drops them; counts connections and the largest one's bytes. */
async function pushSink(): Promise<{
  port: number;
  received: () => number;
  largest: () => number;
  close: () => Promise<void>;
}> {
  let received = 0;
  let largest = 0;
  const server = net.createServer((socket) => {
    let n = 0;
    socket.on('data', (chunk) => {
      n += chunk.length;
    });
    socket.on('end', () => {
      received++;
      if (n > largest) largest = n;
      socket.end();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    largest: () => largest,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** One push's shape over raw node:net: connect, write `size` bytes, close. */
async function rawPushBaseline(port: number, size: number): Promise<Measured> {
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('connect', () => socket.end(Buffer.alloc(size, 3)));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  return measureAsync(
    'raw push',
    async () => {
      await Promise.all(Array.from({ length: PUSH_IN_FLIGHT }, one));
    },
    ROUND,
  );
}

/** Client bytes out followed by server bytes in, per round trip. */
function pairs(frames: { dir: 'in' | 'out'; size: number }[]): { out: number; in: number }[] {
  const out: { out: number; in: number }[] = [];
  for (const f of frames) {
    if (f.dir === 'out') out.push({ out: f.size, in: 0 });
    else if (out.length > 0) out[out.length - 1]!.in += f.size;
  }
  return out.filter((p) => p.in > 0);
}

async function rawBaseline(exchanges: { out: number; in: number }[]): Promise<Measured> {
  const server = net.createServer((socket) => {
    let step = 0;
    let got = 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      got += chunk.length;
      while (step < exchanges.length && got >= exchanges[step]!.out) {
        got -= exchanges[step]!.out;
        socket.write(Buffer.alloc(exchanges[step]!.in, 1));
        step++;
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      let step = 0;
      let got = 0;
      socket.on('connect', () => socket.write(Buffer.alloc(exchanges[0]!.out, 2)));
      socket.on('data', (chunk) => {
        got += chunk.length;
        while (step < exchanges.length && got >= exchanges[step]!.in) {
          got -= exchanges[step]!.in;
          step++;
          if (step === exchanges.length) {
            socket.end();
            resolve();
            return;
          }
          socket.write(Buffer.alloc(exchanges[step]!.out, 2));
        }
      });
      socket.on('error', reject);
    });
  const m = await measureAsync(
    'raw tcp',
    async () => {
      await Promise.all(Array.from({ length: CONCURRENCY }, one));
    },
    ROUND,
  );
  await new Promise<void>((r) => server.close(() => r()));
  return m;
}

await main();
