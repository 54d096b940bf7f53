import {
  type Collector,
  createCollector,
  type PushDirectory,
  type PushListener,
  pushDirectoryFrom,
  READ_KINDS,
  type ReadKind,
  readMeterNow,
  type SessionPolicy,
  startPushListener,
  type TaskResult,
} from '@openhes/acquisition';
import type { AcquisitionPort, HesMetrics } from '@openhes/api';
import { type CollectionOutcome, ReadingIngestService, type Store } from '@openhes/core';
import type { HesContext } from '../commands/meters.ts';

export interface Tally {
  done: number;
  failed: number;
  skipped: number;
  readings: number;
  events: number;
}

/**
 * The collector with its outcomes fed to the metrics. The collector has no event hook; it
 * stores one outcome per attempt through the store's collection port, so that port is
 * observed: each durably recorded attempt counts once (status, error code, session
 * latency, readings written). Events written come from the finished task's result.
 */
export interface Collection {
  collector: Collector;
  tally: Tally;
  record(r: TaskResult): void;
  acquisition: AcquisitionPort;
}

export const COLLECTOR_CONCURRENCY = 256;

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
    audit: store.audit,
    users: store.users,
    tokens: store.tokens,
    keys: store.keys,
    counters: store.counters,
    maintenance: store.maintenance,
    close: () => store.close(),
  };
}

export function createCollection(
  ctx: HesContext,
  metrics: HesMetrics,
  policy: Partial<SessionPolicy> = {},
): Collection {
  const observe = (o: CollectionOutcome): void => {
    metrics.collectionOutcome(o);
    metrics.storeWrites('outcomes', 1);
    if (o.status === 'skipped') return;
    metrics.sessionLatency((o.finishedAt - o.startedAt) / 1000, o.status);
    metrics.storeWrites('readings', o.readingsStored);
  };
  const collector = createCollector(observedStore(ctx.store, observe), ctx.access, {
    policy,
    collector: { concurrency: COLLECTOR_CONCURRENCY },
  });
  // Meters flagged before a restart stay backed off (their flags live in the audit log).
  void collector.restoreFlags().catch(() => {});
  const tally: Tally = { done: 0, failed: 0, skipped: 0, readings: 0, events: 0 };
  const record = (r: TaskResult): void => {
    if (r.status === 'success') tally.done++;
    else if (r.status === 'skipped') tally.skipped++;
    else tally.failed++;
    tally.readings += r.readingsStored;
    tally.events += r.eventsStored;
    metrics.storeWrites('events', r.eventsStored);
  };
  return {
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
    },
  };
}

export interface Pushes {
  listener: PushListener;
  /** Rebuilds the sender directory from the registry (after an import). */
  refresh(): Promise<void>;
}

/** The push listener on TCP and UDP; pushes from meters not in the directory are dropped. */
export async function startPushes(
  ctx: HesContext,
  options: { host: string; port: number },
  onError: (message: string) => void,
): Promise<Pushes> {
  let directory: PushDirectory | undefined;
  const lazy: PushDirectory = {
    bySystemTitle: async (hex) => directory?.bySystemTitle(hex),
    byAddress: async (host) => directory?.byAddress(host),
    bySerial: async (serial) => directory?.bySerial(serial),
  };
  const listener = await startPushListener(
    { host: options.host, tcpPort: options.port, udpPort: options.port },
    {
      directory: lazy,
      ingest: new ReadingIngestService(ctx.store.channels, ctx.store.readings),
      events: ctx.store.events,
      counters: ctx.store.counters,
      liveReceived: (meterId) => ctx.access.receivedInSession(meterId),
      onError: (e, from) => onError(`push from ${from} dropped: ${e.message}`),
      now: Date.now,
    },
  );
  const refresh = async (): Promise<void> => {
    directory = await pushDirectoryFrom(ctx.store.meters, ctx.access);
  };
  await refresh();
  return { listener, refresh };
}
