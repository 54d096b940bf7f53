import type { Instant, NewMeterEvent, Store } from '@openhes/core';

/**
 * Prepayment events are stored with the meter's events (store.events) under a head-end log
 * of their own, so every transition is visible and audited beside what the meter reported.
 * `raw` holds the facts as UTF-8 JSON (balance, tier, reference, command id …).
 */
export const PREPAYMENT_EVENT_LOG = '0.0.99.98.128.255';

/** Stable event codes of the prepayment log (documented in docs; never renumbered). */
export const PrepaymentEventCode = {
  /** Low credit, first tier (default 30 % of the last top-up); tier n is 10 + n (11 … 19). */
  lowCreditTier1: 11,
  lowCreditTier2: 12,
  lowCreditTier3: 13,
  /** Credit exhausted inside friendly hours: supply kept, disconnection held until `heldUntil`. */
  disconnectHeld: 20,
  /** Disconnect requested through the command engine (non-payment). */
  disconnectRequested: 21,
  /** The meter confirmed the disconnection. */
  disconnected: 22,
  /** Disconnect retries used up: a field work order is needed. */
  disconnectFailed: 23,
  /** A disconnect command failed or expired; re-requested after the retry delay. */
  disconnectRetry: 24,
  /** A top-up was credited (once per payment reference). */
  topUp: 30,
  /** Reconnect requested (reinstatement, urgent). */
  reconnectRequested: 31,
  /** The meter confirmed the reconnection. */
  reconnected: 32,
  /** A reconnect command failed or expired; re-requested until the meter confirms. */
  reconnectRetry: 33,
  /** Emergency credit granted. */
  emergencyCreditGranted: 40,
  /** Emergency credit repaid from a top-up. */
  emergencyCreditRepaid: 41,
  /** A manual adjustment was posted (with its reason). */
  adjustment: 50,
} as const;
export type PrepaymentEventCode = (typeof PrepaymentEventCode)[keyof typeof PrepaymentEventCode];

/** Event code of alert tier `n` (1-based, highest percent first). */
export const lowCreditCode = (tier: number): number => 10 + tier;

const DISCONNECTOR_CODES = new Set<number>([20, 21, 22, 23, 24, 31, 32, 33]);

export function prepaymentEvent(
  meterId: number,
  at: Instant,
  code: number,
  facts: Record<string, unknown>,
): NewMeterEvent {
  return {
    meterId,
    meterTime: at,
    ts: at,
    log: PREPAYMENT_EVENT_LOG,
    code,
    category: DISCONNECTOR_CODES.has(code) ? 'disconnector' : 'other',
    raw: new TextEncoder().encode(JSON.stringify(facts)),
  };
}

/** The facts of a prepayment event (its `raw` JSON), or null. */
export function prepaymentEventFacts(raw: Uint8Array | null): Record<string, unknown> | null {
  if (raw === null) return null;
  try {
    return JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Appends prepayment events. The event store keys events by (meter, log, ts, code): a second
 * event with the same code in the same millisecond (two top-ups at once) is placed 1 ms later
 * instead of being dropped as a duplicate.
 */
export async function appendPrepaymentEvents(
  store: Pick<Store, 'events'>,
  events: readonly NewMeterEvent[],
): Promise<void> {
  for (const e of events) {
    let ev = e;
    for (let i = 0; i < 1000; i++) {
      const r = await store.events.append([ev]);
      if (r.inserted > 0) break;
      ev = { ...ev, ts: ev.ts + 1, meterTime: ev.meterTime + 1 };
    }
  }
}
