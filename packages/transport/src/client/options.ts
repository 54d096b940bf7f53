import type {
  AuthenticationKind,
  CipheringStyle,
  Conformance,
  SecurityKeys,
  SecurityPolicy,
  SessionWarning,
} from '@openhes/dlms';
import type { SocketAccount } from '../budget.ts';
import type { FrameTraceHook } from '../link/types.ts';

/** Where the meter is (STYLE.md §6: one settings object per concern). */
export type ClientTransportOptions =
  | {
      kind: 'tcp';
      host: string;
      port: number;
      localAddress?: string;
      connectTimeoutMs?: number;
      /** Close with a Timeout error after this much silence; default none. */
      inactivityTimeoutMs?: number;
      /** Draw the socket from a process's socket budget (see SocketBudget). */
      sockets?: SocketAccount;
    }
  | {
      kind: 'udp';
      host: string;
      port: number;
      localAddress?: string;
      inactivityTimeoutMs?: number;
      sockets?: SocketAccount;
    };

export type ClientLinkOptions =
  | {
      kind: 'wrapper';
      /** Client SAP as wPort; default 16 (public client). */
      clientWPort?: number;
      /** Logical device as wPort; default 1 (management logical device). */
      serverWPort?: number;
    }
  | {
      kind: 'hdlc';
      clientAddress: number;
      serverAddress: { logical: number; physical?: number };
      maxInfo?: number;
      window?: number;
      /**
       * HDLC poll timer: how long to wait for a frame with F before resending or polling again.
       * Default `responseTimeoutMs / (maxRetries + 1)`, so that the link's own retries fit
       * inside the response timeout.
       */
      frameTimeoutMs?: number;
      /** HDLC timer expiries in a row before the link fails; default 3. */
      maxRetries?: number;
    };

export interface ClientAssociationOptions {
  /** Default 'none'. */
  authentication?: AuthenticationKind;
  /** LLS secret; a string is sent as its UTF-8 bytes. */
  password?: Uint8Array | string;
  /** Proposed conformance; default the session's head-end set. */
  conformance?: Partial<Conformance>;
  /** client-max-receive-pdu-size; default 0xFFFF over TCP, 2048 over UDP. */
  maxPdu?: number;
}

export interface ClientSecurityOptions {
  /** Our system title, 8 bytes. */
  systemTitle: Uint8Array;
  /** Global unicast encryption key and authentication key, 16 bytes each. */
  ek: Uint8Array;
  ak: Uint8Array;
  /** Default 'auth+enc'. */
  policy?: SecurityPolicy;
  style?: CipheringStyle;
  /** First invocation counter to send (the meter's last seen + 1); default 0. */
  invocationCounter?: number;
  /** Called with the next counter to send after each use, to persist it before it goes out. */
  onCounter?: (next: number) => void;
  /**
   * The highest invocation counter accepted from this server under these keys before this
   * session (persisted by the caller, e.g. by earlier sessions and pushes): a ciphered APDU at
   * or below it is refused as DlmsError Replay, whatever system title it carries.
   */
  lastReceived?: number;
  /**
   * Called with each invocation counter accepted from the server (above every earlier one, and
   * authenticated unless the policy is encryption only), so the caller can persist the highest.
   */
  onReceived?: (invocationCounter: number) => void;
  /** The server's system title when known in advance (else learned from the AARE). */
  serverSystemTitle?: Uint8Array;
}

export interface ClientWarning {
  code: SessionWarning | 'LINK';
  message: string;
}

export interface DlmsClientOptions {
  transport: ClientTransportOptions;
  link: ClientLinkOptions;
  association?: ClientAssociationOptions;
  security?: ClientSecurityOptions;
  /**
   * How long the meter may stay silent while we wait for a response; default 10 000 ms. Every
   * frame of the response re-arms it (HDLC: each I-frame segment, RR or RNR; wrapper: any
   * bytes), so a long segmented response succeeds as long as it keeps coming. Fails with
   * DlmsError Timeout, detail.reason 'response-timeout'.
   */
  responseTimeoutMs?: number;
  /**
   * Overall cap on one response APDU however steadily it comes, e.g. against a peer that
   * dribbles a byte every few seconds; default none (`responseTimeoutMs` alone applies).
   */
  maxResponseMs?: number;
  /** Every frame in and out. */
  trace?: FrameTraceHook;
  /** Session tolerances and link defects the client survived. */
  onWarning?: (warning: ClientWarning) => void;
}

export type { SecurityKeys };
