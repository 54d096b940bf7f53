import { randomUUID } from 'node:crypto';
import { type Clock, type MeterLease, ReadingIngestService, type Store } from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { Collector, type CollectorOptions, type DriverKeys, type TaskResult } from './collector.ts';
import type { MeterAccess } from './meter-access.ts';
import { meterRatingLookup } from './rating.ts';
import {
  DEFAULT_SESSION_POLICY,
  READ_KINDS,
  type ReadKind,
  runSession,
  type SessionPolicy,
} from './session.ts';
import { StoreGate } from './store-gate.ts';

export interface CollectionServiceOptions {
  policy?: Partial<SessionPolicy>;
  collector?: CollectorOptions;
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
  /**
   * Store calls of collection in flight at once (see StoreGate); default 4. Other callers of
   * the store (the API) then wait behind at most this many of collection's.
   */
  storeConcurrency?: number;
  /** One session per meter across processes (see CollectorPorts.lease). */
  lease?: { port: MeterLease; holder: string; ttlMs?: number };
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A Collector whose tasks are sessions (clock check + reads) stored through the store's ports. */
export function createCollector(
  store: Store,
  access: MeterAccess,
  options: CollectionServiceOptions = {},
): Collector {
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...options.policy };
  const gate = new StoreGate(options.storeConcurrency ?? 4);
  const channels = gate.wrap(store.channels);
  const readings = gate.wrap(store.readings);
  // Values beyond the meter's rating (device profile) are flagged as physically impossible.
  const ingest = new ReadingIngestService(channels, readings, undefined, {
    ratingOf: meterRatingLookup(store.meters, access),
  });
  const clock = options.clock ?? { now: () => Date.now() };
  return new Collector(
    {
      driverFor: (id, keys) => access.driverFor(id, keys),
      work: (driver, task, attempt) =>
        runSession(
          driver,
          task.reads,
          {
            channels,
            readings,
            events: gate.wrap(store.events),
            audit: gate.wrap(store.audit),
            clock,
          },
          ingest,
          policy,
          task.priority === 'on-demand' ? 'on-demand' : 'scheduled',
          `${task.id}:${attempt}`,
        ),
      outcomes: gate.wrap(store.collection),
      audit: gate.wrap(store.audit),
      health: gate.wrap(store.health),
      ...(options.lease === undefined
        ? {}
        : {
            lease: {
              port: options.lease.port,
              holder: options.lease.holder,
              ttlMs: options.lease.ttlMs ?? 30_000,
            },
          }),
      clock,
      sleep: options.sleep ?? realSleep,
    },
    // The loop guard is on unless the caller turns it off: collection shares the process
    // with the API, which must stay responsive during a burst (issue 12, defect 7).
    { loopGuard: {}, ...options.collector },
  );
}

/** Reads one meter now, ahead of anything scheduled (the function the API calls). */
export function readMeterNow(
  collector: Collector,
  meterId: number,
  reads: readonly ReadKind[] = READ_KINDS,
): Promise<TaskResult> {
  return collector.submit({ id: `on-demand-${randomUUID()}`, meterId, reads, priority: 'on-demand' });
}

/**
 * Sessions for meter control through a collector (the structural shape of
 * `@openhes/control`'s MeterSessions, which acquisition cannot import): each `withMeter` is a
 * session job at 'command' priority, ahead of on-demand and scheduled reads, one per meter
 * (and per meter lease across processes); urgent ones go ahead of other commands.
 */
export interface CommandSessions {
  withMeter<T>(
    meterId: number,
    options: { urgent: boolean; keys?: DriverKeys; deadline?: number | null },
    work: (driver: MeterDriver) => Promise<T>,
  ): Promise<T>;
}

export function commandSessions(collector: Collector): CommandSessions {
  return {
    withMeter: (meterId, options, work) =>
      collector.runJob(meterId, work, {
        priority: 'command',
        urgent: options.urgent,
        ...(options.keys === undefined ? {} : { keys: options.keys }),
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        id: `command-${meterId}`,
      }),
  };
}
