import { DlmsError, type DlmsErrorCode } from '../errors.ts';
import type { ServerAddressInput } from './address.ts';
import type { HdlcParameters } from './parameters.ts';

export const HdlcRole = { client: 'client', server: 'server' } as const;
export type HdlcRole = (typeof HdlcRole)[keyof typeof HdlcRole];

export const HdlcLinkState = {
  disconnected: 'disconnected',
  connecting: 'connecting',
  connected: 'connected',
  disconnecting: 'disconnecting',
} as const;
export type HdlcLinkState = (typeof HdlcLinkState)[keyof typeof HdlcLinkState];

export type HdlcDisconnectReason = 'local' | 'peer' | 'refused' | 'failed';

export type HdlcEvent =
  /** Link established; `parameters` are ours after negotiation (transmit = what we send). */
  | { type: 'connected'; parameters: HdlcParameters }
  /** A whole APDU without the LLC header; `unnumbered` when it came in a UI frame. */
  | { type: 'apdu'; apdu: Uint8Array; unnumbered: boolean }
  | { type: 'disconnected'; reason: HdlcDisconnectReason }
  /** Code Link when the link is lost (a `disconnected` event follows); others are reports. */
  | { type: 'error'; error: DlmsError };

/**
 * What a call produced. `send`: encoded frames to write, in order. `events`: what happened.
 * `timer`: 'start' = (re)start the response timer and call `onTimeout()` when it expires;
 * 'stop' = cancel it; absent = leave it as it is. Only the client (primary) asks for a timer.
 */
export interface HdlcStep {
  send: Uint8Array[];
  events: HdlcEvent[];
  timer?: 'start' | 'stop';
}

export interface HdlcConnectionOptions {
  role: HdlcRole;
  /** Client SAP. On the server, absent = accept an SNRM from any client and bind to it. */
  clientAddress?: number;
  serverAddress: ServerAddressInput;
  /** Our limits (client: the SNRM proposal); absent values are the defaults 128/128/1/1. */
  parameters?: Partial<HdlcParameters>;
  /** Timeouts or rejects in a row without progress before a Link error; default 3. */
  maxRetries?: number;
}

export function newStep(): HdlcStep {
  return { send: [], events: [] };
}

export function errorEvent(
  code: DlmsErrorCode,
  message: string,
  detail?: Record<string, unknown>,
): HdlcEvent {
  return { type: 'error', error: new DlmsError(code, message, detail === undefined ? {} : { detail }) };
}
