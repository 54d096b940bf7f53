import type { Instant } from '../paging.ts';

/** What a reading task reads from a meter; the acquisition layer maps each to driver calls. */
export const ReadKind = {
  registers: 'registers',
  instantaneous: 'instantaneous',
  block: 'block',
  daily: 'daily',
  billing: 'billing',
  events: 'events',
} as const;
export type ReadKind = (typeof ReadKind)[keyof typeof ReadKind];
export const READ_KINDS: readonly ReadKind[] = Object.values(ReadKind);

/**
 * Which meters a plan reads: `'all'` active meters, or those matching the selector. Within
 * one selector the listed criteria all apply (a meter must match every one given).
 */
export interface MeterSelector {
  profiles?: string[];
  ids?: number[];
}

/** The one reading-plan type: stored by the plan store, run by the scheduler. */
export interface NewReadingPlan {
  name: string;
  /** Cron expression (5 or 6 fields), evaluated in UTC. */
  cron: string;
  reads: ReadKind[];
  meters: MeterSelector | 'all';
  /** Each run is spread over this many seconds, each meter at a stable offset. */
  windowSeconds: number;
  enabled: boolean;
}

export interface ReadingPlan extends NewReadingPlan {
  id: number;
  createdAt: Instant;
  updatedAt: Instant;
}
