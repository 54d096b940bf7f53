import type { CollectionStatus, CollectionStore, Instant } from '@openhes/core';

export interface SuccessRate {
  outcomes: number;
  byStatus: Record<CollectionStatus, number>;
  /** success / (outcomes − skipped); null with nothing attempted. */
  rate: number | null;
  metersAttempted: number;
  metersRead: number;
  /** Meters with at least one success among those attempted. */
  meterRate: number | null;
  /** True when more than `maxOutcomes` outcomes lie in the window and the scan stopped. */
  truncated: boolean;
}

/** Scans the outcomes started in [from, to); the store has no aggregate for this yet. */
export async function successRate(
  outcomes: CollectionStore,
  from: Instant,
  to: Instant,
  maxOutcomes = 1_000_000,
): Promise<SuccessRate> {
  const byStatus: Record<CollectionStatus, number> = { success: 0, partial: 0, failed: 0, skipped: 0 };
  const attempted = new Set<number>();
  const read = new Set<number>();
  let n = 0;
  let cursor: string | null = null;
  do {
    const page = await outcomes.list({ from, to, limit: 10_000, cursor });
    for (const o of page.items) {
      n += 1;
      byStatus[o.status] += 1;
      if (o.status === 'skipped') continue;
      attempted.add(o.meterId);
      if (o.status === 'success') read.add(o.meterId);
    }
    cursor = page.nextCursor;
  } while (cursor !== null && n < maxOutcomes);
  const tried = n - byStatus.skipped;
  return {
    outcomes: n,
    byStatus,
    rate: tried === 0 ? null : byStatus.success / tried,
    metersAttempted: attempted.size,
    metersRead: read.size,
    meterRate: attempted.size === 0 ? null : read.size / attempted.size,
    truncated: cursor !== null,
  };
}
