/** Every list is paged by an opaque cursor; `nextCursor` is null on the last page. */
export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_LIMIT = 500;
export const MAX_PAGE_LIMIT = 10_000;

/** Epoch milliseconds, UTC. */
export type Instant = number;

/** Half-open time range [from, to) in epoch milliseconds. */
export interface TimeRange {
  from: Instant;
  to: Instant;
}
