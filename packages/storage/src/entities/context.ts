import type { Clock, Instant } from '@openhes/core';
import type { SqlExec } from '../sql/exec.ts';

export type PeriodKind = 'readings' | 'events' | 'collection';

/** What the dialect-neutral stores need from their adapter. */
export interface EntityContext {
  exec: SqlExec;
  clock: Clock;
  /** Makes sure a storage period exists for each instant (no-op where not partitioned). */
  ensurePeriods(kind: PeriodKind, instants: readonly Instant[]): Promise<void>;
  /** False only when the schema predates the outbox (a store opened with `migrateTo` < 4). */
  outbox: boolean;
}
