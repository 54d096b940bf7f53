import {
  type DlmsData,
  dateTimeFromInstant,
  InvocationCounterState,
  type ServerAssociation,
  ServerSession,
} from '@openhes/dlms';
import { sendPush } from '@openhes/transport';
import { METER_MAX_PDU, SERVER_CONFORMANCE } from '../conformance.ts';
import { MeterModel } from '../model/meter-model.ts';
import type { PushSpec } from '../profiles.ts';
import type { Truth } from '../truth/fleet-truth.ts';
import { hash32, Stream } from '../truth/hash.ts';
import { captureInstant, eswBits } from '../truth/measures.ts';
import type { MeterTruth } from '../truth/meter.ts';
import { picks, type Target, tamperTime } from '../truth/scenarios.ts';
import { DAY, HOUR, type Instant, localMidnight, MINUTE } from '../truth/time.ts';
import { consumersOf, placeOf, transformersOfFeeder } from '../truth/topology.ts';
import { activeSecrets, systemTitleOf } from '../truth/values.ts';
import { meterAddress } from './addressing.ts';
import { CounterStore, pushBody } from './sessions.ts';

export interface PushTo {
  host: string;
  port: number;
  transport?: 'tcp' | 'udp';
}

export interface PushRecord {
  meter: number;
  setup: string;
  at: Instant;
}

/** The push client SAP (IDIS): the association notifications belong to, and their wrapper destination wPort. */
export const PUSH_CLIENT_SAP = 0x66;

const ESW = '0.0.94.91.18.255';
const MAX_IN_FLIGHT = 32;
const BLOCK_GRID = 900_000;

/** Meter indexes a grid target covers, transformer meters included. */
export function metersUnder(truth: Truth, target: Target): number[] {
  const topo = truth.topology;
  if ('meter' in target) return [target.meter];
  const trs =
    'transformer' in target
      ? [target.transformer]
      : (() => {
          const r = transformersOfFeeder(topo, target.feeder);
          return Array.from({ length: Math.max(0, r.to - r.from) }, (_, i) => r.from + i);
        })();
  const out: number[] = [];
  for (const tr of trs) {
    if (tr < 0 || tr >= topo.transformers) continue;
    const { from, to } = consumersOf(topo, tr);
    for (let i = from; i < to; i++) out.push(i);
    out.push(topo.consumers + tr);
  }
  return out;
}

/**
 * Sends what meters push on their own: alarm DataNotifications (last gasp when the supply
 * fails, first breath when it returns, tamper) and the daily snapshot at a per-meter offset
 * within the hour after local midnight. Driven by ticks, not per-meter timers. A meter that
 * does not answer at the push's instant (unpowered without a battery-backed modem, or dead)
 * sends nothing then, except the last gasp its reserve sends as the supply fails.
 */
export class PushScheduler {
  sent = 0;
  failed = 0;
  readonly log: PushRecord[] = [];
  private readonly truth: Truth;
  private readonly target: PushTo | undefined;
  private readonly now: () => Instant;
  private last: Instant;
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private idle: (() => void)[] = [];

  private readonly blocks: boolean;
  private readonly counters: CounterStore;
  private readonly sourceAddress: (meter: number) => string;

  constructor(
    truth: Truth,
    target: PushTo | undefined,
    now: () => Instant,
    blocks = false,
    counters: CounterStore = new CounterStore(),
    /** The address meter i pushes from (the one it answers on); default meterAddress(i). */
    sourceAddress: (meter: number) => string = meterAddress,
  ) {
    this.sourceAddress = sourceAddress;
    this.blocks = blocks;
    this.counters = counters;
    this.truth = truth;
    this.target = target;
    this.now = now;
    this.last = now();
  }

  /** Everything due in (last tick, now]. */
  async tick(): Promise<void> {
    const to = this.now();
    const from = this.last;
    if (to <= from) return this.drain();
    this.last = to;
    if (this.target === undefined) return;
    const within = (t: Instant): boolean => t > from && t <= to;
    this.truth.scenarios.forEach((s, n) => {
      if (s.kind === 'outage') {
        const end = s.at + s.durationMs;
        if (within(s.at)) for (const i of metersUnder(this.truth, s.target)) this.alarm(i, s.at, 85, true);
        if (within(end)) for (const i of metersUnder(this.truth, s.target)) this.alarm(i, end, 86);
      } else if (s.kind === 'tamper' && s.at + DAY > from && s.at <= to) {
        const topo = this.truth.topology;
        for (let i = 0; i < topo.consumers; i++) {
          if (!picks(this.truth.seed, n, placeOf(topo, i), s.fraction)) continue;
          const at = tamperTime(this.truth.seed, n, s.at, i);
          if (within(at)) this.alarm(i, at, 81);
        }
      }
    });
    if (this.truth.background) {
      for (let tr = 0; tr < this.truth.topology.transformers; tr++) {
        for (const w of this.truth.transformerOutages(tr)) {
          if (within(w.from))
            for (const i of metersUnder(this.truth, { transformer: tr })) this.alarm(i, w.from, 85, true);
          if (within(w.to))
            for (const i of metersUnder(this.truth, { transformer: tr })) this.alarm(i, w.to, 86);
        }
      }
    }
    this.daily(from, to);
    if (this.blocks) this.blockLoad(from, to);
    await this.drain();
  }

  private daily(from: Instant, to: Instant): void {
    const truth = this.truth;
    const tz = truth.meter(0).profile.meter.utcOffsetMinutes;
    for (let midnight = localMidnight(from, tz); midnight <= to; midnight += DAY) {
      if (midnight + HOUR <= from) continue;
      for (let i = 0; i < truth.size; i++) {
        const at = midnight + (hash32(truth.seed, Stream.pushOffset, i) % 3600) * 1000;
        if (at > from && at <= to)
          this.enqueue(i, '0.6.25.9.0.255', at, midnight, undefined, { stamp: midnight });
      }
    }
  }

  /** Each meter pushes its block-load row (0.5.25.9.0.255) within a minute after the period ends. */
  private blockLoad(from: Instant, to: Instant): void {
    const truth = this.truth;
    for (let b = Math.floor((from - MINUTE) / BLOCK_GRID) * BLOCK_GRID; b <= to; b += BLOCK_GRID) {
      if (b + MINUTE <= from) continue;
      for (let i = 0; i < truth.size; i++) {
        const profile = truth.identity(i).profile;
        const setup = profile.objects.find((o) => o.push?.kind === 'block');
        const period =
          (profile.objects.find((o) => o.profile?.kind === 'block')?.profile?.capturePeriod ?? 900) * 1000;
        if (setup === undefined || b % period !== 0) continue;
        const at = b + (hash32(truth.seed, Stream.pushOffset + 1, i) % 60) * 1000;
        if (at > from && at <= to)
          this.enqueue(i, setup.obis, at, b, undefined, { stamp: b, periodMs: period });
      }
    }
  }

  /** An alarm push; `lastGasp`: sent from the reserve as the supply fails (the meter is already off). */
  private alarm(meter: number, at: Instant, bit: number, lastGasp = false): void {
    const m = this.truth.meter(meter);
    const setup = m.profile.objects.find((o) => o.push?.kind === 'alarm');
    if (setup === undefined) return;
    if (lastGasp && !m.answersAt(at - 1)) return;
    this.enqueue(
      meter,
      setup.obis,
      at,
      at,
      (body) => {
        if (body.type !== 'structure') return body;
        const i = setup.push!.objects.findIndex((r) => r[1] === ESW);
        if (i < 0) return body;
        const bits = [...eswBits(m, at), bit];
        const bytes = new Uint8Array(16);
        for (const b of bits) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
        body.value[i] = { type: 'bit-string', value: { length: 128, bytes } };
        return body;
      },
      undefined,
      lastGasp,
    );
  }

  /** Push setup method 1 (or a test) asks for a push now. */
  pushNow(meter: number, setup: string): void {
    const at = this.now();
    this.enqueue(meter, setup, at, at);
  }

  private enqueue(
    meter: number,
    setupObis: string,
    at: Instant,
    rowAt: Instant,
    edit?: (b: DlmsData) => DlmsData,
    /** A row stamped by the meter's clock (daily, block push): values at its capture instant. */
    row?: { stamp: Instant; periodMs?: number },
    /** Sent even though the meter does not answer at `at` (the last gasp). */
    whileOff = false,
  ): void {
    const m = this.truth.meter(meter);
    if (!whileOff && !m.answersAt(at)) return;
    const own = destinationOf(m.state?.pushDestinations?.[setupObis]);
    const target = this.target ?? (own === undefined ? undefined : { ...own, transport: 'tcp' as const });
    if (target === undefined) return;
    const setup = m.profile.objects.find((o) => o.obis === setupObis && o.push !== undefined);
    if (setup === undefined) return;
    this.log.push({ meter, setup: setupObis, at });
    if (this.log.length > 10_000) this.log.splice(0, 5_000);
    // Built when sent, not when due: a round of 100,000 daily pushes holds no APDUs in the queue.
    const build = (): Uint8Array => {
      const m = this.truth.meter(meter);
      let body =
        row === undefined
          ? pushBody(m, setup.push!.objects, rowAt, at)
          : pushBody(m, setup.push!.objects, captureInstant(m, row.stamp), at, {
              stamp: row.stamp,
              ...(row.periodMs === undefined
                ? {}
                : { periodMs: row.periodMs, previousAt: captureInstant(m, row.stamp - row.periodMs) }),
            });
      if (edit) body = edit(body);
      return notification(m, setup.push!, body, at, this.counters);
    };
    const serverAddress = m.profile.serverAddress;
    this.queue.push(async () => {
      try {
        await sendPush(
          {
            transport: target.transport ?? 'tcp',
            host: own?.host ?? target.host,
            port: own?.port ?? target.port,
            localAddress: this.sourceAddress(meter),
            sourceWPort: serverAddress,
            destinationWPort: PUSH_CLIENT_SAP,
            connectTimeoutMs: 5_000,
          },
          [build()],
        );
        this.sent++;
      } catch {
        this.failed++;
      }
    });
    this.pump();
  }

  private pump(): void {
    while (this.running < MAX_IN_FLIGHT && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void job().finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && this.queue.length === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const w of waiting) w();
    }
  }

  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function destinationOf(s: string | undefined): { host: string; port: number } | undefined {
  const m = s === undefined ? null : /^(.+):(\d+)$/.exec(s);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/**
 * A DataNotification as the push setup's protection says: general-glo (or glo) ciphered under
 * the keys the meter holds now for that association, from the meter's system title, with the
 * meter's own send invocation counter, which only grows.
 */
function notification(
  m: MeterTruth,
  push: PushSpec,
  body: DlmsData,
  at: Instant,
  counters: CounterStore,
): Uint8Array {
  const pr = push.protection;
  const association: ServerAssociation = {
    key: 'push',
    clientSap: PUSH_CLIENT_SAP,
    authentication: 'none',
    policy: pr?.policy ?? 'none',
    conformance: SERVER_CONFORMANCE,
    maxReceivePduSize: METER_MAX_PDU,
  };
  if (pr !== undefined) {
    const s = activeSecrets(m);
    association.keys = { ek: s.ek, ak: s.ak };
    association.style = pr.style;
  }
  const session = new ServerSession({
    systemTitle: systemTitleOf(m),
    associations: [association],
    model: new MeterModel(m, { now: () => at }),
    clientSap: PUSH_CLIENT_SAP,
    invocationCounters: pr === undefined ? new InvocationCounterState() : counters.of(m),
  });
  const step = session.notify({
    body,
    association: 'push',
    dateTime: dateTimeFromInstant(new Date(at), { deviation: -m.profile.meter.utcOffsetMinutes }),
  });
  return step.send[0]!;
}
