import type { Instant } from '../paging.ts';

/**
 * A message on the event bus. `id` is the idempotency key (the same message delivered twice
 * has the same id); `key` orders messages (delivery is in order per key, e.g. `meter:42`).
 */
export interface BusMessage<T = unknown> {
  id: string;
  /** Dotted type, e.g. `readings.stored`, `event.stored`, `command.result`. */
  type: string;
  key: string;
  at: Instant;
  payload: T;
}

/** A message written to the outbox in the same transaction as the data it announces. */
export interface OutboxEntry<T = unknown> extends BusMessage<T> {
  /** Position in the outbox, strictly increasing in commit order. */
  seq: number;
}

export type NewOutboxMessage<T = unknown> = Omit<BusMessage<T>, 'id' | 'at'> & { id?: string; at?: Instant };
