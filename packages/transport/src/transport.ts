import { DlmsError, DlmsErrorCode } from '@openhes/dlms';

/**
 * A byte pipe to one peer. Stream transports (TCP) deliver chunks in any split; datagram
 * transports (UDP) deliver one datagram per chunk. Framing lives above this interface.
 */
export interface Transport {
  readonly kind: 'tcp' | 'udp';
  readonly remote: string;
  readonly local: string;
  send(bytes: Uint8Array): Promise<void>;
  /** One listener; set it before the first byte can arrive. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the transport closes; `error` is set when it closed abnormally. */
  onClose(listener: (error?: DlmsError) => void): void;
  close(): Promise<void>;
  readonly closed: boolean;
}

export const TransportFailure = {
  Refused: 'refused',
  ConnectTimeout: 'connect-timeout',
  InactivityTimeout: 'inactivity-timeout',
  /** The peer did not answer a request in time (links, sessions). */
  ResponseTimeout: 'response-timeout',
  /** A PDU did not arrive whole within its deadline, however steadily its bytes came. */
  PduTimeout: 'pdu-timeout',
  Reset: 'reset',
  Closed: 'closed',
  Unreachable: 'unreachable',
  /** The process's socket budget for this use is spent (see SocketBudget); retry later. */
  NoSocket: 'no-socket',
  Other: 'other',
} as const;
export type TransportFailure = (typeof TransportFailure)[keyof typeof TransportFailure];

export function transportError(reason: TransportFailure, message: string, cause?: unknown): DlmsError {
  const timeout =
    reason === TransportFailure.ConnectTimeout ||
    reason === TransportFailure.InactivityTimeout ||
    reason === TransportFailure.ResponseTimeout ||
    reason === TransportFailure.PduTimeout;
  return new DlmsError(timeout ? DlmsErrorCode.Timeout : DlmsErrorCode.Transport, message, {
    retryable: true,
    cause,
    detail: { reason },
  });
}

export function failureFromErrno(code: string | undefined): TransportFailure {
  switch (code) {
    case 'ECONNREFUSED':
      return TransportFailure.Refused;
    case 'ECONNRESET':
    case 'EPIPE':
      return TransportFailure.Reset;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return TransportFailure.Unreachable;
    case 'ETIMEDOUT':
      return TransportFailure.ConnectTimeout;
    default:
      return TransportFailure.Other;
  }
}
