import type { DlmsError } from '@openhes/dlms';
import type { Transport } from '../transport.ts';

export type LinkRole = 'client' | 'server';
export type LinkKind = 'wrapper' | 'hdlc';

/**
 * Who an APDU came from or goes to. Wrapper: `client`/`server` are the wPorts. HDLC:
 * `client` is the client SAP, `server` the upper (logical device) address and `physical`
 * the lower address when the server address has one.
 */
export interface LinkAddress {
  client: number;
  server: number;
  physical?: number;
}

/** One frame (HDLC frame with flags, or whole wrapper PDU) as it crossed the wire. */
export interface FrameTrace {
  direction: 'in' | 'out';
  /** Milliseconds since the epoch. */
  time: number;
  bytes: Uint8Array;
  link: LinkKind;
}

export type FrameTraceHook = (frame: FrameTrace) => void;

export type LinkEvent =
  /** The peer ended the link (HDLC DISC at the server); the association is gone. */
  | { type: 'disconnected' }
  /** A defect the link survived (bad FCS, a PDU for another wPort, a stray frame). */
  | { type: 'warning'; error: DlmsError };

/** Limits of one `nextApdu()` wait beyond the silence timeout. */
export interface ResponseLimits {
  /**
   * Overall cap in ms from the start of the wait, however steadily the peer keeps sending
   * (a peer dribbling a byte at a time cannot hold the wait forever). 0 or absent = no cap.
   */
  maxMs?: number;
}

/**
 * A link that carries whole APDUs over a Transport. Client links talk to one fixed peer
 * address; server links answer whoever sent the last APDU unless told otherwise.
 * APDUs are delivered to `onApdu` when a listener is set, else queued for `nextApdu`.
 */
export interface ApduLink {
  readonly kind: LinkKind;
  readonly role: LinkRole;
  readonly transport: Transport;
  readonly closed: boolean;
  /** Client HDLC: SNRM/UA. Otherwise resolves at once. */
  open(): Promise<void>;
  sendApdu(apdu: Uint8Array, to?: LinkAddress): Promise<void>;
  /** Server: the last request gets no answer (HDLC releases the poll with RR). */
  noResponse(): void;
  /**
   * The next APDU; rejects with DlmsError Timeout (reason 'response-timeout') when nothing
   * comes from the peer for `timeoutMs` (each frame or chunk of the response re-arms it) or
   * when the whole wait exceeds `limits.maxMs`; or with the close error.
   */
  nextApdu(timeoutMs?: number, limits?: ResponseLimits): Promise<Uint8Array>;
  onApdu(listener: (apdu: Uint8Array, from: LinkAddress) => void): void;
  onEvent(listener: (event: LinkEvent) => void): void;
  /** Called once when the link is gone; `error` set when it ended abnormally. */
  onClose(listener: (error?: DlmsError) => void): void;
  /** `disconnect` (default true): HDLC client sends DISC and waits for UA/DM first. */
  close(options?: { disconnect?: boolean }): Promise<void>;
}
