import { type DlmsError, ServerSession, type ServerSessionOptions, type SessionEvent } from '@openhes/dlms';
import { HdlcLink } from '../link/hdlc-link.ts';
import type { ApduLink, FrameTraceHook, LinkAddress } from '../link/types.ts';
import { WrapperLink } from '../link/wrapper-link.ts';
import { listenTcp } from '../tcp.ts';
import type { Transport } from '../transport.ts';
import { listenUdp } from '../udp.ts';

export type ServerLinkOptions =
  | {
      kind: 'wrapper';
      /** Only answer this logical device wPort; absent = any. */
      serverWPort?: number;
    }
  | {
      kind: 'hdlc';
      /** Absent = serve whatever server address the first frame of a connection carries. */
      serverAddress?: { logical: number; physical?: number };
      maxInfo?: number;
      window?: number;
    };

/** Who called: the addresses of one association on one connection. */
export interface ConnectionInfo {
  transport: 'tcp' | 'udp';
  /** The address the client dialled (TCP: socket.localAddress; UDP: the bound address). */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Client SAP (wrapper: source wPort). */
  clientSap: number;
  /** Logical device (wrapper: destination wPort; HDLC: upper address) and HDLC lower address. */
  serverAddress: { logical: number; physical?: number };
}

/** A meter's side of one association; `clientSap` comes from the link. */
export type ServedSession = Omit<ServerSessionOptions, 'clientSap'>;

export interface ServeDlmsOptions {
  transport: 'tcp' | 'udp';
  /** Default 127.0.0.1; use 0.0.0.0 to answer on every loopback address (127.0.0.x). */
  host?: string;
  port: number;
  link: ServerLinkOptions;
  /** The meter and association behind these addresses; undefined = no such meter (no answer). */
  sessionFor: (info: ConnectionInfo) => ServedSession | undefined;
  /** Close a connection after this much silence; default 120 s (TCP) / 60 s (UDP peers). */
  idleTimeoutMs?: number;
  trace?: (info: { local: string; remote: string }, frame: Parameters<FrameTraceHook>[0]) => void;
  /** Session errors (refused requests, bad APDUs) and link warnings, for logs and tests. */
  onError?: (info: { local: string; remote: string }, error: DlmsError) => void;
}

export interface DlmsServer {
  readonly transport: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
  /** Connections (TCP) or peers (UDP) currently open. */
  readonly connections: number;
  close(): Promise<void>;
}

function splitHostPort(s: string): { address: string; port: number } {
  const i = s.lastIndexOf(':');
  return { address: s.slice(0, i).replace(/^::ffff:/, ''), port: Number(s.slice(i + 1)) };
}

function serverLink(
  transport: Transport,
  options: ServeDlmsOptions,
  trace: FrameTraceHook | undefined,
): ApduLink {
  const l = options.link;
  if (l.kind === 'wrapper') {
    return new WrapperLink(transport, {
      role: 'server',
      ...(l.serverWPort === undefined ? {} : { serverWPort: l.serverWPort }),
      ...(trace ? { trace } : {}),
    });
  }
  return new HdlcLink(transport, {
    role: 'server',
    ...(l.serverAddress === undefined ? {} : { serverAddress: l.serverAddress }),
    ...(l.maxInfo === undefined ? {} : { maxInfo: l.maxInfo }),
    ...(l.window === undefined ? {} : { window: l.window }),
    ...(trace ? { trace } : {}),
  });
}

function connectionInfo(transport: Transport, from: LinkAddress): ConnectionInfo {
  const local = splitHostPort(transport.local);
  const remote = splitHostPort(transport.remote);
  return {
    transport: transport.kind,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    clientSap: from.client,
    serverAddress:
      from.physical === undefined
        ? { logical: from.server }
        : { logical: from.server, physical: from.physical },
  };
}

/**
 * One connection's associations: a ServerSession per (client SAP, server address), created
 * on its first APDU through `sessionFor`; `null` = no such meter (requests get no answer).
 */
class ServerConnection {
  private readonly transport: Transport;
  private readonly options: ServeDlmsOptions;
  readonly link: ApduLink;
  /** The only session of the connection while it has one peer address (the usual case). */
  private onlyKey: string | undefined;
  private only: ServerSession | null = null;
  private others: Map<string, ServerSession | null> | undefined;
  private whereCache: { local: string; remote: string } | undefined;

  constructor(transport: Transport, options: ServeDlmsOptions) {
    this.transport = transport;
    this.options = options;
    const trace = options.trace;
    this.link = serverLink(transport, options, trace ? (f) => trace(this.where, f) : undefined);
    this.link.onEvent((e) => {
      if (e.type === 'disconnected') this.forget();
      else options.onError?.(this.where, e.error);
    });
    this.link.onApdu((apdu, from) => this.receive(apdu, from));
  }

  private get where(): { local: string; remote: string } {
    this.whereCache ??= { local: this.transport.local, remote: this.transport.remote };
    return this.whereCache;
  }

  private forget(): void {
    this.onlyKey = undefined;
    this.only = null;
    this.others = undefined;
  }

  private sessionAt(from: LinkAddress): ServerSession | null {
    const key = `${from.client}/${from.server}/${from.physical ?? ''}`;
    if (key === this.onlyKey) return this.only;
    const known = this.others?.get(key);
    if (known !== undefined) return known;
    const served = this.options.sessionFor(connectionInfo(this.transport, from));
    const session = served ? new ServerSession({ ...served, clientSap: from.client }) : null;
    if (this.onlyKey === undefined) {
      this.onlyKey = key;
      this.only = session;
    } else {
      this.others ??= new Map();
      this.others.set(key, session);
    }
    return session;
  }

  private receive(apdu: Uint8Array, from: LinkAddress): void {
    const session = this.sessionAt(from);
    if (session === null) {
      this.link.noResponse();
      return;
    }
    const step = session.receive(apdu);
    if (this.options.onError) this.report(step.events);
    if (step.send.length === 0) this.link.noResponse();
    for (const out of step.send) this.link.sendApdu(out, from).catch(ignore);
  }

  private report(events: readonly SessionEvent[]): void {
    for (const e of events) if (e.type === 'error') this.options.onError?.(this.where, e.error);
  }
}

function ignore(): void {}

/**
 * Serves DLMS associations on one connection: a ServerSession per (client SAP, server
 * address), created on its first APDU through `sessionFor`.
 */
export function attachServerConnection(transport: Transport, options: ServeDlmsOptions): ApduLink {
  return new ServerConnection(transport, options).link;
}

/** Listens on TCP or UDP and serves DLMS over the wrapper or HDLC on every connection. */
export async function serveDlms(options: ServeDlmsOptions): Promise<DlmsServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.transport === 'udp') {
    const server = await listenUdp(
      { host, port: options.port, peerIdleMs: options.idleTimeoutMs ?? 60_000 },
      (t) => void attachServerConnection(t, options),
    );
    return {
      transport: 'udp',
      host: server.host,
      port: server.port,
      get connections() {
        return server.peers;
      },
      close: () => server.close(),
    };
  }
  const server = await listenTcp(
    { host, port: options.port, inactivityTimeoutMs: options.idleTimeoutMs ?? 120_000 },
    (t) => void attachServerConnection(t, options),
  );
  return {
    transport: 'tcp',
    host: server.host,
    port: server.port,
    get connections() {
      return server.connections;
    },
    close: () => server.close(),
  };
}
