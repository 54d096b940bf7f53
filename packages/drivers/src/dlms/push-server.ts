import {
  type ConnectionRefusal,
  hostOf,
  listenTcp,
  listenUdp,
  RateLimitedLog,
  type SocketBudget,
  type TcpServer,
  type Transport,
  type UdpServer,
  WrapperLink,
} from '@openhes/transport';

/*
 * The wrapper TCP and UDP listeners for meter-initiated pushes; what a push says is decoded
 * by push-receive.ts. The push port is open to whoever can reach it, so what one peer (or
 * many) can hold is bounded: connections in total and per source address, sockets drawn
 * from the process's budget (its 'push' share), bytes held per connection (the meters'
 * largest PDU), and time per PDU from its first byte to its last, besides the silence timeout.
 */

/** What a stranger may hold of the push listener. */
export interface PushLimits {
  /** TCP connections open at once. */
  maxConnections: number;
  /** TCP connections open at once from one source address (meters behind one NAT share one). */
  maxConnectionsPerHost: number;
  /**
   * The largest APDU a meter pushes (its maximum PDU size, ciphering included): a wrapper
   * header declaring more is refused at once, and no connection holds more than about twice
   * this (plus a header).
   */
  maxApduLength: number;
  /** A PDU must arrive whole within this many ms of its first byte. */
  pduDeadlineMs: number;
  /** A TCP connection silent this long is closed. */
  idleMs: number;
  /** UDP peers remembered at once. */
  maxUdpPeers: number;
  /** A UDP peer silent this long is forgotten. */
  udpPeerIdleMs: number;
}

export const DEFAULT_PUSH_LIMITS: Readonly<PushLimits> = {
  maxConnections: 2048,
  maxConnectionsPerHost: 64,
  maxApduLength: 4096,
  pduDeadlineMs: 30_000,
  idleMs: 60_000,
  maxUdpPeers: 4096,
  udpPeerIdleMs: 30_000,
};

/** Why the push listener refused a connection, a datagram or what a connection sent. */
export type PushRefusal = ConnectionRefusal | 'max-peers' | 'pdu-too-large' | 'malformed' | 'pdu-timeout';

export interface PushServerOptions {
  host?: string;
  /** TCP port; 0 = any free port; undefined = no TCP listener. */
  tcpPort?: number;
  udpPort?: number;
  /** Overrides of DEFAULT_PUSH_LIMITS. */
  limits?: Partial<PushLimits>;
  /** The process's socket budget: each TCP connection takes one of its 'push' share. */
  sockets?: SocketBudget;
  /** Where refusals are told, one line per reason per `logIntervalMs` with a count. */
  log?: (line: string) => void;
  /** Default 10 s. */
  logIntervalMs?: number;
  /** Told of every refusal (for metrics); may not throw. */
  onRefused?: (reason: PushRefusal, remote: string) => void;
}

export interface PushServerStats {
  /** TCP connections open. */
  connections: number;
  /** UDP peers remembered. */
  udpPeers: number;
  /** Bytes of incomplete PDUs held, every connection together. */
  bufferedBytes: number;
  /** Refusals by reason since the listener started. */
  refused: Partial<Record<PushRefusal, number>>;
}

export interface PushServer {
  readonly tcpPort: number | undefined;
  readonly udpPort: number | undefined;
  readonly limits: Readonly<PushLimits>;
  stats(): PushServerStats;
  close(): Promise<void>;
}

const LINK_REFUSALS: ReadonlySet<string> = new Set(['pdu-too-large', 'malformed', 'pdu-timeout']);

/**
 * TCP and UDP wrapper listeners for meter-initiated notifications: `onApdu` gets each APDU
 * with the sender's host (IPv4-mapped addresses unmapped) and its full remote address.
 */
export async function listenForPushes(
  options: PushServerOptions,
  onApdu: (apdu: Uint8Array, fromHost: string, remote: string) => void,
): Promise<PushServer> {
  const limits: PushLimits = { ...DEFAULT_PUSH_LIMITS, ...options.limits };
  const refused: Partial<Record<PushRefusal, number>> = {};
  const log = options.log === undefined ? undefined : new RateLimitedLog(options.log, options.logIntervalMs);
  const refuse = (reason: PushRefusal, remote: string): void => {
    refused[reason] = (refused[reason] ?? 0) + 1;
    log?.note(`push refused (${reason})`, remote);
    options.onRefused?.(reason, remote);
  };
  const links = new Set<WrapperLink>();
  const attach = (t: Transport): void => {
    const host = hostOf(t.remote.slice(0, t.remote.lastIndexOf(':')));
    const link = new WrapperLink(t, {
      role: 'server',
      maxApduLength: limits.maxApduLength,
      pduDeadlineMs: limits.pduDeadlineMs,
      onFramingError: 'close',
    });
    links.add(link);
    link.onEvent(() => {});
    link.onClose((error) => {
      links.delete(link);
      const reason = error?.detail?.reason;
      if (typeof reason === 'string' && LINK_REFUSALS.has(reason)) refuse(reason as PushRefusal, t.remote);
    });
    link.onApdu((apdu) => {
      link.noResponse();
      onApdu(apdu, host, t.remote);
    });
  };
  const host = options.host ?? '127.0.0.1';
  let tcp: TcpServer | undefined;
  let udp: UdpServer | undefined;
  try {
    if (options.tcpPort !== undefined)
      tcp = await listenTcp(
        {
          host,
          port: options.tcpPort,
          inactivityTimeoutMs: limits.idleMs,
          maxConnections: limits.maxConnections,
          maxConnectionsPerHost: limits.maxConnectionsPerHost,
          ...(options.sockets === undefined ? {} : { sockets: { budget: options.sockets, use: 'push' } }),
          onRefused: refuse,
        },
        attach,
      );
    if (options.udpPort !== undefined)
      udp = await listenUdp(
        {
          host,
          port: options.udpPort,
          peerIdleMs: limits.udpPeerIdleMs,
          maxPeers: limits.maxUdpPeers,
          onRefused: refuse,
        },
        attach,
      );
  } catch (e) {
    await tcp?.close();
    log?.close();
    throw e;
  }
  return {
    tcpPort: tcp?.port,
    udpPort: udp?.port,
    limits,
    stats: () => {
      let bufferedBytes = 0;
      for (const l of links) bufferedBytes += l.buffered;
      return {
        connections: tcp?.connections ?? 0,
        udpPeers: udp?.peers ?? 0,
        bufferedBytes,
        refused: { ...refused },
      };
    },
    close: async () => {
      await Promise.all([tcp?.close(), udp?.close()]);
      log?.close();
    },
  };
}
