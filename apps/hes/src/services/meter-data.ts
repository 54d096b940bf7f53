import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOutboxRelay } from '@openhes/bus';
import {
  type BillingPort,
  type Clock,
  type ControlPort,
  isCodedError,
  type PrepaymentPort,
  type ReadingsStoredPayload,
  type Store,
  type Subscription,
  type VeePort,
} from '@openhes/core';
import {
  type BillingGroupInput,
  BillingService,
  type ChannelGroupInput,
  PrepaymentEngine,
  PrepaymentError,
  PrepaymentService,
  storeConsumption,
  tariffPriceFor,
  VeeService,
} from '@openhes/meter-data';
import type { RunningService, ServiceContext } from './context.ts';

/** The outbox relay that brings `readings.stored` to meter data (its own cursor). */
export const METER_DATA_OUTBOX_RELAY = 'meter-data';

/** The file in the data directory that configures meter data (all optional). */
export const METER_DATA_FILE = 'meter-data.json';

/**
 * `meter-data.json`: VEE channel groups (rules and estimation per meter model / customer
 * class, zone, deadlines) and billing groups (which meters, cycle rule, zone). Without the file:
 * VEE's default group and one billing group `default` (every meter, calendar months, UTC).
 */
export interface MeterDataConfig {
  vee?: { groups?: ChannelGroupInput[]; dueAfterMs?: number };
  billing?: { groups?: BillingGroupInput[] };
  prepayment?: { tickMs?: number };
}

export const DEFAULT_BILLING_GROUPS: readonly BillingGroupInput[] = [{ id: 'default', timeZone: 'UTC' }];

/** Engine sweep (friendly windows ending, command outcomes, reconnect retries): 20 s. */
export const PREPAYMENT_TICK_MS = 20_000;

export function readMeterDataConfig(dataDir: string): MeterDataConfig {
  const path = join(dataDir, METER_DATA_FILE);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path}: must hold an object { vee, billing, prepayment }`);
  }
  return parsed as MeterDataConfig;
}

export interface MeterData {
  vee: VeeService;
  billing: BillingService;
  prepayment: PrepaymentService;
  engine: PrepaymentEngine;
  /** The same services as the API's ports. */
  ports: { vee: VeePort; billing: BillingPort; prepayment: PrepaymentPort };
}

/**
 * Prepayment as the API's port: the body's `reference` is the service's payment `ref` (an
 * error about it names `reference`).
 */
export function prepaymentPort(service: PrepaymentService): PrepaymentPort {
  const renamed = (e: unknown): unknown =>
    isCodedError(e) && e.kind === 'invalid' && e.detail?.field === 'ref'
      ? PrepaymentError.invalid('reference', e.message.replace(/^ref: /, ''))
      : e;
  return {
    openAccount: (input, actor) => service.createAccount(input, actor),
    account: (id) => service.account(id),
    accounts: (query) => service.accounts(query),
    async topUp(request, actor) {
      try {
        return await service.topUp(
          { accountId: request.accountId, ref: request.reference, amount: request.amount },
          actor,
        );
      } catch (e) {
        throw renamed(e);
      }
    },
    adjust: (request, actor) => service.adjust(request, actor),
    ledger: (query) => service.ledger(query),
  };
}

/**
 * VEE, billing and prepayment over one store; prepayment switches supply through `control`
 * (none: balances are kept, supply never switched).
 */
export function createMeterData(
  store: Store,
  options: { config?: MeterDataConfig; control?: ControlPort | null; clock?: Clock } = {},
): MeterData {
  const clock = options.clock ?? { now: () => Date.now() };
  const config = options.config ?? {};
  const vee = new VeeService({
    store,
    clock,
    ...(config.vee?.groups === undefined ? {} : { groups: config.vee.groups }),
    ...(config.vee?.dueAfterMs === undefined ? {} : { dueAfterMs: config.vee.dueAfterMs }),
  });
  const billing = new BillingService({ store, groups: config.billing?.groups ?? DEFAULT_BILLING_GROUPS });
  const engine = new PrepaymentEngine({
    store,
    control: options.control ?? null,
    priceFor: tariffPriceFor(store),
    consumption: storeConsumption(store),
    clock,
  });
  const prepayment = new PrepaymentService(store, engine, { clock });
  return {
    vee,
    billing,
    prepayment,
    engine,
    ports: { vee, billing, prepayment: prepaymentPort(prepayment) },
  };
}

const perContext = new WeakMap<ServiceContext, MeterData>();

/**
 * The meter-data services of a `hes start` process (created once, with the process's control
 * port when it has one: create them after the control service).
 */
export function meterDataFor(ctx: ServiceContext): MeterData {
  let md = perContext.get(ctx);
  if (md === undefined) {
    md = createMeterData(ctx.wired.store, {
      config: readMeterDataConfig(ctx.wired.data),
      control: ctx.control ?? null,
    });
    perContext.set(ctx, md);
  }
  return md;
}

/**
 * Meter data after ingest: each `readings.stored` runs VEE over the batch's range (never the
 * whole history), then charges the meter's prepayment account from the validated values
 * (alerts, disconnect at zero outside friendly hours); a sweep every `tickMs` ends friendly
 * holds and follows connect/disconnect commands until the meter confirms.
 */
export async function startMeterData(
  ctx: ServiceContext,
  options: { tickMs?: number } = {},
): Promise<RunningService & { meterData: MeterData; idle(): Promise<void> }> {
  const md = meterDataFor(ctx);
  const store = ctx.wired.store;
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };
  const afterIngest = async (payload: ReadingsStoredPayload): Promise<void> => {
    try {
      await md.vee.runAfterIngest(payload);
      if (payload.batchId.startsWith('vee:')) return;
      const account = await store.prepayment.accountForMeter(payload.meterId);
      if (account !== null) await md.engine.evaluate(account.id);
    } catch (e) {
      ctx.warn(e);
    }
  };
  const sub: Subscription = await ctx.wired.bus.subscribe('readings.stored', (m) =>
    track(afterIngest(m.payload as ReadingsStoredPayload)),
  );
  // What the store announces (readings.stored, written in the data's own transaction) reaches the
  // bus only through a relay. One process relays (the leader lock, shared on PostgreSQL); the
  // others' meter data stays idle, as VEE and charging work on the store, not on the process.
  const relay = startOutboxRelay(store.outbox, ctx.wired.bus, {
    name: METER_DATA_OUTBOX_RELAY,
    intervalMs: 500,
    leader: { lock: ctx.wired.leaderLock, holder: ctx.wired.holder, ttlMs: 10_000 },
    onError: (e) => ctx.warn(e),
  });
  const tickMs =
    options.tickMs ?? readMeterDataConfig(ctx.wired.data).prepayment?.tickMs ?? PREPAYMENT_TICK_MS;
  let ticking = false;
  const timer =
    tickMs > 0
      ? setInterval(() => {
          if (ticking) return;
          ticking = true;
          void track(
            md.engine
              .tick()
              .then((r) => {
                for (const f of r.failed)
                  ctx.warn(new Error(`prepayment account ${f.accountId}: ${f.error}`));
              })
              .catch((e: unknown) => ctx.warn(e))
              .finally(() => {
                ticking = false;
              }),
          );
        }, tickMs)
      : undefined;
  timer?.unref();
  const idle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  return {
    meterData: md,
    idle,
    async stop(drainMs: number) {
      if (timer !== undefined) clearInterval(timer);
      await relay.stop();
      await sub.unsubscribe();
      await Promise.race([idle(), new Promise((r) => setTimeout(r, Math.max(0, drainMs)).unref())]);
    },
  };
}
