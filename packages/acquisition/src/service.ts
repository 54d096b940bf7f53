import { randomUUID } from 'node:crypto';
import { type Clock, type MeterLease, ReadingIngestService, type Store } from '@openhes/core';
import { Collector, type CollectorOptions, type TaskResult } from './collector.ts';
import type { MeterAccess } from './meter-access.ts';
import {
  DEFAULT_SESSION_POLICY,
  READ_KINDS,
  type ReadKind,
  runSession,
  type SessionPolicy,
} from './session.ts';

export interface CollectionServiceOptions {
  policy?: Partial<SessionPolicy>;
  collector?: CollectorOptions;
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
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
  const ingest = new ReadingIngestService(store.channels, store.readings);
  const clock = options.clock ?? { now: () => Date.now() };
  return new Collector(
    {
      driverFor: (id) => access.driverFor(id),
      work: (driver, task, attempt) =>
        runSession(
          driver,
          task.reads,
          {
            channels: store.channels,
            readings: store.readings,
            events: store.events,
            audit: store.audit,
            clock,
          },
          ingest,
          policy,
          task.priority === 'on-demand' ? 'on-demand' : 'scheduled',
          `${task.id}:${attempt}`,
        ),
      outcomes: store.collection,
      audit: store.audit,
      health: store.health,
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
    options.collector,
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
