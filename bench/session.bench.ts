/**
 * bench:session — complete DLMS sessions per second between our client and our server on
 * loopback (TCP + wrapper): connect, associate, GET clock and two registers, release, close.
 * Sequentially and with 100 sessions in flight, without security and with HLS-GMAC +
 * authenticated encryption. Each figure is printed beside a baseline measured in the same
 * run: the same number of request/response round trips of the same sizes over raw node:net
 * sockets (connect, write n bytes, wait for m bytes back, …, close).
 */
import net from 'node:net';
import { AK, EK, servedBy, TestMeter } from '@openhes/testkit/meters';
import { DlmsClient, type DlmsClientOptions, type FrameTrace, serveDlms } from '@openhes/transport';
import { fmt, type Measured, measureAsync, printTable } from './harness.ts';

const CONCURRENCY = 100;
const ROUND = { rounds: 3, roundMs: 1500 };

type Scenario = 'plain' | 'hls';

/** Per system title, the next invocation counter: the meter refuses replays per title. */
const counters = new Map<number, number>();
let titleSeq = 0;

function options(port: number, scenario: Scenario, trace?: (f: FrameTrace) => void): DlmsClientOptions {
  const base: DlmsClientOptions = {
    transport: { kind: 'tcp', host: '127.0.0.1', port },
    link: { kind: 'wrapper', clientWPort: scenario === 'plain' ? 16 : 1, serverWPort: 1 },
    responseTimeoutMs: 10_000,
    ...(trace ? { trace } : {}),
  };
  if (scenario === 'plain') return base;
  const id = titleSeq++ % CONCURRENCY;
  return {
    ...base,
    association: { authentication: 'hls-gmac' },
    security: {
      systemTitle: Uint8Array.of(0x4d, 0x4d, 0x4d, 0, 0, 0, 2, id),
      ek: EK,
      ak: AK,
      policy: 'auth+enc',
      invocationCounter: counters.get(id) ?? 0,
      onCounter: (next) => counters.set(id, next),
    },
  };
}

async function session(port: number, scenario: Scenario, trace?: (f: FrameTrace) => void): Promise<void> {
  const client = await DlmsClient.connect(options(port, scenario, trace));
  await client.get('0.0.1.0.0.255', 8, 2);
  await client.get('1.0.1.8.0.255', 3, 2);
  await client.get('1.0.32.7.0.255', 3, 2);
  await client.release();
  await client.close();
}

/** Request and response sizes of one session, in order, as they crossed the wire. */
async function exchangeSizes(port: number, scenario: Scenario): Promise<Array<[number, number]>> {
  const frames: FrameTrace[] = [];
  await session(port, scenario, (f) => frames.push(f));
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < frames.length; i += 2) {
    const out = frames[i]!;
    const back = frames[i + 1]!;
    if (out.direction !== 'out' || back.direction !== 'in')
      throw new Error('trace is not strictly request/response');
    pairs.push([out.bytes.length, back.bytes.length]);
  }
  return pairs;
}

/** Echo-sized server: for request k of a connection, waits for its bytes and answers response k. */
function baselineServer(pairs: Array<[number, number]>): Promise<net.Server> {
  const responses = pairs.map(([, m]) => Buffer.alloc(m, 0x5a));
  const server = net.createServer({ noDelay: true }, (socket) => {
    let k = 0;
    let pending = 0;
    socket.on('data', (chunk) => {
      pending += chunk.length;
      while (k < pairs.length && pending >= pairs[k]![0]) {
        pending -= pairs[k]![0];
        socket.write(responses[k]!);
        k++;
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function baselineSession(port: number, pairs: Array<[number, number]>): Promise<void> {
  const requests = pairs.map(([n]) => Buffer.alloc(n, 0xa5));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let k = 0;
    let received = 0;
    socket.on('connect', () => socket.write(requests[0]!));
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received < pairs[k]![1]) return;
      received -= pairs[k]![1];
      k++;
      if (k < pairs.length) socket.write(requests[k]!);
      else socket.end();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

function concurrently(n: number, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    await Promise.all(Array.from({ length: n }, fn));
  };
}

async function main(): Promise<void> {
  const meter = new TestMeter();
  const server = await serveDlms({
    transport: 'tcp',
    port: 0,
    link: { kind: 'wrapper' },
    sessionFor: () => servedBy(meter),
  });
  const rows: Array<Record<string, string>> = [];
  try {
    for (const scenario of ['plain', 'hls'] as const) {
      const pairs = await exchangeSizes(server.port, scenario);
      const raw = await baselineServer(pairs);
      const rawPort = (raw.address() as net.AddressInfo).port;
      const label = scenario === 'plain' ? 'no security' : 'HLS-GMAC + auth+enc';
      const shape = `${pairs.length} round trips, ${pairs.reduce((s, [a, b]) => s + a + b, 0)} bytes`;
      for (const inFlight of [1, CONCURRENCY]) {
        const ours: Measured =
          inFlight === 1
            ? await measureAsync('dlms', () => session(server.port, scenario), ROUND)
            : await measureAsync(
                'dlms',
                concurrently(inFlight, () => session(server.port, scenario)),
                ROUND,
              );
        const base: Measured =
          inFlight === 1
            ? await measureAsync('raw', () => baselineSession(rawPort, pairs), ROUND)
            : await measureAsync(
                'raw',
                concurrently(inFlight, () => baselineSession(rawPort, pairs)),
                ROUND,
              );
        const oursPerSec = ours.opsPerSec * inFlight;
        const basePerSec = base.opsPerSec * inFlight;
        rows.push({
          scenario: label,
          'in flight': String(inFlight),
          shape,
          'sessions/s': fmt(oursPerSec),
          'raw TCP/s': fmt(basePerSec),
          'vs raw': `${fmt(oursPerSec / basePerSec, 2)}×`,
        });
        console.log(
          `${label}, ${inFlight} in flight: ${fmt(oursPerSec)} sessions/s (raw TCP ${fmt(basePerSec)}/s)`,
        );
      }
      await new Promise<void>((r) => raw.close(() => r()));
    }
  } finally {
    await server.close();
  }
  printTable('Complete sessions per second on loopback (TCP, wrapper), median of 3 rounds', rows);
}

await main();
