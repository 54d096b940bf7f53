import type { Instant } from '../paging.ts';

/**
 * What the head end knows of a meter's reachability, stored (not rebuilt from the audit log)
 * so that every collector process and every restart sees the same state.
 */
export interface MeterHealth {
  meterId: number;
  /** Failed tasks in a row; 0 after a success. */
  failures: number;
  /** Scheduled reads are skipped until this instant; null when not flagged. */
  flaggedUntil: Instant | null;
  lastSuccessAt: Instant | null;
  lastFailureAt: Instant | null;
  /** Stable error code of the last failure. */
  lastError: string | null;
  updatedAt: Instant;
}

export type MeterHealthUpdate = Omit<MeterHealth, 'updatedAt'>;
