import type {
  BusMessage,
  EventBus,
  EventStoredPayload,
  NewMeterEvent,
  Store,
  Subscription,
} from '@openhes/core';
import { RELAY_KINDS } from './kinds.ts';

/**
 * Events of the head end's own about meter control, stored with the meter's events under a
 * log of ours: OBIS 0.0.99.98.128.255 (E = 128, a manufacturer-specific value, so no meter's
 * log shares it) and codes 9000–9099.
 */
export const HEAD_END_CONTROL_LOG = '0.0.99.98.128.255';
export const HeadEndEventCode = {
  /** The meter's relay changed (its disconnector event) and no connect/disconnect of ours was confirmed around it. */
  relayUnordered: 9001,
} as const;

/**
 * Disconnector event codes that report a relay change: IDIS 60/61 manual disconnection /
 * connection, 62/63 remote, 64 local disconnection (limiter, supervision), 69 local
 * reconnection; IS 15959 control log 301 load disconnected, 302 load connected.
 * (IDIS 65–67 are limiter threshold events and 68 a failed transition: no change.)
 */
export const RELAY_CHANGE_CODES: readonly number[] = [60, 61, 62, 63, 64, 69, 301, 302];

export interface RelayWatchOptions {
  /** A connect/disconnect confirmed within this much of the event (either side) ordered it (default 15 min). */
  windowMs?: number;
  /** Codes of the `disconnector` category that report a relay change (default RELAY_CHANGE_CODES). */
  codes?: readonly number[];
  /** Principal of the audit entry (default `control`). */
  name?: string;
}

/**
 * Turns a relay change the head end did not order into an event of its own: for a stored
 * disconnector event whose code reports a relay change, when no connect or disconnect of that
 * meter was confirmed (or is being sent) within the window around the event, it stores a
 * `relayUnordered` event (same instant, HEAD_END_CONTROL_LOG) and audits it. Idempotent: the
 * event store keys events by (meter, log, ts, code), so a message delivered twice adds nothing.
 * Fed by the bus (`event.stored`, see `start`) or by calling `onEvent` directly.
 */
export class RelayWatch {
  readonly #store: Pick<Store, 'commands' | 'events' | 'audit'>;
  readonly #windowMs: number;
  readonly #codes: ReadonlySet<number>;
  readonly #name: string;
  #subscription: Subscription | null = null;

  constructor(store: Pick<Store, 'commands' | 'events' | 'audit'>, options: RelayWatchOptions = {}) {
    this.#store = store;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#codes = new Set(options.codes ?? RELAY_CHANGE_CODES);
    this.#name = options.name ?? 'control';
  }

  async start(bus: EventBus): Promise<void> {
    if (this.#subscription !== null) return;
    // A failure is thrown back to the bus, which delivers the message again (at least once).
    this.#subscription = await bus.subscribe('event.stored', async (m: BusMessage) => {
      await this.onEvent(m.payload as EventStoredPayload);
    });
  }

  async stop(): Promise<void> {
    const s = this.#subscription;
    this.#subscription = null;
    await s?.unsubscribe();
  }

  /** Checks one stored event; returns the head-end event recorded, or null when it was ordered or is no relay change. */
  async onEvent(e: EventStoredPayload): Promise<NewMeterEvent | null> {
    if (e.category !== 'disconnector' || !this.#codes.has(e.code) || e.log === HEAD_END_CONTROL_LOG)
      return null;
    if (await this.#ordered(e.meterId, e.ts)) return null;
    const event: NewMeterEvent = {
      meterId: e.meterId,
      meterTime: e.ts,
      ts: e.ts,
      log: HEAD_END_CONTROL_LOG,
      code: HeadEndEventCode.relayUnordered,
      category: 'disconnector',
      raw: null,
    };
    const { inserted } = await this.#store.events.append([event]);
    if (inserted > 0)
      await this.#store.audit.append({
        actor: this.#name,
        action: 'relay.unordered',
        target: `meter:${e.meterId}`,
        outcome: 'succeeded',
        detail: { address: 'system', eventId: e.eventId, log: e.log, code: e.code, ts: e.ts },
      });
    return event;
  }

  async #ordered(meterId: number, ts: number): Promise<boolean> {
    const page = await this.#store.commands.list({
      meterId,
      state: ['confirmed', 'sending'],
      order: 'desc',
      limit: 50,
    });
    for (const c of page.items) {
      if (!RELAY_KINDS.includes(c.kind)) continue;
      // Confirmed: when it was confirmed; being sent: its latest step.
      let at = c.updatedAt;
      for (const h of c.history) if (h.state === 'confirmed') at = h.at;
      if (Math.abs(at - ts) <= this.#windowMs) return true;
    }
    return false;
  }
}
