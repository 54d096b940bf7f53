import {
  type Collector,
  createCollector,
  READ_KINDS,
  type ReadKind,
  readMeterNow,
  type TaskResult,
} from '@openhes/acquisition';
import type { AcquisitionPort } from '@openhes/api';
import type { CollectionOutcome, Store } from '@openhes/core';
import type { RunningService, ServiceContext } from './context.ts';

export interface Tally {
  done: number;
  failed: number;
  skipped: number;
  readings: number;
  events: number;
  bytes: number;
}

/**
 * The collector with its outcomes fed to the metrics: the collector stores one outcome per
 * attempt through the store's collection port, so that port is observed (status, error
 * code, session latency, readings written); events written come from finished tasks.
 */
export interface Collection {
  collector: Collector;
  tally: Tally;
  record(r: TaskResult): void;
  acquisition: AcquisitionPort;
}

/** Meter leases are held this long without renewal (a session renews every third of it). */
export const SESSION_LEASE_TTL_MS = 30_000;

function observedStore(store: Store, onOutcome: (o: CollectionOutcome) => void): Store {
  return {
    meters: store.meters,
    topology: store.topology,
    channels: store.channels,
    readings: store.readings,
    events: store.events,
    collection: {
      async record(o) {
        await store.collection.record(o);
        onOutcome(o);
      },
      list: (q) => store.collection.list(q),
    },
    commands: store.commands,
    campaigns: store.campaigns,
    firmware: store.firmware,
    audit: store.audit,
    users: store.users,
    tokens: store.tokens,
    keys: store.keys,
    counters: store.counters,
    maintenance: store.maintenance,
    plans: store.plans,
    health: store.health,
    outbox: store.outbox,
    vee: store.vee,
    billing: store.billing,
    prepayment: store.prepayment,
    close: () => store.close(),
  };
}

/**
 * The collector service: sessions with meters (at most `concurrency` at once, one per meter
 * across processes through the meter lease), flags restored from the health store.
 */
export async function startCollector(
  ctx: ServiceContext,
): Promise<RunningService & { collection: Collection }> {
  const { wired, options } = ctx;
  const { metrics } = wired.metrics;
  const observe = (o: CollectionOutcome): void => {
    metrics.collectionOutcome(o);
    metrics.storeWrites('outcomes', 1);
    if (o.status === 'skipped') return;
    metrics.sessionLatency((o.finishedAt - o.startedAt) / 1000, o.status);
    metrics.storeWrites('readings', o.readingsStored);
  };
  const collector = createCollector(observedStore(wired.store, observe), wired.access, {
    ...(options.blockBackfillMs === undefined
      ? {}
      : { policy: { blockBackfillMs: options.blockBackfillMs } }),
    collector: { concurrency: options.concurrency },
    lease: { port: wired.meterLease, holder: wired.holder, ttlMs: SESSION_LEASE_TTL_MS },
  });
  const flagged = await collector.restoreFlags();
  if (flagged.length > 0) ctx.io.out(`collector: ${flagged.length} meter(s) still flagged from before`);
  const tally: Tally = { done: 0, failed: 0, skipped: 0, readings: 0, events: 0, bytes: 0 };
  const record = (r: TaskResult): void => {
    if (r.status === 'success') tally.done++;
    else if (r.status === 'skipped') tally.skipped++;
    else tally.failed++;
    tally.readings += r.readingsStored;
    tally.events += r.eventsStored;
    tally.bytes += r.bytes;
    metrics.storeWrites('events', r.eventsStored);
  };
  const collection: Collection = {
    collector,
    tally,
    record,
    acquisition: {
      async readNow(meterId, reads) {
        const kinds = (reads ?? READ_KINDS).filter((r): r is ReadKind =>
          (READ_KINDS as readonly string[]).includes(r),
        );
        const r = await readMeterNow(collector, meterId, kinds);
        record(r);
        return {
          status: r.status,
          errorCode: r.errorCode,
          readingsStored: r.readingsStored,
          eventsStored: r.eventsStored,
          durationMs: r.durationMs,
        };
      },
      resyncCounter: (meterId) => wired.access.resyncReceivedCounter(meterId),
    },
  };
  ctx.collection = collection;
  const depth = setInterval(() => metrics.queueDepth(collector.progress.queued), 1000);
  return {
    collection,
    async stop(drainMs) {
      clearInterval(depth);
      let waited: ReturnType<typeof setTimeout> | undefined;
      if (!Number.isFinite(drainMs)) await collector.drain();
      await Promise.race([
        collector.drain(),
        new Promise<void>((r) => {
          waited = setTimeout(r, drainMs);
        }),
      ]);
      clearTimeout(waited);
      const left = collector.progress.queued + collector.progress.running;
      if (left > 0) ctx.io.out(`abandoned ${left} collection tasks (not started or still running)`);
    },
  };
}
