import type { DataNotification, EventNotificationRequest } from '../apdu/index.ts';
import type { DlmsError } from '../errors.ts';

/**
 * Tolerances for real meters. Each one is recorded as a `warning` event with one of these
 * stable codes and the session carries on.
 */
export const SessionWarning = {
  /** The server answered in blocks although block transfer was not negotiated. */
  BlockTransferNotNegotiated: 'BLOCK_TRANSFER_NOT_NEGOTIATED',
  /** Bytes followed the data of a response; they were ignored. */
  TrailingBytes: 'TRAILING_BYTES',
  /** An ExceptionResponse arrived where a release response was due; released anyway. */
  ReleaseExceptionResponse: 'RELEASE_EXCEPTION_RESPONSE',
  /** The release response could not be decoded; released anyway. */
  ReleaseMalformed: 'RELEASE_MALFORMED',
  /**
   * The response carried another invoke-id than the request, which was the only one
   * outstanding: it can only answer that request and was accepted (warned once per request).
   */
  InvokeIdMismatch: 'INVOKE_ID_MISMATCH',
  /** A late answer to an abandoned request (recognised by its invoke-id) was dropped. */
  LateResponse: 'LATE_RESPONSE',
} as const;
export type SessionWarning = (typeof SessionWarning)[keyof typeof SessionWarning];

export type TraceDirection = 'tx' | 'rx';

/**
 * One APDU crossing the session boundary. A ciphered APDU is traced twice: once as on the
 * wire (`layer: 'ciphered'`) and once deciphered (`layer: 'plain'`).
 */
export interface TraceEvent {
  type: 'trace';
  direction: TraceDirection;
  layer: 'plain' | 'ciphered';
  apdu: Uint8Array;
}

export interface WarningEvent {
  type: 'warning';
  code: SessionWarning;
  message: string;
}

export interface AssociatedEvent {
  type: 'associated';
  conformance: number;
  maxPduSize: number;
}

export interface ReleasedEvent {
  type: 'released';
}

/** Something the session refused or that ended the association (server side). */
export interface ErrorEvent {
  type: 'error';
  error: DlmsError;
}

/**
 * A DataNotification or EventNotificationRequest the server sent while a client exchange was
 * waiting for its response; the exchange goes on. `ciphered` tells whether it came protected.
 */
export interface NotificationEvent {
  type: 'notification';
  apdu: DataNotification | EventNotificationRequest;
  ciphered: boolean;
}

export type SessionEvent =
  | TraceEvent
  | WarningEvent
  | AssociatedEvent
  | ReleasedEvent
  | ErrorEvent
  | NotificationEvent;

/** Optional synchronous observers; they must not throw and must not re-enter the session. */
export interface SessionHooks {
  trace?: (event: TraceEvent) => void;
}

/** Collects events for one step and forwards traces to the hook. */
export class EventSink {
  readonly events: SessionEvent[] = [];
  private readonly hooks: SessionHooks;

  constructor(hooks: SessionHooks = {}) {
    this.hooks = hooks;
  }

  trace(direction: TraceDirection, layer: 'plain' | 'ciphered', apdu: Uint8Array): void {
    const e: TraceEvent = { type: 'trace', direction, layer, apdu };
    this.events.push(e);
    this.hooks.trace?.(e);
  }

  warn(code: SessionWarning, message: string): void {
    this.events.push({ type: 'warning', code, message });
  }

  push(e: SessionEvent): void {
    this.events.push(e);
  }

  drain(): SessionEvent[] {
    return this.events.splice(0, this.events.length);
  }
}
