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

/**
 * Payloads of the messages the stores write to the outbox with their data (ids and keys are
 * set by the store: key `meter:<id>`). Types: `readings.stored`, `event.stored`,
 * `command.<state>`.
 */
export interface ReadingsStoredPayload {
  meterId: number;
  batchId: string;
  /** Distinct channels of the meter in the batch. */
  channels: number;
  /** Readings of the meter in the batch (stored, versioned or unchanged). */
  readings: number;
  /** Earliest and latest reading instant of the meter in the batch. */
  from: Instant;
  to: Instant;
}

export interface EventStoredPayload {
  eventId: number;
  meterId: number;
  ts: Instant;
  log: string;
  code: number;
  category: string;
}

/** Payload of `command.<state>`: one per state change. */
export interface CommandChangedPayload {
  commandId: number;
  meterId: number;
  kind: string;
  from: string;
  to: string;
  by: string;
  detail: Record<string, unknown> | null;
}

/** Payload of `campaign.<state>`: one per state change of a campaign (its creation included). */
export interface CampaignChangedPayload {
  campaignId: number;
  kind: string;
  /** `requested` for the creation. */
  from: string;
  to: string;
  by: string;
  meterCount: number;
  dryRun: boolean;
  detail: Record<string, unknown> | null;
}
