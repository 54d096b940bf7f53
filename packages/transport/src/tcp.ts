import net from 'node:net';
import type { DlmsError } from '@openhes/dlms';
import type { SocketAccount } from './budget.ts';
import { failureFromErrno, type Transport, TransportFailure, transportError } from './transport.ts';

export interface TcpConnectOptions {
  host: string;
  port: number;
  /** Source address to bind (e.g. to reach a simulator meter on its own loopback address). */
  localAddress?: string;
  connectTimeoutMs?: number;
  /** Close with a Timeout error when nothing is received or sent for this long. 0 = never. */
  inactivityTimeoutMs?: number;
  /** The socket is drawn from this budget (refused with reason 'no-socket' when it is spent). */
  sockets?: SocketAccount;
}

/**
 * `send` resolves once the bytes are handed to the socket, not when the kernel took them: a
 * failed write destroys the socket, so it surfaces as the close error of the transport.
 */
const SENT: Promise<void> = Promise.resolve();
const CLOSE_LINGER_MS = 1000;

export class TcpTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly socket: net.Socket;
  private dataListener: ((chunk: Uint8Array) => void) | undefined;
  private closeListener: ((error?: DlmsError) => void) | undefined;
  private pending: Uint8Array[] = [];
  private closeError: DlmsError | undefined;
  private finished = false;
  /** Destroys a socket whose peer does not answer our FIN; cleared once the socket closes. */
  private linger: NodeJS.Timeout | undefined;

  constructor(socket: net.Socket, inactivityTimeoutMs = 0) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.dataListener) this.dataListener(bytes);
      else if (!this.finished) this.pending.push(bytes.slice());
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.closeError ??= transportError(
        failureFromErrno(err.code),
        `tcp ${this.remote}: ${err.message}`,
        err,
      );
    });
    socket.on('close', () => this.finish());
    if (inactivityTimeoutMs > 0) {
      socket.setTimeout(inactivityTimeoutMs, () => {
        this.closeError ??= transportError(
          TransportFailure.InactivityTimeout,
          `tcp ${this.remote}: no traffic for ${inactivityTimeoutMs} ms`,
        );
        socket.destroy();
      });
    }
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  get local(): string {
    return `${this.socket.localAddress ?? '?'}:${this.socket.localPort ?? '?'}`;
  }

  get closed(): boolean {
    return this.finished;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    clearTimeout(this.linger);
    this.closeListener?.(this.closeError);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
    const queued = this.pending;
    this.pending = [];
    for (const chunk of queued) listener(chunk);
  }

  onClose(listener: (error?: DlmsError) => void): void {
    this.closeListener = listener;
    if (this.finished) listener(this.closeError);
  }

  send(bytes: Uint8Array): Promise<void> {
    if (this.finished || this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(
        this.closeError ?? transportError(TransportFailure.Closed, `tcp ${this.remote}: closed`),
      );
    }
    this.socket.write(bytes);
    return SENT;
  }

  close(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.linger ??= setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
    });
  }

  /** Drops the connection at once without a FIN handshake (fault injection, shutdown). */
  destroy(): void {
    this.socket.destroy();
  }
}

export function connectTcp(options: TcpConnectOptions): Promise<TcpTransport> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const where = `${options.host}:${options.port}`;
  const account = options.sockets;
  const lease = account?.budget.tryAcquire(account.use);
  if (account !== undefined && lease === undefined)
    return Promise.reject(
      transportError(
        TransportFailure.NoSocket,
        `tcp ${where}: no socket left in the ${account.use} share of the process's socket budget`,
      ),
    );
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
    });
    if (lease !== undefined) socket.once('close', () => lease.release());
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        transportError(
          TransportFailure.ConnectTimeout,
          `tcp ${where}: connect timed out after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new TcpTransport(socket, options.inactivityTimeoutMs ?? 0));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(transportError(failureFromErrno(err.code), `tcp ${where}: ${err.message}`, err));
    });
  });
}

export interface TcpServerOptions {
  host?: string;
  port: number;
  inactivityTimeoutMs?: number;
  backlog?: number;
  /** Connections open at once; one more is closed as soon as it is accepted. Default 100,000. */
  maxConnections?: number;
  /** Connections open at once from one source address; default no limit. */
  maxConnectionsPerHost?: number;
  /** Each accepted connection is drawn from this budget; none left = closed at once. */
  sockets?: SocketAccount;
  /** Told of each connection closed at accept, with why. */
  onRefused?: (reason: ConnectionRefusal, remote: string) => void;
}

/** Why an accepted connection was closed at once. */
export type ConnectionRefusal = 'max-connections' | 'max-connections-per-host' | 'no-socket';

/** The source address of a socket, IPv4-mapped IPv6 addresses unmapped. */
export function hostOf(address: string | undefined): string {
  return (address ?? '?').replace(/^::ffff:/, '');
}

export interface TcpServer {
  readonly port: number;
  readonly host: string;
  /** Connections currently open. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Listens and hands each accepted connection to `onConnection` as a Transport. */
export function listenTcp(
  options: TcpServerOptions,
  onConnection: (t: TcpTransport) => void,
): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const perHost = new Map<string, number>();
  const max = options.maxConnections ?? 100_000;
  const maxPerHost = options.maxConnectionsPerHost ?? Number.POSITIVE_INFINITY;
  const refuse = (socket: net.Socket, reason: ConnectionRefusal): void => {
    // A reset frees the descriptor at once and leaves no TIME_WAIT behind on our side.
    socket.on('error', () => {});
    socket.resetAndDestroy();
    options.onRefused?.(reason, `${hostOf(socket.remoteAddress)}:${socket.remotePort ?? '?'}`);
  };
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (sockets.size >= max) return refuse(socket, 'max-connections');
    const host = hostOf(socket.remoteAddress);
    const fromHost = perHost.get(host) ?? 0;
    if (fromHost >= maxPerHost) return refuse(socket, 'max-connections-per-host');
    const lease = options.sockets?.budget.tryAcquire(options.sockets.use);
    if (options.sockets !== undefined && lease === undefined) return refuse(socket, 'no-socket');
    sockets.add(socket);
    perHost.set(host, fromHost + 1);
    socket.on('close', () => {
      sockets.delete(socket);
      const n = (perHost.get(host) ?? 1) - 1;
      if (n <= 0) perHost.delete(host);
      else perHost.set(host, n);
      lease?.release();
    });
    onConnection(new TcpTransport(socket, options.inactivityTimeoutMs ?? 0));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { host: options.host ?? '127.0.0.1', port: options.port, backlog: options.backlog ?? 4096 },
      () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        resolve({
          port: address.port,
          host: address.address,
          get connections() {
            return sockets.size;
          },
          close: () =>
            new Promise<void>((done) => {
              for (const s of sockets) s.destroy();
              server.close(() => done());
            }),
        });
      },
    );
  });
}

/**
 * Charges every connection a server (an HTTP server, say) accepts to `account`: when the
 * budget has none left the connection is reset at once; the socket gives its place back
 * when it closes. Call before the server listens.
 */
export function drawSocketsFrom(
  server: net.Server,
  account: SocketAccount,
  onRefused?: (reason: ConnectionRefusal, remote: string) => void,
): void {
  server.on('connection', (socket: net.Socket) => {
    const lease = account.budget.tryAcquire(account.use);
    if (lease === undefined) {
      socket.on('error', () => {});
      socket.resetAndDestroy();
      onRefused?.('no-socket', `${hostOf(socket.remoteAddress)}:${socket.remotePort ?? '?'}`);
      return;
    }
    socket.once('close', () => lease.release());
  });
}
