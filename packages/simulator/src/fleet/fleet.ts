import type { DlmsError } from '@openhes/dlms';
import {
  attachServerConnection,
  listenTcp,
  type ServeDlmsOptions,
  type TcpServer,
  type TcpTransport,
} from '@openhes/transport';
import { type AnyImageOptions, setAcceptAnyImage } from '../model/image.ts';
import { journalMethods } from '../model/method-counts.ts';
import { type DeviceProfile, hdlcSetupOf } from '../profiles.ts';
import { Truth } from '../truth/fleet-truth.ts';
import { hash32 } from '../truth/hash.ts';
import { parseScenarios, type ScenarioSpec } from '../truth/scenarios.ts';
import type { Instant } from '../truth/time.ts';
import type { ProfileMix } from '../truth/topology.ts';
import { systemTitleOf } from '../truth/values.ts';
import { isLoopbackAddress, isWildcardAddress, meterAddress, meterIndexOf } from './addressing.ts';
import { CounterFile, UNICAST_KEY } from './counter-file.ts';
import {
  DelayQueue,
  EmulatedTransport,
  IDEAL_LINK,
  type LinkCounters,
  type LinkProfile,
  type MeterLink,
  meterLink,
} from './link-emulation.ts';
import { PushScheduler, type PushTo } from './push.ts';
import { CounterStore, CountingModel, servedSession } from './sessions.ts';

export interface FleetOptions {
  /** Consumer meters; one meter per transformer is added on top. */
  meters: number;
  transformers?: number;
  transformersPerFeeder?: number;
  mix?: ProfileMix;
  seed?: number;
  /** Simulated seconds per real second. */
  speed?: number;
  startAt?: Date | Instant;
  /**
   * Listening address; default 0.0.0.0, the only address on which one socket answers on every
   * 127.a.b.c (Linux matches a listener's exact address otherwise): meter i answers on
   * meterAddress(i) at `port` (addressing 'address'). The fleet serves loopback only all the
   * same: a connection addressed outside 127/8 has no meter and is closed before a byte is read
   * (tested by hes's datadir test through a non-loopback address of the host).
   * A specific loopback address (127.0.0.1, ::1; e.g. where only 127.0.0.1 exists) gives each
   * meter its own port there instead (addressing 'port'): meter i on `port + i`, or on a free
   * port of its own with port 0. A specific address that is not loopback is refused.
   */
  host?: string;
  /** 0 = any free port (each meter's own with a specific host). */
  port?: number;
  link?: Partial<LinkProfile>;
  /**
   * Per-meter overrides of the drawn link (e.g. a few meters on a slow cellular link); the
   * meters it returns undefined for keep theirs.
   */
  meterLink?: (index: number) => Partial<Pick<MeterLink, 'latencyMs' | 'jitterMs'>> | undefined;
  /** Shorthands for link.latencyMs, link.jitterMs and link.loss. */
  latency?: number;
  jitter?: number;
  loss?: number;
  pushTo?: PushTo;
  scenarios?: ScenarioSpec[] | string;
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Real milliseconds between push-scheduler ticks; 0 = only when `tick()` is called. */
  tickMs?: number;
  /** Real time source; default Date.now. */
  realNow?: () => number;
  /** Simulated clock override (tests drive time by hand); default startAt + speed × elapsed. */
  clock?: () => Instant;
  /** Reproducible HLS challenges (tests); default crypto random. */
  seededChallenges?: boolean;
  idleTimeoutMs?: number;
  /** Seeded everyday events (interruptions, low voltage, tamper) around the start; default true. */
  background?: boolean;
  /** Push each block-load row (0.5.25.9.0.255) within a minute after its period ends. */
  pushBlocks?: boolean;
  /**
   * State file of the meters' invocation counters (created when missing): each meter's send
   * counter continues from it after a restart, reserved ahead and written before use, as a
   * real meter keeps its frame counter. Without it every run starts the counters at zero.
   */
  state?: string;
  /** Counters reserved per state-file write for each meter; default COUNTER_BLOCK. */
  counterBlock?: number;
  /** Journal of every method invocation the meters execute (model/method-counts.ts), appended. */
  methodJournal?: string;
  /**
   * The meters verify any transferred image whose blocks all arrived with their declared
   * lengths, not only the simulator's own format (setAcceptAnyImage): what rehearsal twins of
   * real meters use, since they receive the vendor's image.
   */
  acceptAnyImage?: boolean | AnyImageOptions;
}

export interface FleetStats {
  meters: number;
  openConnections: number;
  connections: number;
  sessions: number;
  requests: number;
  refused: number;
  silent: number;
  errors: number;
  link: LinkCounters;
  pushesSent: number;
  pushesFailed: number;
  commandedMeters: number;
  simulatedNow: Instant;
}

/** Where a client dials one meter. */
export interface MeterEndpoint {
  host: string;
  port: number;
}

export interface Fleet {
  readonly truth: Truth;
  /** The address listened on. */
  readonly host: string;
  /** The port listened on (addressing 'address'); meter 0's port (addressing 'port'). */
  readonly port: number;
  readonly size: number;
  /**
   * How a client reaches meter i: 'address' — one socket on a wildcard address, meter i on
   * loopback address meterAddress(i) at `port`; 'port' — a specific loopback address `host`,
   * meter i on a port of its own there.
   */
  readonly addressing: 'address' | 'port';
  /** Simulated now (true time). */
  now(): Instant;
  /** The address meter `index` answers on (and pushes from). */
  address(index: number): string;
  /** The port meter `index` answers on. */
  portOf(index: number): number;
  /** address and port of meter `index`: what the export lists. */
  endpoint(index: number): MeterEndpoint;
  stats(): FleetStats;
  /** Runs the push scheduler up to now; resolves when the pushes went out. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const realNow = o.realNow ?? Date.now;
  const seed = o.seed ?? 7;
  const startAt =
    o.startAt === undefined ? Date.now() : typeof o.startAt === 'number' ? o.startAt : o.startAt.getTime();
  const speed = o.speed ?? 1;
  const realStart = realNow();
  const now = o.clock ?? ((): Instant => startAt + Math.floor((realNow() - realStart) * speed));
  const transformers = o.transformers ?? Math.max(1, Math.round(o.meters / 250));
  const scenarios =
    typeof o.scenarios === 'string' ? parseScenarios(o.scenarios, startAt) : (o.scenarios ?? []);
  const truth = new Truth({
    seed,
    startAt,
    consumers: o.meters,
    transformers,
    ...(o.transformersPerFeeder === undefined ? {} : { transformersPerFeeder: o.transformersPerFeeder }),
    mix: o.mix ?? { residential: 1 },
    scenarios,
    background: o.background ?? true,
    ...(o.profiles === undefined ? {} : { profiles: o.profiles }),
    ...(o.pushTo === undefined ? {} : { pushDestination: `${o.pushTo.host}:${o.pushTo.port}` }),
  });
  if (o.acceptAnyImage !== undefined && o.acceptAnyImage !== false)
    setAcceptAnyImage(truth, o.acceptAnyImage);
  const host = o.host ?? '0.0.0.0';
  const byPort = !isWildcardAddress(host);
  const basePort = o.port ?? 4059;
  if (byPort && basePort !== 0 && basePort + truth.size - 1 > 65_535) {
    throw new RangeError(
      `host ${host} gives each meter its own port: ports ${basePort}…${basePort + truth.size - 1} do not exist (take a lower port, port 0 for free ones, or host 0.0.0.0 for one port and an address per meter)`,
    );
  }
  const link: LinkProfile = {
    ...IDEAL_LINK,
    ...(o.latency === undefined ? {} : { latencyMs: o.latency }),
    ...(o.jitter === undefined ? {} : { jitterMs: o.jitter }),
    ...(o.loss === undefined ? {} : { loss: o.loss }),
    ...o.link,
  };
  const counterFile = o.state === undefined ? undefined : new CounterFile(o.state, o.counterBlock);
  let counters: CounterStore;
  try {
    counters = new CounterStore(counterFile === undefined ? undefined : reserveFleet(counterFile, truth));
  } catch (e) {
    counterFile?.close();
    throw e;
  }
  const closeJournal = o.methodJournal === undefined ? undefined : journalMethods(truth, o.methodJournal);
  const linkCounters: LinkCounters = { sent: 0, dropped: 0, corrupted: 0 };
  const delays = new DelayQueue();
  const stats = { connections: 0, sessions: 0, requests: 0, refused: 0, silent: 0, errors: 0 };
  /** Listeners of the 'port' addressing, one per meter. */
  const perMeter: TcpServer[] = [];
  const sourceAddress = (meter: number): string =>
    byPort ? (perMeter[meter]?.host ?? host) : meterAddress(meter);
  const pushes = new PushScheduler(truth, o.pushTo, now, o.pushBlocks ?? false, counters, sourceAddress);
  const hooks = {
    now,
    onPush: (meter: number, setup: string) => pushes.pushNow(meter, setup),
  };
  let rng = hash32(seed, 0xf1ee7);
  const random = (): number => {
    rng = hash32(rng, 0x51);
    return rng / 0x100000000;
  };

  /** How meter `index`'s connection is served (the connection decided whose meter it reached). */
  const serveOptions = (profile: DeviceProfile, index: number): ServeDlmsOptions => ({
    transport: 'tcp',
    port: 0,
    link: linkOf(profile),
    sessionFor: (info) => {
      if (info.serverAddress.logical !== profile.serverAddress) return undefined;
      stats.sessions++;
      const session = servedSession(
        truth,
        index,
        hooks,
        counters,
        o.seededChallenges ? seededChallenge(seed, index) : undefined,
      );
      return { ...session, model: new CountingModel(session.model, stats) };
    },
    onError: (_where: unknown, _e: DlmsError) => {
      stats.errors++;
    },
  });

  /** A connection to meter `index` (undefined: the dialled address names none). */
  const onConnection = (t: TcpTransport, index: number | undefined): void => {
    stats.connections++;
    if (index === undefined || index >= truth.size) {
      void t.close();
      return;
    }
    const m = truth.meter(index);
    const ml = { ...meterLink(seed, index, link), ...o.meterLink?.(index) };
    if (ml.behaviour === 'refused') {
      stats.refused++;
      void t.close();
      return;
    }
    // A meter that does not answer now (dead, or unpowered without a battery-backed modem) never
    // answers on this connection; one that does stops while its supply is off, and a connection
    // that outlived a supply failure is gone (the modem restarted).
    const openedAt = now();
    const off = !m.answersAt(openedAt);
    if (ml.behaviour === 'silent' || off) stats.silent++;
    const wrapped = new EmulatedTransport(
      t,
      off ? { ...ml, behaviour: 'silent' } : ml,
      link,
      linkCounters,
      random,
      delays,
      () => {
        const at = now();
        if (!m.answersAt(at)) return 'swallow';
        return m.modemRestartedIn(openedAt, at) ? 'close' : 'pass';
      },
    );
    attachServerConnection(wrapped, serveOptions(m.profile, index));
  };

  const listenOptions = { inactivityTimeoutMs: o.idleTimeoutMs ?? 120_000 };
  let server: TcpServer;
  try {
    if (!byPort) {
      server = await listenTcp({ ...listenOptions, host, port: basePort }, (t) =>
        onConnection(t, meterIndexOf(t.local.slice(0, t.local.lastIndexOf(':')))),
      );
    } else {
      for (let i = 0; i < truth.size; i++) {
        const port = basePort === 0 ? 0 : basePort + i;
        perMeter.push(
          await listenTcp({ ...listenOptions, host, port }, (t) => onConnection(t, i)).catch((e: unknown) => {
            throw new Error(
              `host ${host}: meter ${i} cannot listen on port ${port === 0 ? '(any)' : port}: ${e instanceof Error ? e.message : String(e)}`,
              { cause: e },
            );
          }),
        );
        if (i === 0 && !isLoopbackAddress(perMeter[0]!.host))
          throw new RangeError(
            `host ${host} is not a loopback address: the simulated meters answer on loopback only (127.0.0.1, ::1, or 0.0.0.0 for an address per meter)`,
          );
      }
      const first = perMeter[0]!;
      server = {
        host: first.host,
        port: first.port,
        get connections() {
          return perMeter.reduce((n, x) => n + x.connections, 0);
        },
        close: async () => {
          await Promise.all(perMeter.map((x) => x.close()));
        },
      };
    }
  } catch (e) {
    await Promise.all(perMeter.map((x) => x.close()));
    counterFile?.close();
    closeJournal?.();
    throw e;
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  if ((o.tickMs ?? 1000) > 0) {
    timer = setInterval(() => void pushes.tick().catch(() => {}), o.tickMs ?? 1000);
    timer.unref();
  }

  return {
    truth,
    host: server.host,
    port: server.port,
    size: truth.size,
    addressing: byPort ? 'port' : 'address',
    now,
    address: (index) => (byPort ? (perMeter[index] ?? server).host : meterAddress(index)),
    portOf: (index) => (byPort ? (perMeter[index] ?? server).port : server.port),
    endpoint: (index) =>
      byPort
        ? { host: (perMeter[index] ?? server).host, port: (perMeter[index] ?? server).port }
        : { host: meterAddress(index), port: server.port },
    stats: () => ({
      meters: truth.size,
      openConnections: server.connections,
      ...stats,
      link: { ...linkCounters },
      pushesSent: pushes.sent,
      pushesFailed: pushes.failed,
      commandedMeters: truth.commanded,
      simulatedNow: now(),
    }),
    tick: () => pushes.tick(),
    close: async () => {
      if (timer !== undefined) clearInterval(timer);
      await pushes.drain();
      await server.close();
      // Nothing sends any more: another fleet may take the state file over.
      counterFile?.close();
      closeJournal?.();
    },
  };
}

/** Reserves a block for every meter of the fleet with one state-file write, before any is served. */
function reserveFleet(file: CounterFile, truth: Truth): CounterFile {
  const wanted: [string, string, number][] = [];
  for (let i = 0; i < truth.size; i++) {
    const title = Array.from(systemTitleOf(truth.identity(i)), (x) => x.toString(16).padStart(2, '0')).join(
      '',
    );
    wanted.push([title, UNICAST_KEY, file.start(title, UNICAST_KEY)]);
  }
  file.reserveMany(wanted);
  return file;
}

function linkOf(p: DeviceProfile): ServeDlmsOptions['link'] {
  if (p.framing === 'wrapper') return { kind: 'wrapper' };
  const h = hdlcSetupOf(p);
  return {
    kind: 'hdlc',
    serverAddress: { logical: p.serverAddress },
    ...(h === undefined ? {} : { maxInfo: h.maxInfoFieldLengthReceive, window: h.windowSizeReceive }),
  };
}

function seededChallenge(seed: number, meter: number) {
  let n = 0;
  return (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = (hash32(seed, meter, n, i) & 0x3f) + 0x30;
    n++;
    return out;
  };
}
