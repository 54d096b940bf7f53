import net from 'node:net';
import type { DlmsError } from '@openhes/dlms';
import { failureFromErrno, type Transport, TransportFailure, transportError } from './transport.ts';

export interface TcpConnectOptions {
  host: string;
  port: number;
  /** Source address to bind (e.g. to reach a simulator meter on its own loopback address). */
  localAddress?: string;
  connectTimeoutMs?: number;
  /** Close with a Timeout error when nothing is received or sent for this long. 0 = never. */
  inactivityTimeoutMs?: number;
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
      else this.pending.push(bytes.slice());
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
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
    });
    const where = `${options.host}:${options.port}`;
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
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(new TcpTransport(socket, options.inactivityTimeoutMs ?? 0));
  });
  server.maxConnections = 100_000;
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
