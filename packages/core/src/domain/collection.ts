import type { Instant } from '../paging.ts';

export const CollectionStatus = {
  success: 'success',
  partial: 'partial',
  failed: 'failed',
  skipped: 'skipped',
} as const;
export type CollectionStatus = (typeof CollectionStatus)[keyof typeof CollectionStatus];

/** What one collection task achieved on one meter. */
export interface CollectionOutcome {
  meterId: number;
  taskId: string;
  startedAt: Instant;
  finishedAt: Instant;
  status: CollectionStatus;
  /** Stable error code of the failure (e.g. `DLMS_TIMEOUT`), null on success. */
  errorCode: string | null;
  readingsStored: number;
  attempt: number;
}
