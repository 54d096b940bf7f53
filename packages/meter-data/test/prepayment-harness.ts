import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Actor,
  Channel,
  Command,
  CommandRequest,
  ControlPort,
  Meter,
  ReadingInput,
  Store,
} from '@openhes/core';
import { openStore } from '@openhes/storage';
import {
  type ConsumptionSource,
  PrepaymentEngine,
  type PrepaymentEngineOptions,
  PrepaymentService,
  type PriceFor,
  storeConsumption,
} from '../src/index.ts';

export const STEP = 900_000;

/** A settable clock shared by the store and the engine. */
export class TestClock {
  t: number;
  constructor(t: number) {
    this.t = t;
  }
  now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

/**
 * A stand-in for the command engine and the meter behind it: requests are stored as real
 * commands; `run()` executes the queued ones against a simulated relay, which only moves when
 * the meter is reachable (else the command fails, as a dropped association would).
 */
export class FakeMeterControl implements Pick<ControlPort, 'requestCommand' | 'cancelCommand'> {
  readonly requests: { request: CommandRequest; actor: Actor; id: number }[] = [];
  /** The relay of each meter: true = closed (supply on). */
  readonly relay = new Map<number, boolean>();
  readonly online = new Map<number, boolean>();
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  async requestCommand(request: CommandRequest, actor: Actor): Promise<Command> {
    const c = await this.store.commands.create({
      kind: request.kind,
      meterId: request.meterId,
      parameters: request.parameters ?? {},
      reason: request.reason,
      priority: request.priority ?? 'normal',
      deadline: request.deadline ?? null,
      requestedBy: actor.name,
      requestedFrom: actor.address,
    });
    this.requests.push({ request, actor, id: c.id });
    return c;
  }

  async cancelCommand(id: number, actor: Actor): Promise<Command> {
    return this.store.commands.transition(id, 'queued', 'cancelled', actor.name);
  }

  /** Executes every queued command; returns how many ran. */
  async run(): Promise<number> {
    const queued = await this.store.commands.list({ state: 'queued', limit: 1000 });
    for (const c of queued.items) {
      await this.store.commands.transition(c.id, 'queued', 'sending', 'runner', { attempts: 1 });
      if (this.online.get(c.meterId) === false) {
        await this.store.commands.transition(c.id, 'sending', 'failed', 'runner', {
          error: { code: 'NO_ANSWER', message: 'meter did not answer' },
        });
        continue;
      }
      const closed = c.kind === 'connect';
      this.relay.set(c.meterId, closed);
      await this.store.commands.transition(c.id, 'sending', 'confirmed', 'runner', {
        result: { outputState: closed },
      });
    }
    return queued.items.length;
  }
}

export interface Rig {
  store: Store;
  clock: TestClock;
  control: FakeMeterControl;
  engine: PrepaymentEngine;
  service: PrepaymentService;
  meter: Meter;
  channel: Channel;
  close(): Promise<void>;
  /** Stores `n` quarter-hour values of `wh` each, the first ending at `firstEnd`. */
  ingest(firstEnd: number, n: number, wh: number | ((i: number) => number), quality?: number): Promise<void>;
}

export async function rig(
  t0: number,
  options: {
    priceFor: PriceFor;
    engine?: PrepaymentEngineOptions;
    consumption?: (store: Store) => ConsumptionSource;
    tariff?: string | null;
  },
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-prepay-'));
  const clock = new TestClock(t0);
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), clock });
  const meter = await store.meters.create({
    serial: `PP-${process.pid}`,
    manufacturer: 'ACME',
    model: 'AM550',
    deviceProfile: 'acme',
    protocol: 'dlms-tcp',
    address: '10.0.0.1:4059',
    status: 'active',
    tariff: options.tariff ?? null,
  });
  const channel = await store.channels.ensure(meter.id, {
    obis: '1.0.1.29.0.255',
    attribute: 2,
    kind: 'interval',
    unit: 'Wh',
    scaler: 0,
    intervalSeconds: 900,
  });
  const control = new FakeMeterControl(store);
  control.relay.set(meter.id, true);
  const engine = new PrepaymentEngine(
    {
      store,
      control,
      priceFor: options.priceFor,
      consumption: options.consumption ? options.consumption(store) : storeConsumption(store),
      clock,
    },
    options.engine,
  );
  const service = new PrepaymentService(store, engine, { clock });
  return {
    store,
    clock,
    control,
    engine,
    service,
    meter,
    channel,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async ingest(firstEnd, n, wh, quality = 0) {
      const readings: ReadingInput[] = Array.from({ length: n }, (_, i) => ({
        channelId: channel.id,
        ts: firstEnd + i * STEP,
        value: typeof wh === 'number' ? wh : wh(i),
        quality,
      }));
      await store.readings.ingest({ readings });
    },
  };
}

/** Every entry of the account's ledger, oldest first (paged as a client would). */
export async function wholeLedger(store: Store, accountId: number) {
  const out = [];
  let cursor: string | null = null;
  do {
    const page = await store.prepayment.ledger({ accountId, limit: 50, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Codes of the meter's prepayment events, oldest first. */
export async function eventCodes(store: Store, meterId: number): Promise<number[]> {
  const page = await store.events.list({ meterId, limit: 1000 });
  return page.items.filter((e) => e.log === '0.0.99.98.128.255').map((e) => e.code);
}
