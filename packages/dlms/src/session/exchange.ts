import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { SessionEvent } from './events.ts';

/**
 * One step of a client exchange after feeding it a received APDU:
 * `send` — transmit these bytes and feed the next response;
 * `wait` — nothing to send, feed the next APDU (e.g. more general-block-transfer blocks);
 * `done` / `failed` — the exchange is over.
 */
export type ExchangeStep<T> =
  | { status: 'send'; send: Uint8Array; events: SessionEvent[] }
  | { status: 'wait'; events: SessionEvent[] }
  | { status: 'done'; result: T; events: SessionEvent[] }
  | { status: 'failed'; error: DlmsError; events: SessionEvent[] };

/**
 * A request in flight. The session builds the first bytes up front; the caller sends them,
 * feeds every APDU the server returns to `receive`, and sends whatever comes back until the
 * exchange is done or failed. No I/O, no timers: timeouts belong to the caller.
 */
export interface Exchange<T> {
  readonly send: Uint8Array;
  /** Events produced while building the first bytes (traces). */
  readonly events: SessionEvent[];
  readonly finished: boolean;
  receive(apdu: Uint8Array): ExchangeStep<T>;
}

/**
 * Drives an exchange against a synchronous responder (an in-memory server, a test double).
 * `respond` returns the APDUs the peer sends back for one APDU (several with GBT windows).
 */
export function runExchange<T>(
  exchange: Exchange<T>,
  respond: (apdu: Uint8Array) => Uint8Array[],
  onEvents?: (events: SessionEvent[]) => void,
): { ok: true; result: T } | { ok: false; error: DlmsError } {
  onEvents?.(exchange.events);
  let queue = respond(exchange.send);
  for (;;) {
    const next = queue.shift();
    if (next === undefined) {
      return {
        ok: false,
        error: new DlmsError(
          DlmsErrorCode.Protocol,
          'the responder returned nothing and the exchange is still open',
        ),
      };
    }
    const step = exchange.receive(next);
    onEvents?.(step.events);
    switch (step.status) {
      case 'send':
        queue = queue.concat(respond(step.send));
        break;
      case 'wait':
        break;
      case 'done':
        return { ok: true, result: step.result };
      case 'failed':
        return { ok: false, error: step.error };
    }
  }
}
