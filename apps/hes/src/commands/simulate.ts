import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import {
  exportMeters,
  type Fleet,
  type FleetStats,
  type LinkProfile,
  meterAddress,
  metersUnder,
  type ProfileMix,
  parseDuration,
  startFleet,
} from '@openhes/simulator';
import type { Command } from 'commander';
import type { Io } from '../io.ts';

interface SimulateOptions {
  meters: string;
  profileMix: string;
  transformers?: string;
  seed: string;
  speed: string;
  start?: string;
  host: string;
  port: string;
  latency: string;
  jitter: string;
  loss: string;
  corrupt: string;
  silent: string;
  refused: string;
  slow: string;
  pushTo?: string;
  scenario?: string;
  export?: string;
  duration?: string;
  statusEvery: string;
  background: boolean;
  pushBlocks?: boolean;
  state?: string;
  methodJournal?: string;
}

function count(name: string, s: string, min = 0): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${s}"`);
  return n;
}

function fraction(name: string, s: string): number {
  const pct = s.endsWith('%');
  const n = Number(pct ? s.slice(0, -1) : s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a fraction or percentage, got "${s}"`);
  const f = pct ? n / 100 : n;
  if (f > 1) throw new Error(`--${name} must not exceed 100%`);
  return f;
}

export function parseMix(s: string): ProfileMix {
  const mix: ProfileMix = {};
  for (const part of s.split(',').filter((p) => p.trim() !== '')) {
    const [k, v] = part.split('=');
    if ((k !== 'residential' && k !== 'commercial' && k !== 'industrial') || v === undefined) {
      throw new Error(`--profile-mix: "${part}" is not residential|commercial|industrial=share`);
    }
    mix[k] = fraction('profile-mix', v);
  }
  return mix;
}

export function parsePushTo(s: string): { host: string; port: number; transport: 'tcp' | 'udp' } {
  const m = /^(.+):(\d+)(?:\/(tcp|udp))?$/.exec(s);
  if (!m) throw new Error(`--push-to must be host:port[/tcp|/udp], got "${s}"`);
  return { host: m[1]!, port: Number(m[2]), transport: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function linkProfile(o: SimulateOptions): Partial<LinkProfile> {
  return {
    latencyMs: parseDuration(o.latency),
    jitterMs: parseDuration(o.jitter),
    loss: fraction('loss', o.loss),
    corrupt: fraction('corrupt', o.corrupt),
    silent: fraction('silent', o.silent),
    refused: fraction('refused', o.refused),
    slow: fraction('slow', o.slow),
  };
}

/** Where the meters answer, as the export lists them. */
function describeAddressing(fleet: Fleet): string {
  const last = fleet.size - 1;
  return fleet.addressing === 'address'
    ? `simulating ${fleet.size} meters on ${fleet.host}:${fleet.port} (tcp), one address per meter: ${meterAddress(0)} … ${meterAddress(last)}`
    : `simulating ${fleet.size} meters on ${fleet.host}:${fleet.port} (tcp), one port per meter on ${fleet.host}: ${fleet.portOf(0)} … ${fleet.portOf(last)}${fleet.size > 1 && fleet.portOf(last) - fleet.portOf(0) !== last ? ' (each meter’s in the export)' : ''}`;
}

const hhmm = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** The seeded supply interruptions of the next day: their meters do not answer meanwhile. */
function describeInterruptions(fleet: Fleet): string[] {
  const from = fleet.now();
  const to = from + 86_400_000;
  const topo = fleet.truth.topology;
  const found: string[] = [];
  for (let tr = 0; tr < topo.transformers; tr++) {
    const meters = metersUnder(fleet.truth, { transformer: tr }).length;
    for (const w of fleet.truth.transformerOutages(tr)) {
      if (w.to <= from || w.from >= to) continue;
      found.push(
        `transformer ${tr} ${new Date(w.from).toISOString().slice(0, 10)} ${hhmm(w.from)}–${hhmm(w.to)} UTC (${meters} meters)`,
      );
    }
  }
  if (found.length === 0) return [];
  const shown = found.slice(0, 5).join(', ');
  return [
    `  supply interruptions (background) in the next 24 h: ${shown}${found.length > 5 ? `, and ${found.length - 5} more` : ''}; meanwhile those meters answer only with a battery-backed modem, and they log the failure and the restore`,
  ];
}

function describeFleet(fleet: Fleet, o: SimulateOptions): string[] {
  const byProfile = new Map<string, number>();
  for (let i = 0; i < fleet.size; i++) {
    const p = fleet.truth.identity(i).profile;
    byProfile.set(`${p.id} (${p.framing})`, (byProfile.get(`${p.id} (${p.framing})`) ?? 0) + 1);
  }
  const topo = fleet.truth.topology;
  return [
    describeAddressing(fleet),
    ...[...byProfile].map(([p, n]) => `  ${p}: ${n}`),
    `  topology: ${topo.consumers} consumers, ${topo.transformers} transformers (each with its own meter), ${Math.ceil(topo.transformers / topo.transformersPerFeeder)} feeders`,
    `  clients: public SAP 16 (no security; reads the invocation counter 0.0.43.1.3.255), reader SAP 32 (LLS), management SAP 48 (HLS-GMAC, auth+enc); keys and each meter's clock deviation sign (deviationConvention) in the export`,
    `  clock: starts ${new Date(fleet.truth.startAt).toISOString()}, speed ×${o.speed}; seed ${o.seed}`,
    `  link: latency ${o.latency} ± ${o.jitter}, loss ${o.loss}, corrupt ${o.corrupt}, silent ${o.silent}, refused ${o.refused}, slow ${o.slow}`,
    `  pushes: ${o.pushTo ?? 'off'} (ciphered as each push setup declares, keys in the export); scenarios: ${o.scenario ?? 'none'}; background events: ${o.background ? 'on' : 'off'}`,
    ...(o.background ? describeInterruptions(fleet) : []),
  ];
}

function describeLoad(s: FleetStats, prev: FleetStats, seconds: number): string {
  const rate = (a: number, b: number) => ((a - b) / seconds).toFixed(1);
  return [
    `[${new Date(s.simulatedNow).toISOString()}]`,
    `connections ${s.openConnections} open (${rate(s.connections, prev.connections)}/s)`,
    `sessions ${rate(s.sessions, prev.sessions)}/s`,
    `requests ${rate(s.requests, prev.requests)}/s`,
    `pushes ${s.pushesSent} sent, ${s.pushesFailed} failed`,
    `dropped ${s.link.dropped}, corrupted ${s.link.corrupted}, refused ${s.refused}, errors ${s.errors}`,
    `commanded meters ${s.commandedMeters}`,
    `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  ].join('  ');
}

async function writeExport(fleet: Fleet, path: string): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of exportMeters(fleet, path.endsWith('.json') ? 'json' : 'csv')) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export function registerSimulateCommand(program: Command, io: Io): void {
  program
    .command('simulate')
    .description(
      'serve a simulated fleet of DLMS/COSEM meters (IS 15959 profiles): one listening socket answering on 127/8 by default, a port per meter with a specific --host',
    )
    .requiredOption('--meters <n>', 'number of consumer meters')
    .option(
      '--profile-mix <mix>',
      'load classes, e.g. residential=0.9,commercial=0.08,industrial=0.02',
      'residential=0.9,commercial=0.08,industrial=0.02',
    )
    .option('--transformers <n>', 'distribution transformers (default meters/250)')
    .option('--seed <n>', 'fleet seed', '7')
    .option('--speed <x>', 'simulated seconds per real second', '1')
    .option('--start <iso>', 'simulated start instant (default now)')
    .option(
      '--host <address>',
      'listening address: 0.0.0.0 answers on every 127.a.b.c (an address per meter, one port); a loopback address such as 127.0.0.1 gives each meter its own port there (--port, --port + 1, …); the export lists what is listened on',
      '0.0.0.0',
    )
    .option('--port <n>', 'listening port, the first meter’s with a specific --host (0 = any free)', '4059')
    .option('--latency <d>', 'mean response delay', '0ms')
    .option('--jitter <d>', '± spread of the delay', '0ms')
    .option('--loss <p>', 'share of responses lost', '0%')
    .option('--corrupt <p>', 'share of responses with a corrupted byte', '0%')
    .option('--silent <p>', 'share of meters that never answer', '0%')
    .option('--refused <p>', 'share of meters that refuse connections', '0%')
    .option('--slow <p>', 'share of meters on a 1200 B/s link', '0%')
    .option('--push-to <host:port>', 'head-end push listener (append /udp for UDP)')
    .option(
      '--scenario <list>',
      'e.g. outage@feeder-3,theft=0.5%,tamper=1%,drift=2%,dead=0.1%,wrong-key=0.5%',
    )
    .option('--push-blocks', 'also push every block-load row (0.5.25.9.0.255) after its period')
    .option('--no-background', 'no seeded everyday events (interruptions, low voltage, tamper)')
    .option(
      '--state <file>',
      "the meters' invocation counters, kept across restarts (created when missing); without it they start at zero each run",
    )
    .option(
      '--method-journal <file>',
      'append every method invocation the meters execute to this file (one JSON line, written before the meter answers, so it survives kill -9; read it with readMethodJournal)',
    )
    .option('--export <file>', 'write the meter list (.csv or .json) and keep serving')
    .option('--duration <d>', 'stop after this long (default: until interrupted)')
    .option('--status-every <d>', 'print the load this often', '10s')
    .action(async (o: SimulateOptions) => {
      const meters = count('meters', o.meters, 1);
      const fleet = await startFleet({
        meters,
        ...(o.transformers === undefined ? {} : { transformers: count('transformers', o.transformers, 1) }),
        mix: parseMix(o.profileMix),
        seed: count('seed', o.seed),
        speed: Number(o.speed),
        ...(o.start === undefined ? {} : { startAt: Date.parse(o.start) }),
        host: o.host,
        port: count('port', o.port),
        link: linkProfile(o),
        ...(o.pushTo === undefined ? {} : { pushTo: parsePushTo(o.pushTo) }),
        ...(o.scenario === undefined ? {} : { scenarios: o.scenario }),
        background: o.background,
        pushBlocks: o.pushBlocks === true,
        ...(o.state === undefined ? {} : { state: o.state }),
        ...(o.methodJournal === undefined ? {} : { methodJournal: o.methodJournal }),
      });
      try {
        for (const line of describeFleet(fleet, o)) io.out(line);
        if (o.export !== undefined) {
          await writeExport(fleet, o.export);
          io.out(`exported ${fleet.size} meters to ${o.export}`);
        }
        const every = parseDuration(o.statusEvery);
        let prev = fleet.stats();
        const status = setInterval(() => {
          const s = fleet.stats();
          io.out(describeLoad(s, prev, every / 1000));
          prev = s;
        }, every);
        let onSignal = (): void => {};
        await new Promise<void>((resolve) => {
          onSignal = resolve;
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          if (o.duration !== undefined) setTimeout(resolve, parseDuration(o.duration)).unref();
        });
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        clearInterval(status);
        const s = fleet.stats();
        io.out(`stopped: ${s.sessions} sessions, ${s.requests} requests, ${s.pushesSent} pushes sent`);
      } finally {
        await fleet.close();
      }
    });
}
